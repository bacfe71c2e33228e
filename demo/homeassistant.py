"""A real Home Assistant Core on loopback for the demo and the end-to-end tests.

Home Assistant needs Python 3.13 (these machines carry it in pyenv); it gets a virtual environment of its
own with pinned releases, a minimal configuration written here, and an owner user and tokens made through
its own onboarding and auth APIs, never by writing its private storage files.

    python -m demo.homeassistant --install      (what `make test` and `make demo` run first)
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .processes import REPO, Process, until, wait_for

VENV = REPO / ".venv-ha"
# Home Assistant 2025.4.4 is the newest release that installs on Python 3.13.0; its frontend release is the
# one its frontend manifest names (without it Home Assistant starts in recovery mode); paho-mqtt is what its
# MQTT integration's manifest asks for.
REQUIREMENTS = ["homeassistant==2025.4.4", "home-assistant-frontend==20250411.0", "paho-mqtt==2.1.0"]
# Requirements without a wheel for Python 3.13: built from source (gcc and the Python headers are enough).
NO_WHEEL = "ciso8601,lru-dict,pymicro-vad,pyspeex-noise,PyTurboJPEG,fnvhash,PyRIC"
USERNAME, PASSWORD = "demo", "ampeco-demo"
NO_PYTHON = (
    "Home Assistant needs Python 3.13, which was not found (looked at `pyenv prefix 3.13`, "
    "~/.pyenv/versions/3.13* and python3.13 on PATH). Install it, e.g. `pyenv install 3.13`."
)


def find_python313() -> Path | None:
    """An installed Python 3.13 interpreter: pyenv's, or python3.13 on PATH."""
    candidates: list[str] = []
    try:
        prefix = subprocess.run(["pyenv", "prefix", "3.13"], capture_output=True, text=True, timeout=30, check=False)
        if prefix.returncode == 0:
            candidates += [f"{p.strip()}/bin/python3.13" for p in prefix.stdout.split(":") if p.strip()]
    except (OSError, subprocess.TimeoutExpired):
        pass
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted((str(p) for p in Path(root).glob("versions/3.13*/bin/python3.13")), reverse=True)
    candidates += [found] if (found := shutil.which("python3.13")) else []
    return next((Path(c) for c in candidates if Path(c).is_file() and os.access(c, os.X_OK)), None)


def installed(venv: Path = VENV) -> bool:
    return (venv / ".installed").read_text().split() == REQUIREMENTS if (venv / ".installed").exists() else False


def install(venv: Path = VENV) -> Path:
    """Create the venv and install the pinned releases (skipped when already done); returns `hass`.

    Wheels only, resolved against the constraints file Home Assistant ships inside its own package (without
    them the resolver wanders off to releases that have no consistent wheels); the few packages without a
    Python 3.13 wheel build from source. pycares 5 breaks the aiodns release Home Assistant pins.
    """
    if not installed(venv):
        python = find_python313()
        if python is None:
            raise SystemExit(NO_PYTHON)
        print(
            f"Installing {' and '.join(REQUIREMENTS)} into {venv} with {python} (a minute or two, once) ...", flush=True
        )
        subprocess.run([str(python), "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", "--only-binary", ":all:", REQUIREMENTS[0]], check=True)
        (constraints,) = venv.glob("lib/python3.13/site-packages/homeassistant/package_constraints.txt")
        extra = venv / "extra-constraints.txt"
        extra.write_text("pycares<5\n")
        subprocess.run(
            [
                *pip,
                "-c",
                str(constraints),
                "-c",
                str(extra),
                "--only-binary",
                ":all:",
                "--no-binary",
                NO_WHEEL,
                *REQUIREMENTS,
            ],
            check=True,
        )
        (venv / ".installed").write_text(" ".join(REQUIREMENTS))
    return venv / "bin" / "hass"


