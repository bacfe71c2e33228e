"""Issue 19, the first hour: what a new user gets wrong is answered where they look, the same charger in two
app instances is refused once, numbers given as text are read as numbers, a misspelt key is named with the
right spelling, and the short form can name its charger."""

import re

import pytest

from harness.stack import CP1, SLUG1, make_app, sensor, stack

PROBLEM = f"binary_sensor.evse_{SLUG1}_problem"
STARTED = "ampeco_ev_charger_session_started"
START = "ampeco_ev_charger_start_charging"


async def test_a_broken_apps_yaml_answers_commands_and_shows_on_the_chargers_entities(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(60)
        await s.stop()  # a working run left its memory file and its entities
        s.fake.listeners.clear()  # AppDaemon drops a stopped app's callbacks
        requests = len(s.requests())
        s.app = make_app(s.fake, s.args(charging_interval="abc"), tmp_path)  # apps.yaml saved with a mistake
        await s.app.initialize()
        await s.fake.advance(60)
        (config_error,) = s.fake.fired("ampeco_ev_charger_config_error")
        assert START in s.fake.listeners, "the app listens to no command: a start_charging event goes unanswered"
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is False and result.get("reason") == "config_error", result
        assert result["error"] == config_error["error"]
        assert s.fake.state(PROBLEM) == "on"
        assert s.fake.attributes(PROBLEM)["reason"] == config_error["error"]
        for key in ("charging_energy", "evse_status", "max_current"):
            assert s.fake.attributes(sensor(SLUG1, key))["stale"] is True, key
        assert len(s.requests()) == requests


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"charging_interval": 10**400}, "charging_interval"),  # YAML reads 401 digits as an int no float holds
        ({"max_current": 10**400}, "max_current"),
        (
            {
                "chargers": [
                    {"chargepoint_id": CP1, "smart_charging": {"mode_entity": "input_select.m", "voltage": 10**400}}
                ]
            },
            "chargers[0].smart_charging.voltage",
        ),
        ({"api_host": "https://[::1"}, "api_host"),
        ({"api_host": "http://127.0.0.1:99999"}, "api_host"),
        ({"api_host": "http://127.0.0.1:abc"}, "api_host"),
        ({"api_host": "https://a b.example"}, "api_host"),
        ({"state_file": "/config/a\x00b.json"}, "state_file"),  # a NUL byte no file name can hold
        ({"secrets_file": "/config/x\x00y"}, "secrets_file"),
        ({"mqtt": {"base_topic": "ab\x00cd"}}, "mqtt.base_topic"),  # Mosquitto drops AppDaemon's connection over it
    ],
    ids=[
        "interval 401 digits",
        "max_current 401 digits",
        "voltage 401 digits",
        "unclosed IPv6",
        "port 99999",
        "port abc",
        "space in host",
        "NUL in state_file",
        "NUL in secrets_file",
        "NUL in base_topic",
    ],
)
async def test_a_value_python_cannot_take_is_a_configuration_error_naming_its_key(tmp_path, overrides, key):
    async with stack(tmp_path) as s:
        s.app = make_app(s.fake, s.args(**overrides), tmp_path)
        await s.app.initialize()
        await s.fake.advance(600)
        (config_error,) = s.fake.fired("ampeco_ev_charger_config_error")
        assert config_error["key"] == key and len(config_error["error"]) < 200, config_error
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result.get("reason") == "config_error", result
        assert s.fake.state(PROBLEM) == "on"
        assert s.requests() == []
        await s.stop()  # terminate() too, as AppDaemon calls it when apps.yaml is fixed


async def test_the_same_charger_in_two_app_instances_is_refused_by_the_second_and_announced_once(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start(name="ev_house")
        second = make_app(s.fake, s.args(name="ev_garage", state_file=str(tmp_path / "garage.json")), tmp_path)
        try:
            await second.initialize()
            await s.fake.advance(600)
        finally:
            await second.terminate()
        errors = list(s.fake.lines("ERROR"))
        assert len(errors) == 1 and "ev_house" in errors[0], errors
        assert len(s.fake.fired(STARTED)) == 1


async def test_a_current_given_as_text_is_read_as_a_number_and_text_that_is_none_is_named(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        refused = await s.send("start_charging", chargepoint_id=CP1, max_current="abc")
        assert refused["success"] is False and "got the text 'abc'" in refused["error"], refused
        started = await s.send("start_charging", chargepoint_id=CP1, max_current="10")
        assert started["success"] is True, started
        assert s.model.chargers[CP1].max_current_a == 10
        assert s.model.chargers[CP1].session is not None


@pytest.mark.parametrize("command", ["start_charging", "stop_charging", "update_data"])
async def test_a_chargepoint_id_of_a_megabyte_is_answered_with_40_characters_of_it(tmp_path, command):
    async with stack(tmp_path) as s:
        await s.start()
        result = await s.send(command, chargepoint_id="x" * 1_000_000)
        assert result["reason"] == "unknown_charger" and result["chargepoint_id"] == "x" * 40, str(result)[:200]
        assert len(str(result)) < 400
        assert [r.path for r in s.requests(method="POST")] == []


async def test_a_misspelt_key_is_named_with_its_right_spelling(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(charging_intervall=60)
        (warning,) = [line for line in s.fake.lines("WARNING") if "charging_intervall" in line]
        assert re.search(r"charging_interval(?!l)", warning), warning


async def test_the_short_form_names_its_charger_with_a_top_level_charger_name(tmp_path):
    async with stack(tmp_path) as s:
        args = s.args(chargepoint_id=CP1, charger_name="Driveway")
        del args["chargers"]
        s.app = make_app(s.fake, args, tmp_path)
        await s.app.initialize()
        await s.fake.advance(0)
        names = [s.fake.attributes(sensor(SLUG1, key))["friendly_name"] for key in ("evse_status", "charging_energy")]
        assert all(name.startswith("Driveway ") for name in names), names
        assert not [line for line in s.fake.lines("WARNING") if "charger_name" in line]
