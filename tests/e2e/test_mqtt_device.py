"""Each charger a real Home Assistant device: the demo's stack with mosquitto, AppDaemon's MQTT plugin and
Home Assistant's MQTT integration (set up through its config flow), as `make demo` runs it.

Skipped, saying so, without Home Assistant (Python 3.13) or mosquitto; CI insists on both.
"""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo import appdaemon as ad
from demo import browser, mosquitto, stack
from demo.processes import REPO, until
from harness.stack import CP1, CP2

from . import attributes
from .test_home_assistant import (
    BINARY,
    EVENTS,
    SENSORS,
    _requirements,
    events_until,
    read_now,
    sim_state,
    typed_attributes,
)

ARTIFACTS = REPO / "build" / "artifacts"
SLUG1, SLUG2 = CP1.lower(), CP2.lower()
OFF_UNTIL_TURNED_ON = {"car_battery", "energy_price", "live_updates", "token_expiry"}  # a user turns them on
DIAGNOSTIC = {"polling_interval", "max_current", "session_id", "token_expiry", "live_updates"}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[stack.Stack]:
    _requirements()
    if mosquitto.binary() is None:
        pytest.skip(mosquitto.NO_BROKER)
    with stack.running(tmp_path / "demo", mqtt=True) as running:
        yield running


