from dataclasses import replace

import pytest

from ampeco_ev_charger.ampeco.models import Session, parse_charge_point
from ampeco_ev_charger.ampeco.units import Units
from ampeco_ev_charger.homeassistant.entities import as_state
from ampeco_ev_charger.homeassistant.entities import build_entities as build_all
from ampeco_ev_charger.runtime.lifecycle import Memory, observe
from ampeco_ev_charger.runtime.view import ChargerView, MonthTotals, PollStatus

NOW = 1_764_000_000.0
CONTRACT = {  # key: (unit, device_class, state_class, diagnostic)
    "charger_status": (None, None, None, False),
    "charging_session": ("kW", "power", "measurement", False),
    "charging_power": ("W", "power", "measurement", False),
    "charging_current": ("A", "current", "measurement", False),
    "charging_energy": ("kWh", "energy", "total_increasing", False),
    "charging_duration": ("min", "duration", None, False),
    "evse_status": (None, "enum", None, False),
    "polling_interval": ("s", "duration", None, True),
    "max_current": ("A", "current", None, True),
    "month_energy": ("kWh", "energy", None, False),
    "month_cost": ("DKK", "monetary", None, False),
    "last_month_energy": ("kWh", "energy", None, False),
    "last_month_cost": ("DKK", "monetary", None, False),
    "session_id": (None, None, None, True),
    "total_energy": ("kWh", "energy", "total_increasing", False),
    "car_battery": ("%", "battery", "measurement", False),
    "session_cost": ("DKK", "monetary", "total", False),  # the currency the session is paid in
    "energy_price": ("DKK/kWh", None, "measurement", False),
    "token_expiry": (None, "timestamp", None, True),
    "live_updates": (None, "enum", None, True),
    "iec_status": (None, "enum", None, False),
}
BINARY = {"charging": "battery_charging", "plugged_in": "plug", "problem": "problem"}


MONTHS = MonthTotals("2025-11", 41.5, 93.4, "DKK", 6, "2025-10", 37.221, 80.0, "DKK", 5)


def view(charge_point, *, memory=None, name=None, error=None, last_success=NOW, now=NOW, evse="first", months=MONTHS):
    if evse == "first":
        evse = charge_point.evse() if charge_point else None
    if memory is None:
        memory = Memory()
        if evse is not None:
            observe(memory, evse.status, evse.session)
    return ChargerView(
        chargepoint_id="ACE0549935",
        slug="ace0549935",
        configured_name=name,
        charge_point=charge_point,
        evse=evse,
        memory=memory,
        poll=PollStatus(30, True, 0 if error is None else 2, error),
        last_success=last_success,
        now=now,
        unavailable_after=900,
        months=months,
    )


def build_entities(view):
    """The set_state form, as Home Assistant gets it without MQTT."""
    return [as_state(entity) for entity in build_all(view)]


def by_key(entities):
    return {e.entity_id.split(".evse_ace0549935_")[1]: e for e in entities}


def test_every_entity_with_its_units_and_classes(charge_point):
    entities = by_key(build_entities(view(charge_point)))
    assert set(entities) == set(CONTRACT) | set(BINARY)
    for key, device_class in BINARY.items():
        assert entities[key].entity_id == f"binary_sensor.evse_ace0549935_{key}"
        assert entities[key].attributes["device_class"] == device_class
        assert entities[key].state in ("on", "off")
    for key, (unit, device_class, state_class, diagnostic) in CONTRACT.items():
        assert entities[key].entity_id == f"sensor.evse_ace0549935_{key}"
        attrs = entities[key].attributes
        assert attrs.get("unit_of_measurement") == unit, key
        assert attrs.get("device_class") == device_class, key
        assert attrs.get("state_class") == state_class, key
        assert (attrs.get("entity_category") == "diagnostic") == diagnostic, key
        assert attrs["chargepoint_id"] == "ACE0549935" and attrs["attribution"] and attrs["icon"].startswith("mdi:")


