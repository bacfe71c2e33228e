from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ampeco_ev_charger.smart.config import SmartConfig
from ampeco_ev_charger.smart.inputs import Inputs, next_departure, power_w, read_inputs

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2025, 6, 17, 18, tzinfo=OSLO)
CONFIG = SmartConfig(
    mode_entity="input_select.ev_mode",
    grid_power_entity="sensor.grid",
    battery_power_entity="sensor.battery",
    price_entity="sensor.prices",
    departure_entity="input_datetime.leave",
    target_energy_entity="input_number.kwh",
)
PRICE = {"start": "2025-06-17T18:00:00+02:00", "end": "2025-06-17T19:00:00+02:00", "value": 0.31}


def state(value, **attributes):
    return {"state": value, "attributes": attributes, "last_changed": "2025-06-17T16:00:00+00:00"}


def test_everything_read_from_home_assistant_states():
    inputs = read_inputs(
        CONFIG,
        {
            "input_select.ev_mode": state("Solar"),
            "sensor.grid": state("-1.5", unit_of_measurement="kW"),
            "sensor.battery": state("300", unit_of_measurement="W"),
            "sensor.prices": state("0.31", raw_today=[PRICE], raw_tomorrow=[]),
            "input_datetime.leave": state("07:00:00", has_date=False, has_time=True),
            "input_number.kwh": state("20.0", unit_of_measurement="kWh"),
        },
        NOW,
    )
    assert inputs.mode == "Solar" and inputs.grid_power_w == -1500 and inputs.battery_power_w == 300
    assert inputs.departure == datetime(2025, 6, 18, 7, tzinfo=OSLO) and inputs.target_energy_kwh == 20
    assert [p.value for p in inputs.prices] == [0.31]


@pytest.mark.parametrize("value", ["unavailable", "unknown", "", None])
def test_unavailable_entities_are_missing_inputs(value):
    states = {entity: state(value, raw_today=[PRICE]) for entity in CONFIG.entities}
    assert read_inputs(CONFIG, states, NOW) == Inputs()


def test_entities_absent_from_the_states_or_of_another_shape_are_missing_inputs():
    assert read_inputs(CONFIG, {"sensor.grid": "1200", "input_number.kwh": {"attributes": {}}}, NOW) == Inputs()


def test_an_unusable_target_is_missing():
    for value in ("-1", "lots", "nan"):
        assert read_inputs(CONFIG, {"input_number.kwh": state(value)}, NOW).target_energy_kwh is None


@pytest.mark.parametrize(
    ("value", "unit", "watts"),
    [
        ("1200", None, 1200),
        ("1.2", "kW", 1200),
        ("-0.5", "kw", -500),
        ("0.002", "MW", 2000),
        ("7", "A", None),
        ("inf", "W", None),
        ("on", "W", None),
        ("1e6", "kW", 1e9),  # a gigawatt: the most a reading may say
        ("-1000000.001", "kW", None),
        ("-1e308", "kW", None),  # inf once converted
        ("1e306", "MW", None),
        ("-1e308", "W", None),
    ],
)
def test_power_in_watts(value, unit, watts):
    assert power_w(value, {} if unit is None else {"unit_of_measurement": unit}) == watts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("07:00:00", datetime(2025, 6, 18, 7, tzinfo=OSLO)),  # time only: the next 07:00
        ("19:30", datetime(2025, 6, 17, 19, 30, tzinfo=OSLO)),  # later today
        ("18:00:00", datetime(2025, 6, 18, 18, tzinfo=OSLO)),  # now is not the next occurrence
        ("2025-06-20 06:15:00", datetime(2025, 6, 20, 6, 15, tzinfo=OSLO)),  # date and time
        ("2025-06-17 08:00:00", datetime(2025, 6, 17, 8, tzinfo=OSLO)),  # passed: the decision says so
        ("2025-06-20T06:15:00+00:00", datetime(2025, 6, 20, 6, 15, tzinfo=timezone.utc)),
        ("2025-06-20", None),  # a date has no time to leave by
        ("9999-12-31 23:59:00", None),  # off the calendar once in UTC
        ("0001-01-01 00:00:00", None),
        ("9999-12-31T23:30:00+00:00", None),
        ("0001-01-01T00:10:00+00:00", None),
        ("soon", None),
    ],
)
def test_departure(value, expected):
    assert next_departure(value, NOW) == expected


def test_a_departure_across_a_clock_change_is_in_local_time():
    before = datetime(2025, 3, 29, 18, tzinfo=OSLO)
    departure = next_departure("07:00:00", before)
    assert departure == datetime(2025, 3, 30, 7, tzinfo=OSLO)
    assert departure.utcoffset() == timedelta(hours=2)  # summer time by then
    assert departure.astimezone(timezone.utc) - before.astimezone(timezone.utc) == timedelta(hours=12)  # not 13


def test_a_pytz_zone_as_appdaemon_gives_it_is_localised_properly():
    pytz = pytest.importorskip("pytz")
    berlin = pytz.timezone("Europe/Berlin")
    now = datetime(2025, 1, 10, 18, tzinfo=timezone.utc).astimezone(berlin)
    departure = next_departure("07:00:00", now)
    assert departure.isoformat() == "2025-01-11T07:00:00+01:00"


def test_a_naive_now_gives_no_departure():
    assert next_departure("07:00:00", datetime(2025, 1, 1, 18)) is None
