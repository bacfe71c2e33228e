"""MQTT discovery against a real broker on loopback (Debian's mosquitto): the real app class on the fake
AppDaemon, whose MQTT plugin is a real paho client, with a second client where Home Assistant would be."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from demo import mosquitto
from harness.fake_mqtt import STATUS, FakeMqttPlugin, HomeAssistantMqtt, fresh_view
from harness.stack import CP1, CP2, SLUG1, SLUG2, Stack, sensor, stack

BASE = "ampeco_ev_charger/ampeco_ev_charger"  # the default: the app's name under the app's domain
PREFIX = "homeassistant"


def device_id(slug: str) -> str:
    return f"ampeco_ev_charger_{slug}"


@pytest.fixture
def broker(tmp_path: Path):
    """A broker of its own for each test (it starts in a few milliseconds), empty."""
    if mosquitto.binary() is None:
        pytest.skip(mosquitto.NO_BROKER)
    server = mosquitto.mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


@contextlib.asynccontextmanager
async def mqtt_stack(
    tmp_path: Path, broker: mosquitto.Mosquitto, **kwargs
) -> AsyncIterator[tuple[Stack, HomeAssistantMqtt]]:
    """A stack whose AppDaemon has an MQTT plugin, and Home Assistant's end of the broker."""
    async with stack(tmp_path, **kwargs) as s:
        s.fake.mqtt = plugin = FakeMqttPlugin(broker.port)
        await plugin.connect()
        ha = HomeAssistantMqtt(broker.port).connect()
        try:
            yield s, ha
        finally:
            await s.stop()
            await plugin.close()
            ha.close()


async def started(s: Stack, ha: HomeAssistantMqtt, **args) -> None:
    await s.start(mqtt=True, **args)
    await s.fake.run_until("both devices", lambda: ha.device(device_id(SLUG1)) and ha.device(device_id(SLUG2)))


async def answered(s: Stack, count: int) -> dict:
    """The `count`th command result, once it came."""
    results = lambda: s.fake.fired("ampeco_ev_charger_command_result")  # noqa: E731
    await s.fake.run_until(f"command result {count}", lambda: len(results()) >= count)
    return results()[count - 1]