def test_states_of_the_captured_suspended_session(charge_point):
    entities = by_key(build_entities(view(charge_point)))
    states = {key: e.state for key, e in entities.items()}
    assert states == {
        "charger_status": "available",
        "charging_session": 0.0,
        "charging_power": 0,
        "charging_current": 16,
        "charging_energy": 0.0,
        "charging_duration": 2.5,
        "evse_status": "suspended",
        "polling_interval": 30,
        "max_current": 16,
        "last_month_energy": 37.221,
        "month_energy": 41.5,
        "month_cost": 93.4,
        "last_month_cost": 80.0,
        "session_id": "648418",
        "total_energy": 0.0,
        "car_battery": "unknown",  # this car does not report it: not faked
        "session_cost": 0,
        "energy_price": 1.068,
        "token_expiry": "unknown",  # not a JWT
        "live_updates": "off",
        "iec_status": "B",  # a car at the socket, not drawing power
        "charging": "off",
        "plugged_in": "on",
        "problem": "off",  # a full car: plugged in, not drawing power
    }
    assert entities["problem"].attributes["reason"] is None
    session = entities["charging_session"].attributes
    assert session["session_id"] == "648418" and session["charging_state"] == "suspendedEV"
    assert entities["max_current"].attributes["allowed_min_current"] == 6
    assert entities["max_current"].attributes["allowed_max_current"] == 16
    assert entities["last_month_energy"].attributes["tax_name"] == "Moms"
    poll = entities["polling_interval"].attributes
    assert poll["is_charging"] is True and poll["retry_count"] == 0 and poll["last_good_reading"] is None


def test_friendly_names_use_the_configured_then_the_api_name(charge_point):
    assert (
        by_key(build_entities(view(charge_point, name="My House")))["charging_current"].attributes["friendly_name"]
        == "My House Charging Current"
    )
    assert (
        by_key(build_entities(view(charge_point)))["charging_current"].attributes["friendly_name"]
        == "NT2 nr. 264 Charging Current"
    )
    assert (
        by_key(build_entities(view(None, last_success=None)))["session_id"].attributes["friendly_name"]
        == "AMPECO Charger ACE0549935 Session ID"
    )


def test_without_a_session_power_and_current_are_zero_and_details_are_gone(fixture):
    item = fixture("charge-points-list.json")["data"][0]
    item["evses"][0].update(session=None, status="available")
    cp = parse_charge_point(item, Units()).charge_point
    entities = by_key(build_entities(view(cp)))
    assert (entities["charging_session"].state, entities["charging_current"].state) == (0.0, 0)
    assert entities["session_id"].state == "none"
    assert "session_id" not in entities["charging_session"].attributes
    assert entities["charging_energy"].state == "unknown"  # no session seen yet: not faked as 0


def test_the_last_sessions_energy_stays_after_it_ends(charge_point, fixture):
    memory = Memory()
    observe(memory, "charging", charge_point.evse().session)
    item = fixture("charge-points-list.json")["data"][0]
    item["evses"][0].update(session=None, status="finishing")
    ended = parse_charge_point(item, Units()).charge_point
    observe(memory, "finishing", None)
    entities = by_key(build_entities(view(ended, memory=memory)))
    assert entities["charging_duration"].state == 2.5 and entities["charging_energy"].state == 0.0
    assert entities["session_id"].state == "none"


def test_no_reading_yet_means_unavailable_except_what_describes_the_app():
    entities = by_key(build_entities(view(None, last_success=None, error="cannot connect to x")))
    about_the_app = {"polling_interval", "problem", "token_expiry", "live_updates"}
    assert {k: e.state for k, e in entities.items() if k not in about_the_app} == {
        k: "unavailable" for k in set(CONTRACT) | set(BINARY) if k not in about_the_app
    }
    assert entities["polling_interval"].state == 30
    assert (entities["problem"].state, entities["problem"].attributes["reason"]) == ("on", "cannot connect to x")


def test_a_failing_cloud_keeps_the_last_reading_marked_stale_then_unavailable(charge_point):
    fresh = by_key(build_entities(view(charge_point, error="HTTP 500", now=NOW + 600)))
    assert fresh["max_current"].state == 16 and fresh["max_current"].attributes["stale"] is True
    assert fresh["polling_interval"].attributes["last_error"] == "HTTP 500"
    gone = by_key(build_entities(view(charge_point, error="HTTP 500", now=NOW + 901)))
    assert gone["max_current"].state == "unavailable"
    assert gone["polling_interval"].attributes["retry_count"] == 2


def test_a_missing_evse_shows_the_charge_point_but_no_session(charge_point):
    entities = by_key(build_entities(view(charge_point, evse=None, memory=Memory())))
    assert entities["evse_status"].state == "unknown" and entities["max_current"].state == 16
    assert entities["session_id"].state == "none"


