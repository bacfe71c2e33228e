import pytest

from ampeco_ev_charger.smart.config import NORDPOOL_ATTRIBUTES, SmartConfig, parse_smart_config
from ampeco_ev_charger.validate import ConfigError

WHERE = "chargers[0].smart_charging"


def parse(value, warnings=None):
    return parse_smart_config(value, WHERE, [] if warnings is None else warnings)


def error(value) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(value)
    return caught.value


def test_only_the_mode_entity_is_required_and_everything_else_has_a_default():
    assert parse({"mode_entity": "input_select.ev_mode"}) == SmartConfig(mode_entity="input_select.ev_mode")
    cfg = parse({"mode_entity": "input_select.ev_mode"})
    assert (cfg.voltage, cfg.phases, cfg.start_delay, cfg.stop_delay, cfg.min_change_interval, cfg.max_current) == (
        230,
        3,
        60,
        180,
        300,
        None,
    )
    assert cfg.price_attributes == NORDPOOL_ATTRIBUTES and cfg.watts_per_amp == 690


def test_not_configured_is_none():
    assert parse(None) is None


def test_a_full_entry():
    cfg = parse(
        {
            "mode_entity": "select.ev_mode",
            "grid_power_entity": "sensor.grid_power",
            "battery_power_entity": "sensor.battery_power",
            "price_entity": "sensor.nordpool_kwh_no1",
            "price_attribute": ["today", "tomorrow"],
            "departure_entity": "input_datetime.ev_departure",
            "target_energy_entity": "input_number.ev_energy",
            "voltage": 240,
            "phases": 1,
            "start_delay": "30",
            "stop_delay": 600,
            "min_change_interval": 0,
            "max_current": 16.0,
        }
    )
    assert cfg.price_attributes == ("today", "tomorrow")
    assert (cfg.voltage, cfg.phases, cfg.start_delay, cfg.max_current, cfg.watts_per_amp) == (240, 1, 30, 16, 240)
    assert cfg.entities == (
        "select.ev_mode",
        "sensor.grid_power",
        "sensor.battery_power",
        "sensor.nordpool_kwh_no1",
        "input_datetime.ev_departure",
        "input_number.ev_energy",
    )


def test_a_single_price_attribute_is_a_list_of_one():
    assert parse({"mode_entity": "input_select.m", "price_attribute": " prices "}).price_attributes == ("prices",)


@pytest.mark.parametrize(
    ("value", "key", "words"),
    [
        ("input_select.ev_mode", WHERE, "must be a mapping"),
        ({}, f"{WHERE}.mode_entity", "is missing"),
        ({"mode_entity": "input_boolean.ev"}, f"{WHERE}.mode_entity", "input_select or select"),
        (
            {"mode_entity": "input_select.m", "grid_power_entity": "grid"},
            f"{WHERE}.grid_power_entity",
            "sensor.grid_power",
        ),
        ({"mode_entity": "input_select.m", "grid_power_entity": 5}, f"{WHERE}.grid_power_entity", "got 5"),
        (
            {"mode_entity": "input_select.m", "departure_entity": "sensor.x"},
            f"{WHERE}.departure_entity",
            "input_datetime",
        ),
        (
            {"mode_entity": "input_select.m", "target_energy_entity": "input_number.Bad-Id"},
            f"{WHERE}.target_energy_entity",
            "input_number or number",
        ),
        ({"mode_entity": "input_select.m", "price_attribute": []}, f"{WHERE}.price_attribute", "attribute name"),
        ({"mode_entity": "input_select.m", "price_attribute": ["ok", 3]}, f"{WHERE}.price_attribute", "attribute name"),
        ({"mode_entity": "input_select.m", "voltage": 50}, f"{WHERE}.voltage", "between 100 and 400"),
        ({"mode_entity": "input_select.m", "voltage": "high"}, f"{WHERE}.voltage", "must be a number"),
        ({"mode_entity": "input_select.m", "voltage": 10**400}, f"{WHERE}.voltage", "a number too long to show"),
        ({"mode_entity": "input_select.m", "phases": 2.5}, f"{WHERE}.phases", "whole number"),
        ({"mode_entity": "input_select.m", "phases": 4}, f"{WHERE}.phases", "between 1 and 3"),
        ({"mode_entity": "input_select.m", "start_delay": True}, f"{WHERE}.start_delay", "must be a number"),
        ({"mode_entity": "input_select.m", "stop_delay": -1}, f"{WHERE}.stop_delay", "between 0 and 3600"),
        ({"mode_entity": "input_select.m", "min_change_interval": None}, f"{WHERE}.min_change_interval", "number"),
        ({"mode_entity": "input_select.m", "max_current": 40}, f"{WHERE}.max_current", "between 6 and 32"),
        ({"mode_entity": "input_select.m", "max_current": 10.5}, f"{WHERE}.max_current", "whole number"),
    ],
)
def test_each_mistake_names_its_key(value, key, words):
    err = error(value)
    assert err.key == key and words in err.problem


def test_unknown_keys_are_warned_about_not_refused():
    warnings: list[str] = []
    parse({"mode_entity": "input_select.m", "grid_sensor": "sensor.x", "stop_dealy": 60}, warnings)
    assert warnings == [
        f"unknown key `{WHERE}.grid_sensor` ignored",
        f"unknown key `{WHERE}.stop_dealy` ignored; did you mean `stop_delay`?",
    ]