def write_config(config: Path, port: int, dashboard_yaml: str, packages: str = "") -> None:
    """The parts of `default_config` a home charger is looked at with (the recorder in SQLite in the demo's
    folder, history, logbook, energy), without those that need a network or hardware this machine lacks."""
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(
        textwrap.dedent(f"""\
        homeassistant:
          name: AMPECO demo
          latitude: 55.676
          longitude: 12.568
          elevation: 10
          unit_system: metric
          time_zone: Europe/Copenhagen
          currency: DKK
          country: DK
          packages:
            demo: !include demo.yaml
        http:
          server_host: 127.0.0.1
          server_port: {port}
        frontend:
        config:
        recorder:
          purge_keep_days: 30
        history:
        logbook:
        energy:
        lovelace:
          mode: yaml
        logger:
          default: warning
          logs:
            homeassistant.components.camera.img_util: critical
            aiohttp_fast_zlib: error
        """)
    )
    (config / "demo.yaml").write_text(packages or "{}\n")
    (config / "ui-lovelace.yaml").write_text(dashboard_yaml)


def start(config: Path, log: Path, venv: Path = VENV) -> Process:
    # --skip-pip: every requirement is installed up front; nothing is fetched at start-up.
    return Process("homeassistant", [str(venv / "bin" / "hass"), "-c", str(config), "--skip-pip"], log)


@dataclass
class Tokens:
    access: str
    refresh: str
    long_lived: str


class HomeAssistantApi:
    """Home Assistant's REST and websocket APIs, with bounded timeouts."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    @property
    def client_id(self) -> str:
        return f"{self.url}/"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        timeout = aiohttp.ClientTimeout(total=20)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(method, f"{self.url}{path}", headers=self._headers(), **kwargs) as answer,
        ):
            answer.raise_for_status()
            return await answer.json(content_type=None)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        try:
            return await self.request("GET", f"/api/states/{entity_id}")
        except aiohttp.ClientResponseError as err:
            if err.status == 404:
                return None
            raise

    async def wait_state(self, entity_id: str, predicate: Callable[[str], bool], timeout: float = 30) -> dict[str, Any]:
        """The entity's whole state once its state satisfies `predicate` (bounded)."""
        return await self._wait(entity_id, "state", predicate, timeout)

    async def wait_attributes(
        self, entity_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        """The entity's whole state once its attributes satisfy `predicate` (bounded)."""
        return await self._wait(entity_id, "attributes", predicate, timeout)

    async def _wait(
        self, entity_id: str, part: str, predicate: Callable[[Any], bool], timeout: float
    ) -> dict[str, Any]:
        state = await until(
            f"{entity_id}'s {part}",
            lambda: self.state(entity_id),
            lambda s: s is not None and predicate(s[part]),
            timeout,
        )
        assert state is not None
        return state

    async def states(self) -> dict[str, dict[str, Any]]:
        return {s["entity_id"]: s for s in await self.request("GET", "/api/states")}

    async def fire(self, event: str, data: dict[str, Any]) -> None:
        await self.request("POST", f"/api/events/{event}", json=data)

    async def onboard(self) -> Tokens:
        """Home Assistant's own onboarding, as the first visit to its UI does: the owner, then the steps."""
        answer = await self.request(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        )
        tokens = await self._tokens(
            {"grant_type": "authorization_code", "code": answer["auth_code"], "client_id": self.client_id}
        )
        self.token = tokens["access_token"]
        await self.request("POST", "/api/onboarding/core_config", json={})
        await self.request("POST", "/api/onboarding/analytics", json={})
        await self.request(
            "POST",
            "/api/onboarding/integration",
            json={"client_id": self.client_id, "redirect_uri": f"{self.client_id}?auth_callback=1"},
        )
        await self._remove_default_integrations()
        long_lived = await self._long_lived_token()
        return Tokens(tokens["access_token"], tokens["refresh_token"], long_lived)

    async def login(self) -> Tokens:
        """The login flow a browser runs, for a configuration that was onboarded before."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={"client_id": self.client_id, "handler": ["homeassistant", None], "redirect_uri": self.client_id},
        )
        done = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"username": USERNAME, "password": PASSWORD, "client_id": self.client_id},
        )
        tokens = await self._tokens(
            {"grant_type": "authorization_code", "code": done["result"], "client_id": self.client_id}
        )
        self.token = tokens["access_token"]
        return Tokens(tokens["access_token"], tokens["refresh_token"], await self._long_lived_token())

    async def save_energy_prefs(self, prefs: dict[str, Any]) -> None:
        """The Energy dashboard's configuration, as its settings page saves it."""
        async with self.websocket() as ws:
            await ws.call({"type": "energy/save_prefs", **prefs})

    async def disconnect_mqtt(self) -> None:
        """No MQTT integration (an entry an earlier run left goes, with its devices and entities)."""
        async with self.websocket() as ws:
            entries = await ws.call({"type": "config_entries/get", "domain": "mqtt"})
        for entry in entries:
            await self.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")

    async def connect_mqtt(self, port: int) -> None:
        """The MQTT integration on the broker at 127.0.0.1:`port`, through its config flow as the UI runs it (an
        entry left from an earlier run, maybe on another port, is replaced)."""
        await self.disconnect_mqtt()
        flow = await self.request("POST", "/api/config/config_entries/flow", json={"handler": "mqtt"})
        done = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", json={"broker": "127.0.0.1", "port": port}
        )
        if done.get("type") != "create_entry":
            raise RuntimeError(f"the MQTT integration was not set up: {done}")

    async def _tokens(self, form: dict[str, str]) -> dict[str, Any]:
        return await self.request("POST", "/auth/token", data=form)

    async def _long_lived_token(self) -> str:
        """A new long-lived token for AppDaemon (Home Assistant wants each one named differently)."""
        async with self.websocket() as ws:
            return await ws.call(
                {
                    "type": "auth/long_lived_access_token",
                    "lifespan": 3650,
                    "client_name": f"AppDaemon {time.strftime('%Y-%m-%d %H:%M:%S')}",
                }
            )

    async def _remove_default_integrations(self) -> None:
        """Onboarding adds weather, radio and text-to-speech entries; the demo needs none of them."""
        async with self.websocket() as ws:
            entries = await ws.call({"type": "config_entries/get"})
        for entry in entries:
            await self.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")

    @asynccontextmanager
    async def websocket(self) -> AsyncIterator["Websocket"]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.url}/api/websocket", timeout=aiohttp.ClientWSTimeout(ws_close=20)) as ws,
        ):
            await asyncio.wait_for(ws.receive_json(), 20)
            await ws.send_json({"type": "auth", "access_token": self.token})
            reply = await asyncio.wait_for(ws.receive_json(), 20)
            if reply.get("type") != "auth_ok":
                raise RuntimeError(f"websocket authentication failed: {reply}")
            yield Websocket(ws)


