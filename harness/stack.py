"""The real app class, a fake AppDaemon and the simulator on loopback, sharing one virtual clock."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

from ampeco_ev_charger import appdaemon_host as host_module
from ampeco_ev_charger.app import AmpecoEvCharger
from simulator import Settings, SimModel, Simulator, Timing, demo_model, running

from .fake_appdaemon import FakeAppDaemon

TOKEN = "sim-token-3f9a7c1e5b"
CP1, CP2 = "ACE0549935", "QNG0C18010"
SLUG1, SLUG2 = "ace0549935", "qng0c18010"


def sensor(slug: str, key: str) -> str:
    return f"sensor.evse_{slug}_{key}"


def make_app(fake: FakeAppDaemon, args: dict[str, Any], config_dir: Path) -> AmpecoEvCharger:
    """The app class as AppDaemon would hold it, with only the faked surface wired in; `config_dir` stands for
    AppDaemon's configuration folder (where secrets.yaml is)."""
    app = AmpecoEvCharger.__new__(AmpecoEvCharger)
    app.AD = SimpleNamespace(config_dir=config_dir, plugins=fake)  # type: ignore[assignment]
    app.namespace = "default"
    app.args = {"name": "ampeco_ev_charger", "module": "ampeco_ev_charger.app", "class": "AmpecoEvCharger", **args}
    # ADAPI's `name` (the app's key in apps.yaml) comes from its configuration model, as AppDaemon sets it.
    app._config_model = SimpleNamespace(name=app.args["name"])  # type: ignore[assignment]
    for name in (
        "run_in",
        "cancel_timer",
        "set_state",
        "listen_event",
        "fire_event",
        "log",
        "listen_state",
        "get_state",
        "call_service",
        "get_timezone",
        "sleep",
        "remove_entity",
    ):
        setattr(app, name, getattr(fake, name))
    return app


@dataclass
class Stack:
    fake: FakeAppDaemon
    simulator: Simulator
    url: str
    state_file: Path
    app: AmpecoEvCharger | None = None

    @property
    def model(self) -> SimModel:
        return self.simulator.model

    def args(self, **overrides: Any) -> dict[str, Any]:
        ids = list(self.model.chargers)
        args: dict[str, Any] = {
            "api_host": self.url,
            "auth_token": TOKEN,
            "chargers": [{"chargepoint_id": cp} for cp in ids],
            "state_file": str(self.state_file),
            # Live updates have tests of their own, against a real broadcast server; here the requests are polls.
            "push": False,
        }
        args.update(overrides)
        return args

    async def start(self, **overrides: Any) -> AmpecoEvCharger:
        """initialize() as AppDaemon calls it (also after a Home Assistant restart), then the first poll."""
        self.app = make_app(self.fake, self.args(**overrides), self.state_file.parent)
        await self.app.initialize()
        await self.fake.advance(0)
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.terminate()
            self.app = None

    async def restart(self, **overrides: Any) -> AmpecoEvCharger:
        """What AppDaemon does when Home Assistant restarts: terminate, a fresh object, initialize."""
        await self.stop()
        return await self.start(**overrides)

    def charge_from_phone(self, chargepoint_id: str = CP1) -> None:
        """A session started outside Home Assistant that draws power for hours: the 30 s cadence."""
        charger = self.model.chargers[chargepoint_id]
        charger.car_needs_wh = 200_000
        self.model.plug(charger, True)
        self.model.start(charger)

    def requests(self, path: str | None = None, method: str | None = None) -> list[Any]:
        return [
            r
            for r in self.simulator.requests
            if (path is None or r.path == path) and (method is None or r.method == method)
        ]

    async def send(self, command: str, **data: Any) -> dict[str, Any]:
        """Fire a command event; returns the one command_result it produced."""
        before = len(self.fake.fired("ampeco_ev_charger_command_result"))
        await self.fake.send(f"ampeco_ev_charger_{command}", data)
        results = self.fake.fired("ampeco_ev_charger_command_result")[before:]
        assert len(results) == 1, f"expected exactly one command_result, got {results}"
        return results[0]


@contextlib.asynccontextmanager
async def stack(
    tmp_path: Path, chargers: int = 2, settings: Settings | None = None, timing: Timing | None = None
) -> AsyncIterator[Stack]:
    """Simulator (the demo's chargers: the first with a car plugged in) + fake AppDaemon + the app."""
    fake = FakeAppDaemon()
    simulator = Simulator(demo_model(TOKEN, chargers, clock=fake.now, timing=timing), settings)
    async with running(simulator) as url:
        with mock.patch.object(host_module, "time", SimpleNamespace(time=fake.now)):
            harness = Stack(fake, simulator, url, tmp_path / "state.json")
            try:
                yield harness
            finally:
                await harness.stop()
