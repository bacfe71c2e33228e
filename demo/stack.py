"""The whole stack on 127.0.0.1: the AMPECO simulator, Home Assistant, and AppDaemon running the app.

Used by `python -m demo` and by the end-to-end tests, so the tests run exactly what a newcomer sees.
"""

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ampeco_ev_charger.const import entity_id, slugify
from ampeco_ev_charger.homeassistant.entities import SENSORS, SMART_KEY
from ampeco_ev_charger.homeassistant.mqtt.discovery import CONTROLS, SMART_MODE_KEY, account_entity_id

from . import appdaemon as ad
from . import echo, mosquitto
from . import homeassistant as ha
from .dashboard import dashboard, energy_prefs, package
from .homeassistant import HomeAssistantApi, Tokens
from .processes import Process, free_port, http_json, simulator, until

TOKEN = "demo-token"
# Without MQTT: Driveway has the dashboard helpers; Garage has smart charging with a mode select (off at first).
HELPER_CHARGERS: list[dict[str, Any]] = [
    {
        "chargepoint_id": "ACE0549935",
        "name": "Driveway",
        "charging_switch": "input_boolean.ev_charging_ace0549935",
        "current_limit": "input_number.ev_current_ace0549935",
    },
    {
        "chargepoint_id": "QNG0C18010",
        "name": "Garage",
        "smart_charging": {"mode_entity": "input_select.ev_mode_qng0c18010"},
    },
]
# With MQTT: the devices have a switch, a number and buttons; Garage's smart charging mode is the app's select.
MQTT_CHARGERS: list[dict[str, Any]] = [
    {"chargepoint_id": "ACE0549935", "name": "Driveway"},
    {"chargepoint_id": "QNG0C18010", "name": "Garage", "smart_charging": True},
]


def entities(chargers: list[dict[str, Any]], mqtt: bool) -> frozenset[str]:
    """Every entity the app makes for these chargers: the stack is up once all of them are in Home Assistant."""
    made = set()
    for c in chargers:
        slug = slugify(c["chargepoint_id"])
        made |= {entity_id(slug, s.key, s.domain) for s in SENSORS}
        made |= {entity_id(slug, SMART_KEY)} if "smart_charging" in c else set()
        if mqtt:
            made |= {entity_id(slug, control.key, control.domain) for control in CONTROLS}
            made |= {entity_id(slug, SMART_MODE_KEY, "select")} if c.get("smart_charging") is True else set()
    if mqtt:
        made.add(account_entity_id(slugify(chargers[0]["chargepoint_id"])))
    return frozenset(made)


def shown(chargers: list[dict[str, Any]], mqtt: bool) -> frozenset[str]:
    """The entities Home Assistant has states for: through MQTT discovery, not those a user must turn on."""
    if not mqtt:
        return entities(chargers, mqtt)
    off = [s for s in SENSORS if not s.enabled_by_default]
    hidden = {entity_id(slugify(c["chargepoint_id"]), s.key, s.domain) for c in chargers for s in off}
    return entities(chargers, mqtt) - hidden


@dataclass
class Stack:
    folder: Path
    simulator_url: str
    ha_port: int
    ad_port: int
    tokens: Tokens
    ha: Process
    ad: Process
    chargers: list[dict[str, Any]]
    echo_url: str | None = None  # the live-update server, when Node.js was there to run it
    broker: mosquitto.Mosquitto | None = None  # the MQTT broker, when the app runs with MQTT discovery
    ready_s: float = 0.0  # seconds from the start until the app's entities were in Home Assistant

    @property
    def mqtt(self) -> bool:
        return self.broker is not None

    @property
    def ha_url(self) -> str:
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def api(self) -> HomeAssistantApi:
        return HomeAssistantApi(self.ha_url, self.tokens.long_lived)

    def wait_for_entities(self, timeout: float = 60) -> None:
        """Until every entity of the app is in Home Assistant with a reading (bounded)."""
        wanted = shown(self.chargers, self.mqtt)

        async def missing() -> list[str]:
            states = await self.api.states()
            return sorted(e for e in wanted if e not in states or states[e]["state"] == "unavailable")

        asyncio.run(until("the app's entities in Home Assistant", missing, lambda m: not m, timeout))

    def restart_home_assistant(self) -> None:
        """Stop and start Home Assistant; back once its API answers again."""
        self.ha.stop()
        self.ha = ha.start(self.folder / "homeassistant", self.folder / "homeassistant.log")
        ha.wait_until_up(self.ha_url)

    def start_appdaemon(self) -> None:
        """Start AppDaemon again (after `self.ad.stop()`), as it was."""
        self.ad = ad.start(self.folder / "appdaemon", self.folder / "appdaemon.log")