@pytest.mark.parametrize(
    ("status", "power", "charging", "plugged", "problem"),
    [
        ("charging", 7.2, "on", "on", None),
        ("charging", 0, "on", "on", None),  # power about to show
        ("suspendedEV", 0, "off", "on", None),
        ("preparing", None, "off", "on", None),
        ("available", None, "off", "off", None),
        ("faulted", None, "off", "off", "the charger reports a fault"),
        ("unavailable", None, "off", "off", "the charger is unavailable (offline or out of service)"),
        ("Hibernating", None, "off", "unknown", None),
    ],
)
def test_binary_sensors_for_automations(fixture, status, power, charging, plugged, problem):
    item = fixture("charge-points-list.json")["data"][0]
    evse = item["evses"][0]
    evse["status"] = status
    if power is None:
        evse["session"] = None
    else:
        evse["session"]["power"] = power * 1000
    entities = by_key(build_entities(view(parse_charge_point(item, Units()).charge_point)))
    assert entities["charging"].state == charging and entities["plugged_in"].state == plugged
    assert entities["problem"].state == ("off" if problem is None else "on")
    assert entities["problem"].attributes["reason"] == problem


def test_the_total_energy_counts_ended_sessions_and_the_running_one(charge_point):
    memory = Memory(ended_energy_kwh=12.5)
    observe(memory, "charging", Session(id="9", status="active", energy_kwh=3.25))
    entities = by_key(build_entities(view(charge_point, memory=memory)))
    assert entities["total_energy"].state == 15.75


@pytest.mark.parametrize(
    ("status", "session", "letter"),
    [
        ("available", None, "A"),
        ("preparing", None, "B"),
        ("charging", "open", "C"),
        ("suspendedEV", "open", "B"),
        ("faulted", None, "E"),
        ("out of order", None, "F"),
        ("unavailable", None, "F"),
    ],
)
def test_the_iec_letter_evcc_reads(fixture, status, session, letter):
    item = fixture("charge-points-list.json")["data"][0]
    item["evses"][0]["status"] = status
    if session is None:
        item["evses"][0]["session"] = None
    else:
        item["evses"][0]["session"]["power"] = 7000 if status == "charging" else 0
    cp = parse_charge_point(item, Units()).charge_point
    assert by_key(build_entities(view(cp)))["iec_status"].state == letter


def test_the_months_sessions_from_the_session_log_and_the_clouds_own_figure_beside(charge_point):
    entities = by_key(build_entities(view(charge_point)))
    assert (entities["month_energy"].state, entities["month_cost"].state) == (41.5, 93.4)
    assert entities["month_energy"].attributes.items() >= {"month": "2025-11", "sessions": 6}.items()
    last = entities["last_month_energy"]
    assert last.state == 37.221 and last.attributes["as_the_cloud_counts_kwh"] == 37.221
    assert entities["last_month_cost"].state == 80.0
    unknown = by_key(build_entities(view(charge_point, months=None)))  # the session log cannot be read
    assert {unknown[key].state for key in ("month_energy", "month_cost", "last_month_energy")} == {"unknown"}


def test_a_month_without_sessions_cost_nothing_in_the_chargers_currency(charge_point):
    quiet = replace(MONTHS, sessions=0, energy_kwh=0.0, cost=None, currency=None, last_sessions=0, last_cost=None)
    entities = by_key(build_entities(view(charge_point, months=quiet)))
    for key in ("month_cost", "last_month_cost"):
        assert (entities[key].state, entities[key].attributes["unit_of_measurement"]) == (0.0, "DKK"), key
    several = replace(MONTHS, cost=None, currency=None)  # sessions in two currencies: no one figure
    assert by_key(build_entities(view(charge_point, months=several)))["month_cost"].state == "unknown"


@pytest.mark.parametrize(
    ("started_at", "last_reset"),
    [
        ("2025-03-26T20:51:41.000000Z", "2025-03-26T20:51:41+00:00"),
        ("not a date", None),
        ("0001-01-01T00:30:00+01:00", None),  # before the year 1 in UTC
        ("-1000-01-01", None),
    ],
)
def test_the_session_costs_last_reset_is_a_time_or_none(charge_point, started_at, last_reset):
    """Home Assistant reads `last_reset` as a time: the cloud's text is never handed on as it came."""
    evse = charge_point.evse()
    evse = replace(evse, session=replace(evse.session, started_at=started_at))
    entities = by_key(build_entities(view(charge_point, evse=evse)))
    assert entities["session_cost"].attributes["last_reset"] == last_reset