async def test_each_charger_is_a_device_with_every_entity_of_the_set_state_path(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        config = ha.device(device_id(SLUG1))
        device = config["device"]
        assert device["identifiers"] == [device_id(SLUG1)] and device["serial_number"] == CP1
        assert device["name"] == "NT2 nr. 264" and device["manufacturer"] == "AMPECO"
        assert device["via_device"] == f"ampeco_ev_charger_account_{SLUG1}"
        assert config["origin"]["name"]
        components = config["components"]
        power = components["charging_power"]
        assert power["platform"] == "sensor" and power["unique_id"] == f"ampeco_ev_charger_{SLUG1}_charging_power"
        assert power["object_id"] == f"evse_{SLUG1}_charging_power"
        assert power["default_entity_id"] == f"sensor.evse_{SLUG1}_charging_power"
        assert (power["unit_of_measurement"], power["device_class"], power["state_class"]) == (
            "W",
            "power",
            "measurement",
        )
        assert components["polling_interval"]["entity_category"] == "diagnostic"
        assert "entity_category" not in components["charging_energy"]
        assert components["evse_status"]["device_class"] == "enum"
        assert "charging" in components["evse_status"]["options"]
        assert components["charging"]["platform"] == "binary_sensor"
        assert components["session_cost"]["last_reset_value_template"]
        # a reading's availability includes the charger's; what describes the app only the app's and AppDaemon's
        topics = {a["topic"] for a in power["availability"]}
        assert topics == {f"{BASE}/status", STATUS, f"{BASE}/{SLUG1}/availability"}
        assert {a["topic"] for a in components["live_updates"]["availability"]} == {f"{BASE}/status", STATUS}
        assert power["availability_mode"] == "all"
        # the controls
        assert components["charge"]["platform"] == "switch"
        assert components["current_limit"]["platform"] == "number"
        assert (
            components["current_limit"]["min"],
            components["current_limit"]["max"],
            components["current_limit"]["step"],
        ) == (6, 16, 1)
        assert components["refresh"]["platform"] == components["stop_charging"]["platform"] == "button"
        assert components["smart_charging_mode"] == {"platform": "select"}  # not configured: removed if it was there
        # the account
        account = ha.device(f"ampeco_ev_charger_account_{SLUG1}")
        assert account["components"]["cloud_connection"]["device_class"] == "connectivity"
        assert ha.device(device_id(SLUG2))["device"]["via_device"] == f"ampeco_ev_charger_account_{SLUG1}"


async def test_states_arrive_retained_with_their_attributes_typed(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        topic = f"{BASE}/{SLUG2}/polling_interval"
        await s.fake.run_until("the first reading", lambda: ha.json(topic) is not None)
        interval = ha.json(topic)
        assert interval["state"] == 30  # the account's other charger has a car plugged in
        assert interval["attributes"]["retry_count"] == 0 and interval["attributes"]["is_charging"] is False
        assert interval["attributes"]["last_error"] is None
        energy = ha.json(f"{BASE}/{SLUG2}/charging_energy")
        assert energy["attributes"]["stale"] is False
        assert ha.retained[f"{BASE}/{SLUG1}/availability"] == "online"
        assert ha.retained[f"{BASE}/status"] == "online"
        assert ha.json(f"{BASE}/{SLUG1}/charge") == {"state": "off"}
        assert ha.json(f"{BASE}/{SLUG1}/current_limit") == {"state": 16}
        assert ha.json(f"{BASE}/account_{SLUG1}/cloud_connection")["state"] == "on"
        # nothing is sent twice: a poll that changes nothing publishes nothing new
        before = len(s.fake.mqtt.published)
        await s.fake.advance(30)
        republished = {t for t, _p, _r in s.fake.mqtt.published[before:]}
        assert republished <= {f"{BASE}/{SLUG1}/polling_interval", f"{BASE}/{SLUG2}/polling_interval"}


async def test_the_switch_starts_and_stops_a_session_and_shows_the_charger(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        ha.send(f"{BASE}/{SLUG1}/charge/set", "on")
        await s.fake.run_until("a session", lambda: s.model.chargers[CP1].session is not None)
        await s.fake.run_until("the switch on", lambda: ha.json(f"{BASE}/{SLUG1}/charge") == {"state": "on"})
        result = s.fake.fired("ampeco_ev_charger_command_result")[-1]
        assert (result["command"], result["success"], result["origin"]) == ("start_charging", True, "dashboard")
        ha.send(f"{BASE}/{SLUG1}/charge/set", "off")
        assert (await answered(s, 2))["success"] is True
        await s.fake.advance(60)  # the next polls see the session end
        await s.fake.run_until("the switch off", lambda: ha.json(f"{BASE}/{SLUG1}/charge") == {"state": "off"})
        assert s.model.chargers[CP1].session is None


async def test_the_number_sets_the_limit_and_refuses_half_amps(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        ha.send(f"{BASE}/{SLUG1}/current_limit/set", "10")
        await s.fake.run_until("the limit", lambda: s.model.chargers[CP1].max_current_a == 10)
        await s.fake.run_until("the number", lambda: ha.json(f"{BASE}/{SLUG1}/current_limit") == {"state": 10})
        ha.send(f"{BASE}/{SLUG1}/current_limit/set", "10.5")
        await s.fake.run_until("the refusal", lambda: len(s.fake.fired("ampeco_ev_charger_command_result")) == 2)
        refusal = s.fake.fired("ampeco_ev_charger_command_result")[-1]
        assert refusal["success"] is False and "whole number" in refusal["error"]
        assert s.fake.services[-1][0] == "persistent_notification/create"
        assert s.model.chargers[CP1].max_current_a == 10


async def test_a_control_used_when_the_charger_is_already_so_is_still_answered(tmp_path, broker):
    """Home Assistant may show the switch off a moment after the phone started a session: turning it on then,
    or setting the limit the charger has, gets a result like any other command."""
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        s.charge_from_phone()
        await s.fake.advance(60)  # the next poll sees the session
        ha.send(f"{BASE}/{SLUG1}/charge/set", "on")
        result = await answered(s, 1)
        assert (result["command"], result["success"], result["reason"]) == ("start_charging", False, "already_charging")
        ha.send(f"{BASE}/{SLUG1}/current_limit/set", str(s.model.chargers[CP1].max_current_a))
        result = await answered(s, 2)
        assert (result["command"], result["success"]) == ("set_max_current", True)


async def test_the_buttons_refresh_and_stop(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        reads = len(s.requests())
        ha.send(f"{BASE}/{SLUG1}/refresh/set", "PRESS")
        await s.fake.run_until("a read", lambda: len(s.requests()) > reads)
        s.charge_from_phone()
        await s.fake.advance(60)  # the next poll sees it
        ha.send(f"{BASE}/{SLUG1}/stop_charging/set", "PRESS")
        result = await answered(s, 2)
        assert result["success"] is True
        await s.fake.advance(60)
        assert s.model.chargers[CP1].session is None


async def test_home_assistant_coming_online_gets_everything_again(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        topic = f"{PREFIX}/device/{device_id(SLUG1)}/config"
        before = ha.count(topic)
        ha.send(f"{PREFIX}/status", "online")
        await s.fake.run_until("the discovery again", lambda: ha.count(topic) > before)


async def test_a_stopped_app_is_offline_and_a_removed_charger_loses_its_device(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        await s.stop()
        await s.fake.run_until("offline", lambda: ha.retained.get(f"{BASE}/status") == "offline")
        await s.start(mqtt=True, chargers=[{"chargepoint_id": CP1}])
        await s.fake.run_until(
            "the second device gone, the app online",
            lambda: ha.device(device_id(SLUG2)) is None and ha.retained[f"{BASE}/status"] == "online",
        )
        assert ha.device(device_id(SLUG1)) is not None
        assert not [t for t in ha.snapshot() if f"/{SLUG2}/" in t]  # its states are cleared too


async def test_set_state_entities_give_their_ids_up_first(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, _ha):
        await s.start()  # the set_state path
        assert sensor(SLUG1, "charging_power") in s.fake.states
        s.fake.states["sensor.someone_elses"] = ("1", {"friendly_name": "Not ours"})
        await s.restart(mqtt=True)
        assert sensor(SLUG1, "charging_power") not in s.fake.states
        assert "sensor.someone_elses" in s.fake.states
        assert any("so the MQTT entities take their ids" in line for line in s.fake.lines())


async def test_without_a_connected_broker_the_app_runs_and_catches_up(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        s.fake.mqtt.connected = False  # AppDaemon's plugin lost the broker
        await s.start(mqtt=True)
        assert s.requests("app/personal/charge-points")  # polling goes on
        warnings = [line for line in s.fake.lines("WARNING") if "cannot publish to MQTT" in line]
        assert len(warnings) == 1
        s.fake.mqtt.connected = True
        await s.fake.advance(300)
        await s.fake.run_until("both devices", lambda: ha.device(device_id(SLUG1)) and ha.device(device_id(SLUG2)))


async def test_a_status_the_app_does_not_know_becomes_an_option_of_the_enum(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        s.model.chargers[CP2].status_override = "maintenance"  # a tenant's own word
        await s.fake.advance(300)
        await s.fake.run_until(
            "the new option, and the state (published after it)",
            lambda: (
                "maintenance" in ha.device(device_id(SLUG2))["components"]["evse_status"]["options"]
                and ha.json(f"{BASE}/{SLUG2}/evse_status")["state"] == "maintenance"
            ),
        )
        s.model.chargers[CP2].status_override = None
        await s.fake.advance(300)
        await s.fake.run_until(
            "available again", lambda: ha.json(f"{BASE}/{SLUG2}/evse_status")["state"] == "available"
        )
        # the option stays: a state once shown stays valid (in Home Assistant's history too)
        assert "maintenance" in ha.device(device_id(SLUG2))["components"]["evse_status"]["options"]


async def test_the_smart_charging_mode_is_a_select_of_the_app_kept_across_restarts(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        chargers = [{"chargepoint_id": CP1, "smart_charging": True}, {"chargepoint_id": CP2}]
        await started(s, ha, chargers=chargers)
        components = ha.device(device_id(SLUG1))["components"]
        select = components["smart_charging_mode"]
        assert select["platform"] == "select" and select["options"] == ["off", "now", "solar", "min+solar", "cheapest"]
        assert select["default_entity_id"] == f"select.evse_{SLUG1}_smart_charging_mode"
        assert components["smart_charging"]["platform"] == "sensor"
        assert ha.device(device_id(SLUG2))["components"]["smart_charging"] == {"platform": "sensor"}
        assert ha.json(f"{BASE}/{SLUG1}/smart_charging_mode") == {"state": "off"}
        # smart charging reads the mode from Home Assistant's select, which follows the app's state topic
        assert f"select.evse_{SLUG1}_smart_charging_mode" in s.fake.watchers
        ha.send(f"{BASE}/{SLUG1}/smart_charging_mode/set", "now")
        await s.fake.run_until("the mode", lambda: ha.json(f"{BASE}/{SLUG1}/smart_charging_mode") == {"state": "now"})
        assert any("smart charging mode set to now" in line for line in s.fake.lines())
        ha.send(f"{BASE}/{SLUG1}/smart_charging_mode/set", "turbo")  # not a mode: ignored
        await s.restart(mqtt=True, chargers=chargers)
        await s.fake.run_until(
            "the mode again", lambda: s.fake.mqtt.published_to(f"{BASE}/{SLUG1}/smart_charging_mode")
        )
        assert s.fake.mqtt.published_to(f"{BASE}/{SLUG1}/smart_charging_mode")[-1] == '{"state":"now"}'


async def test_turning_mqtt_off_removes_the_devices_before_set_state_takes_the_ids(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        await s.restart()  # without mqtt
        await s.fake.run_until(
            "the devices and states gone", lambda: not [t for t in ha.snapshot() if t.startswith((PREFIX, BASE))]
        )
        assert any("MQTT is off: removed 3 device(s)" in line for line in s.fake.lines())
        assert s.fake.state(sensor(SLUG1, "charging_power")) == 0  # the set_state path goes on
        await s.restart()
        assert sum("MQTT is off" in line for line in s.fake.lines()) == 1  # once: nothing is left to remove


async def test_mqtt_off_without_the_plugin_says_how_to_remove_the_devices(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        await s.stop()
        s.fake.mqtt = None  # the MQTT plugin was taken out of appdaemon.yaml too
        await s.start()
        (warning,) = [line for line in s.fake.lines("WARNING") if "still be in Home Assistant" in line]
        assert "Settings > Devices & services > MQTT" in warning
        assert ha.device(device_id(SLUG1)) is not None
        await s.restart()
        assert sum("still be in Home Assistant" in line for line in s.fake.lines("WARNING")) == 1  # said once


async def test_a_broker_restart_without_persistence_gets_everything_again(tmp_path, broker):
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        await asyncio.to_thread(broker.restart)  # the retained messages are gone with it
        await s.fake.run_until(
            "the app republishing",
            lambda: f"{PREFIX}/device/{device_id(SLUG1)}/config" in fresh_view(broker.port, quiet=0.1),
        )
        view = fresh_view(broker.port)
        assert view[f"{BASE}/status"] == "online" and view[f"{BASE}/{SLUG1}/availability"] == "online"
        assert json.loads(view[f"{BASE}/{SLUG1}/charge"]) == {"state": "off"}


async def test_a_charger_that_leaves_the_account_takes_its_device_with_it(tmp_path, broker):
    """Chargers found on the account (no `chargers:`): one removed from the account leaves Home Assistant."""
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha, chargers=None)
        s.model.remove_charger(CP2)
        await s.fake.advance(300)
        await s.fake.run_until("the device gone", lambda: ha.device(device_id(SLUG2)) is None)
        assert ha.device(device_id(SLUG1)) is not None
        assert any("removed 1 device(s) no longer watched" in line for line in s.fake.lines())