async def registries(s: stack.Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with s.api.websocket() as ws:
        devices = await ws.call({"type": "config/device_registry/list"})
        entities = await ws.call({"type": "config/entity_registry/list"})
    return devices, entities


def device_of(devices: list[dict[str, Any]], identifier: str) -> dict[str, Any]:
    (device,) = [d for d in devices if ["mqtt", identifier] in d["identifiers"]]
    return device


@pytest.mark.timeout(180)
async def test_each_charger_is_a_device_with_unique_ids_categories_and_todays_entity_ids(demo: stack.Stack):
    devices, entities = await registries(demo)
    account = device_of(devices, f"ampeco_ev_charger_account_{SLUG1}")
    driveway = device_of(devices, f"ampeco_ev_charger_{SLUG1}")
    assert (driveway["name"], driveway["manufacturer"], driveway["serial_number"]) == ("Driveway", "AMPECO", CP1)
    assert driveway["sw_version"] == "6.3.0-4185"  # the simulator's firmware_version
    assert "kW" in driveway["model"]
    assert (
        driveway["via_device_id"] == account["id"] == device_of(devices, f"ampeco_ev_charger_{SLUG2}")["via_device_id"]
    )
    assert account["name"].startswith("AMPECO account")
    ours = {e["entity_id"]: e for e in entities if e["platform"] == "mqtt"}
    assert set(ours) == stack.entities(demo.chargers, mqtt=True)  # the same ids as set_state's: none ends in _2
    for slug, device in ((SLUG1, driveway), (SLUG2, device_of(devices, f"ampeco_ev_charger_{SLUG2}"))):
        for key in SENSORS:
            entry = ours[f"sensor.evse_{slug}_{key}"]
            assert entry["unique_id"] == f"ampeco_ev_charger_{slug}_{key}" and entry["device_id"] == device["id"]
            assert entry["entity_category"] == ("diagnostic" if key in DIAGNOSTIC else None), key
            assert entry["disabled_by"] == ("integration" if key in OFF_UNTIL_TURNED_ON else None), key
        for key in BINARY:
            assert ours[f"binary_sensor.evse_{slug}_{key}"]["device_id"] == device["id"]
    states = await demo.api.states()
    for key, (unit, device_class, state_class) in SENSORS.items():
        if key in OFF_UNTIL_TURNED_ON:
            assert f"sensor.evse_{SLUG1}_{key}" not in states, key
            continue
        got = states[f"sensor.evse_{SLUG1}_{key}"]["attributes"]
        assert (got.get("unit_of_measurement"), got.get("device_class"), got.get("state_class")) == (
            unit,
            device_class,
            state_class,
        ), key
    assert states[f"sensor.evse_{SLUG1}_charger_status"]["attributes"]["friendly_name"] == "Driveway Charger Status"
    assert "charging" in states[f"sensor.evse_{SLUG1}_evse_status"]["attributes"]["options"]
    number = states[f"number.evse_{SLUG1}_current_limit"]
    assert number["state"] == "16" and (number["attributes"]["min"], number["attributes"]["max"]) == (6, 16)
    assert states[f"switch.evse_{SLUG1}_charge"]["state"] == "off"
    assert states[f"select.evse_{SLUG2}_smart_charging_mode"]["state"] == "off"
    assert states[f"binary_sensor.ampeco_account_{SLUG1}_cloud_connection"]["state"] == "on"


@pytest.mark.timeout(180)
async def test_attributes_keep_their_types_through_mqtt(demo: stack.Stack):
    await typed_attributes(demo)


@pytest.mark.timeout(180)
async def test_the_switch_starts_and_stops_a_session_and_the_number_sets_the_limit(demo: stack.Stack):
    api = demo.api
    async with api.websocket() as ws:
        await ws.subscribe(EVENTS[0])
        await api.request(
            "POST",
            "/api/services/number/set_value",
            json={"entity_id": f"number.evse_{SLUG1}_current_limit", "value": 10},
        )
        result = (await events_until(ws, EVENTS[0]))[-1]["data"]
        assert (result["command"], result["success"], result["origin"]) == ("set_max_current", True, "dashboard")
        await api.wait_state(f"number.evse_{SLUG1}_current_limit", lambda s: s == "10")
        assert sim_state(demo)["chargers"][CP1]["max_current_a"] == 10
        await api.request("POST", "/api/services/switch/turn_on", json={"entity_id": f"switch.evse_{SLUG1}_charge"})
        result = (await events_until(ws, EVENTS[0]))[-1]["data"]
        assert (result["command"], result["success"], result["origin"]) == ("start_charging", True, "dashboard")
        await api.wait_state(f"switch.evse_{SLUG1}_charge", lambda s: s == "on")
        assert sim_state(demo)["chargers"][CP1]["session"] is not None
        await api.request("POST", "/api/services/switch/turn_off", json={"entity_id": f"switch.evse_{SLUG1}_charge"})
        result = (await events_until(ws, EVENTS[0]))[-1]["data"]
        assert (result["command"], result["success"]) == ("stop_charging", True)
        await api.wait_state(f"switch.evse_{SLUG1}_charge", lambda s: s == "off", timeout=45)


@pytest.mark.timeout(180)
async def test_the_smart_charging_mode_is_the_apps_own_select(demo: stack.Stack):
    api = demo.api
    await api.request("POST", f"/api/services/rest_command/simulator_plug_in_{SLUG2}", json={})
    await api.wait_state(f"sensor.evse_{SLUG2}_smart_charging", lambda s: s == "off")
    async with api.websocket() as ws:
        await ws.subscribe(EVENTS[0])
        await api.request(
            "POST",
            "/api/services/select/select_option",
            json={"entity_id": f"select.evse_{SLUG2}_smart_charging_mode", "option": "now"},
        )
        result = (await events_until(ws, EVENTS[0]))[-1]["data"]
    assert (result["command"], result["success"], result["origin"]) == ("start_charging", True, "smart_charging")
    await api.wait_state(f"sensor.evse_{SLUG2}_smart_charging", lambda s: s == "now")


@pytest.mark.timeout(240)
async def test_unavailable_while_appdaemon_is_stopped_and_back_from_the_broker_after_a_restart(demo: stack.Stack):
    api = demo.api
    energy = f"sensor.evse_{SLUG1}_total_energy"
    await asyncio.to_thread(demo.ad.stop)
    await api.wait_state(energy, lambda s: s == "unavailable", timeout=60)
    assert (await api.state(f"switch.evse_{SLUG1}_charge"))["state"] == "unavailable"
    demo.start_appdaemon()
    await api.wait_state(energy, lambda s: s not in ("unavailable", "unknown"), timeout=60)
    # A round of the restarted app, all in Home Assistant (its first states, from memory, lack the month totals):
    # Garage's car plugged in is shown after Driveway's states.
    await api.request("POST", f"/api/services/rest_command/simulator_plug_in_{SLUG2}", json={})
    async with api.websocket() as ws:
        await ws.subscribe(EVENTS[0])
        await read_now(api, ws, CP2)
    await api.wait_state(f"sensor.evse_{SLUG2}_evse_status", lambda s: s == "preparing")
    # Home Assistant restarts while the app does nothing at all (AppDaemon frozen): the broker has it all.
    os.killpg(demo.ad.popen.pid, signal.SIGSTOP)
    try:
        before = await api.states()
        await asyncio.to_thread(demo.restart_home_assistant)
        up = time.monotonic()
        ours = stack.shown(demo.chargers, mqtt=True) - {
            f"button.evse_{s}_{k}" for s in (SLUG1, SLUG2) for k in ("refresh", "stop_charging")
        }

        async def changed() -> tuple[list[str], dict[str, dict[str, Any]]]:
            states = await api.states()
            return sorted(e for e in ours if states.get(e, {}).get("state") != before[e]["state"]), states

        _, after = await until("every entity back with its state", changed, lambda c: not c[0], timeout=120)
        print(f"every entity back with its state {time.monotonic() - up:.1f} s after Home Assistant answered")
        attributes.check(after, SLUG1, mqtt=True)
    finally:
        os.killpg(demo.ad.popen.pid, signal.SIGCONT)


@pytest.mark.timeout(300)
async def test_turning_mqtt_off_and_on_again_keeps_the_entity_ids(demo: stack.Stack):
    """The set_state path takes the ids over from the removed devices, and the devices take them back."""
    api = demo.api
    apps = demo.folder / "appdaemon" / "apps" / "apps.yaml"
    plain = [{"chargepoint_id": c["chargepoint_id"], "name": c["name"]} for c in demo.chargers]
    apps.write_text(ad.apps_yaml(demo.simulator_url, plain))  # AppDaemon reloads the app
    power = f"sensor.evse_{SLUG1}_charging_power"
    await api.wait_attributes(power, lambda a: a.get("attribution") is not None, timeout=60)
    devices, entities = await registries(demo)
    assert not [e for e in entities if e["platform"] == "mqtt"] and not [
        d for d in devices if d["identifiers"][0][0] == "mqtt"
    ]
    apps.write_text(ad.apps_yaml(demo.simulator_url, plain, mqtt=True))
    await api.wait_attributes(power, lambda a: "attribution" not in a, timeout=60)
    _devices, entities = await registries(demo)
    mqtt_ids = {e["entity_id"] for e in entities if e["platform"] == "mqtt"}
    assert power in mqtt_ids and not [e for e in mqtt_ids if e.endswith("_2")]


@pytest.mark.timeout(240)
async def test_the_device_page_in_a_real_browser(demo: stack.Stack):
    if browser.chromium() is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it when run as root)")
    await demo.api.request("POST", "/api/services/switch/turn_on", json={"entity_id": f"switch.evse_{SLUG1}_charge"})
    await demo.api.wait_state(f"sensor.evse_{SLUG1}_charging_session", lambda s: float(s) > 10, timeout=60)
    devices, _entities = await registries(demo)
    page = f"/config/devices/device/{device_of(devices, f'ampeco_ev_charger_{SLUG1}')['id']}"
    png = ARTIFACTS / "device.png"
    shows = ["Driveway", "Charge", "Current Limit", "AMPECO", "Stop Charging", "Refresh"]
    text = await browser.screenshot(demo.ha_url, demo.tokens, page, png, shows)
    assert all(word in text for word in shows)
    assert png.stat().st_size > 20_000
    board = ARTIFACTS / "dashboard-mqtt.png"
    shows = ["Driveway", "Garage", "kWh", "Charge", "Current limit", "Smart charging mode"]  # the devices' controls
    text = await browser.screenshot(demo.ha_url, demo.tokens, "/lovelace/ev", board, shows)
    assert all(word in text for word in shows)
