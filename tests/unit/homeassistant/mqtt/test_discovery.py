"""The `mqtt:` section and the pure parts of MQTT discovery: topics, wildcards, configs."""

import json

import pytest

from ampeco_ev_charger.config import parse_config
from ampeco_ev_charger.homeassistant.entities import SENSORS, Entity
from ampeco_ev_charger.homeassistant.mqtt.broker import topic_matches
from ampeco_ev_charger.homeassistant.mqtt.discovery import Availability, Topics, entity_component, state_payload
from ampeco_ev_charger.validate import ConfigError

BASE = {"name": "garage_ev", "auth_token": "t0k3n", "chargepoint_id": "ACE0549935"}


def test_mqtt_true_takes_every_default_and_keeps_two_apps_apart_by_name():
    mqtt = parse_config(BASE | {"mqtt": True}).mqtt
    assert mqtt is not None
    assert (mqtt.namespace, mqtt.discovery_prefix, mqtt.base_topic) == (
        "mqtt",
        "homeassistant",
        "ampeco_ev_charger/garage_ev",
    )
    assert mqtt.appdaemon_status_topic is None  # read from AppDaemon's plugin
    assert parse_config(BASE).mqtt is None  # set_state stays the default


@pytest.mark.parametrize(
    "topic", ["ev/#", "ev/+/x", "ev//x", "ev x", "ab\x00cd", "ev\x1b[31m", "ev\x7f", "ev\x85x", "ev/" + "x" * 70_000]
)
def test_topics_with_wildcards_empty_levels_control_characters_or_no_end_are_refused(topic):
    with pytest.raises(ConfigError) as err:
        parse_config(BASE | {"mqtt": {"base_topic": topic}})
    assert err.value.key == "mqtt.base_topic"
    assert len(str(err.value)) < 200


def test_with_mqtt_smart_charging_needs_no_mode_entity_of_its_own():
    smart = parse_config(BASE | {"mqtt": True, "smart_charging": True}).extras["ACE0549935"].smart
    assert smart is not None and smart.mode_select and smart.mode_entity == "select.evse_ace0549935_smart_charging_mode"
    mine = {"mqtt": True, "smart_charging": {"mode_entity": "input_select.ev"}}
    theirs = parse_config(BASE | mine).extras["ACE0549935"].smart
    assert theirs is not None and not theirs.mode_select
    with pytest.raises(ConfigError):  # without MQTT there is no select of the app's own
        parse_config(BASE | {"smart_charging": True})


def test_wildcards_as_mqtt_has_them():
    assert topic_matches("a/+/+/set", "a/x/y/set") and not topic_matches("a/+/+/set", "a/x/set")
    assert topic_matches("a/#", "a") and topic_matches("a/#", "a/b/c") and topic_matches("#", "x")
    assert not topic_matches("a/b", "a/b/c") and not topic_matches("a/b/c", "a/b")


def test_command_topics_name_their_charger_and_control():
    topics = Topics("homeassistant", "ampeco_ev_charger/app")
    assert topics.parse_command("ampeco_ev_charger/app/ace0549935/charge/set") == ("ace0549935", "charge")
    assert topics.parse_command("ampeco_ev_charger/app/ace0549935/charge") is None
    assert topics.parse_command("elsewhere/ace0549935/charge/set") is None


def test_states_carry_their_attributes_typed_and_none_is_unknown():
    payload = json.loads(state_payload(None, {"stale": False, "retry_count": 0, "last_error": None, "ok": True}))
    assert payload == {"state": None, "attributes": {"stale": False, "retry_count": 0, "last_error": None, "ok": True}}


def test_a_total_gets_its_last_reset_from_the_attributes_and_nothing_else_does():
    cost = Entity(
        slug="s",
        chargepoint_id="CP",
        charger_name="Garage",
        key="session_cost",
        name="Session Cost",
        icon="mdi:cash",
        state=1.5,
        attributes={},
        unit="DKK",
        device_class="monetary",
        state_class="total",
    )
    energy = Entity(
        slug="s",
        chargepoint_id="CP",
        charger_name="Garage",
        key="total_energy",
        name="Total Energy",
        icon="mdi:counter",
        state=3.0,
        attributes={},
        unit="kWh",
        device_class="energy",
        state_class="total_increasing",
    )
    topics, availability = Topics("homeassistant", "b"), [Availability("b/status")]
    assert "last_reset" in entity_component(cost, topics, availability)["last_reset_value_template"]
    assert "last_reset_value_template" not in entity_component(energy, topics, availability)


def test_entities_rarely_looked_at_start_disabled_and_none_that_evcc_or_the_energy_dashboard_uses():
    disabled = {sensor.key for sensor in SENSORS if not sensor.enabled_by_default}
    assert disabled == {"car_battery", "energy_price", "live_updates", "token_expiry"}
    topics, availability = Topics("homeassistant", "b"), [Availability("b/status")]
    for sensor in SENSORS:
        entity = Entity(
            slug="s",
            chargepoint_id="CP",
            charger_name="G",
            key=sensor.key,
            name=sensor.name,
            icon=sensor.icon,
            state=None,
            attributes={},
            enabled_by_default=sensor.enabled_by_default,
        )
        config = entity_component(entity, topics, availability)
        assert config.get("enabled_by_default", True) is sensor.enabled_by_default