@contextlib.contextmanager
def live_updates(folder: Path, simulator_url: str) -> Iterator[str | None]:
    """laravel-echo-server with the simulator as its backend, named in the simulator's settings; None (the app
    polls alone) without Node.js."""
    if not echo.installed():
        print(f"No live updates in this demo: {echo.NO_NODE}", flush=True)
        yield None
        return
    server = echo.echo_server(folder / "echo", simulator_url)
    try:
        http_json(
            "POST", f"{simulator_url}/_sim/broadcast", {"url": server.url, "app_id": echo.APP_ID, "key": echo.KEY}
        )
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def broker(folder: Path, mqtt: bool | None, port: int | None) -> Iterator[mosquitto.Mosquitto | None]:
    """Mosquitto for MQTT discovery: wanted (True), never (False), or where it is installed (None)."""
    if mqtt is False or (mqtt is None and mosquitto.binary() is None):
        if mqtt is None:
            print(f"This demo runs without MQTT (dashboard helpers instead of devices): {mosquitto.NO_BROKER}")
        yield None
        return
    server = mosquitto.mosquitto(folder / "mosquitto", port)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running(
    folder: Path,
    ha_port: int | None = None,
    ad_port: int | None = None,
    simulator_port: int | None = None,
    *,
    mqtt: bool | None = None,
    mqtt_port: int | None = None,
) -> Iterator[Stack]:
    """Start everything (Home Assistant must be installed: `python -m demo.homeassistant --install`); with
    MQTT (`mqtt`: True, False, or None for "where mosquitto is installed") the chargers are devices."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ha_port, ad_port = ha_port or free_port(), ad_port or free_port()
    config = folder / "homeassistant"
    fresh = not (config / ".storage" / "onboarding").exists()
    with (
        simulator(folder, TOKEN, simulator_port) as sim_url,
        live_updates(folder, sim_url) as echo_url,
        broker(folder, mqtt, mqtt_port) as server,
    ):
        chargers = MQTT_CHARGERS if server is not None else HELPER_CHARGERS
        ha.write_config(config, ha_port, dashboard(chargers, server is not None), package(chargers, sim_url))
        ha_process = ha.start(config, folder / "homeassistant.log")
        try:
            url = f"http://127.0.0.1:{ha_port}"
            ha.wait_until_up(url)
            api = ha.HomeAssistantApi(url)
            tokens = asyncio.run(api.onboard() if fresh else api.login())
            plugin = f"plugins:\n  HASS:\n    type: hass\n    ha_url: {url}\n    token: !secret ha_token\n"
            options: dict[str, Any] = {}
            if server is None:
                asyncio.run(api.disconnect_mqtt())
            else:
                asyncio.run(api.connect_mqtt(server.port))
                plugin += (
                    f"  MQTT:\n    type: mqtt\n    namespace: mqtt\n    client_host: 127.0.0.1\n"
                    f"    client_port: {server.port}\n    client_topics: NONE\n"
                )
                options["mqtt"] = True
            ad.install(
                folder / "appdaemon",
                ad_port,
                ad.apps_yaml(sim_url, chargers, **options),
                {"ampeco_token": TOKEN, "ha_token": tokens.long_lived},
                extra_yaml=plugin,
            )
            ad_process = ad.start(folder / "appdaemon", folder / "appdaemon.log")
            stack = Stack(folder, sim_url, ha_port, ad_port, tokens, ha_process, ad_process, chargers, echo_url, server)
            try:
                stack.wait_for_entities(timeout=120)
                asyncio.run(stack.api.save_energy_prefs(energy_prefs(chargers)))
                stack.ready_s = time.monotonic() - started
                yield stack
            finally:
                stack.ad.stop()
                ha_process = stack.ha
        finally:
            ha_process.stop()