class Websocket:
    """Home Assistant's websocket API: commands with ids, and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._id = 0
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def call(self, message: dict[str, Any]) -> Any:
        self._id += 1
        await self.ws.send_json({"id": self._id, **message})
        while True:
            reply = await asyncio.wait_for(self.ws.receive_json(), 20)
            if reply.get("type") == "event":
                await self.events.put(reply["event"])
            elif reply.get("id") == self._id:
                if not reply.get("success", True):
                    raise RuntimeError(f"{message['type']} failed: {reply.get('error')}")
                return reply.get("result")

    async def subscribe(self, event_type: str) -> None:
        await self.call({"type": "subscribe_events", "event_type": event_type})

    async def next_event(self, timeout: float) -> dict[str, Any]:
        """The next event of a subscription (bounded wait)."""
        if not self.events.empty():
            return self.events.get_nowait()
        while True:
            reply = await asyncio.wait_for(self.ws.receive_json(), timeout)
            if reply.get("type") == "event":
                return reply["event"]


def wait_until_up(url: str, timeout: float = 180) -> None:
    """Until Home Assistant serves its frontend (onboarded or not)."""

    def probe() -> bool:
        with urllib.request.urlopen(f"{url}/manifest.json", timeout=5) as answer:
            return answer.status == 200

    wait_for("Home Assistant to answer", probe, timeout)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo.homeassistant", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--install", action="store_true", help="create .venv-ha with Home Assistant")
    parser.add_argument("--optional", action="store_true", help="without Python 3.13, say so and exit 0")
    parser.add_argument("--require-python", action="store_true", help="fail unless Python 3.13 is there")
    args = parser.parse_args()
    if args.require_python:
        python = find_python313()
        if python is None:
            raise SystemExit(NO_PYTHON)
        print(f"Python for Home Assistant: {python}")
    elif args.install:
        if args.optional and not installed() and find_python313() is None:
            print(f"Skipping Home Assistant: {NO_PYTHON}")
            return
        print(f"Home Assistant ready: {install()}")
    else:
        parser.print_help(sys.stderr)


if __name__ == "__main__":
    main()
