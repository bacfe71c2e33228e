"""The simulator answers with exactly the shape of the captured answers: same keys, nesting and types."""

import itertools
from datetime import datetime, timezone
from typing import Any

import pytest

from ampeco_ev_charger.ampeco import Units, parse_session
from ampeco_ev_charger.runtime.hourly import hourly_energy
from ampeco_ev_charger.runtime.session_log import parse_utc
from simulator.model import SimCharger, SimModel
from simulator.render import charge_point_json, history_entry, session_json


def shape(value: Any) -> str:
    """A JSON value's type, with every number one kind."""
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def assert_same_shape(captured: Any, simulated: Any, where: str = "") -> None:
    """Same keys, nesting and types. Null stands in for any plain value (an unset time, an absent fee), never
    for an object or a list, whose inside would then go unchecked; a list the capture fills must be filled
    by the simulator too, so its entries are compared."""
    if captured is None or simulated is None:
        other = simulated if captured is None else captured
        assert not isinstance(other, (dict, list)) or other == [], f"{where}: null against {shape(other)}"
        return
    assert shape(captured) == shape(simulated), f"{where}: {shape(captured)} != {shape(simulated)}"
    if isinstance(captured, dict):
        assert set(captured) == set(simulated), f"{where}: keys differ: {set(captured) ^ set(simulated)}"
        for key in captured:
            assert_same_shape(captured[key], simulated[key], f"{where}.{key}")
    elif isinstance(captured, list) and captured:
        assert simulated, f"{where}: the capture has entries and the simulator none"
        assert_same_shape(captured[0], simulated[0], f"{where}[0]")


def test_the_shape_check_catches_what_it_should():
    for captured, simulated in (
        ({"a": {"b": 1}}, {"a": None}),
        ({"a": None}, {"a": [{"b": 1}]}),
        ({"a": [{"b": 1}]}, {"a": []}),
        ({"a": [{"b": 1}]}, {"a": [{"b": "1"}]}),
        ({"a": 1}, {"a": 1, "c": 2}),
        ({"a": "x"}, {"a": 1}),
    ):
        with pytest.raises(AssertionError):
            assert_same_shape(captured, simulated)
    assert_same_shape({"a": None, "b": [], "c": 1.5}, {"a": "2025-01-01", "b": [{"x": 1}], "c": 2})


@pytest.fixture
def world():
    model = SimModel(clock=lambda: 1_743_345_231.0)
    charger = model.add_charger(
        "t", SimCharger(id="ACE0549935", name="NT2 nr. 264", evse_id="148964", identifier="2317")
    )
    session = model.start(charger)
    session.status, session.active_since, session.energy_wh, session.power_w = "active", 1_743_345_231.0, 489, 3481
    session.power_history.append((1_743_345_231.0, 3.48))
    return charger, session


def test_charge_point_list(fixture, world):
    charger, _ = world
    captured = fixture("charge-points-list.json")["data"][0]
    assert_same_shape(captured, charge_point_json(charger, 1_743_345_300.0), "charge point")


@pytest.mark.parametrize(
    ("name", "variant", "status"),
    [
        ("session-start.json", "start", "starting"),
        ("session-end.json", "end", "stopping"),
        ("session-details.json", "details", "finished"),
    ],
)
def test_session_answers(fixture, world, name, variant, status):
    """Each answer as captured, from a session in the state the capture shows."""
    charger, session = world
    session.status = status
    if status == "finished":
        session.stopped_at = 1_743_345_300.0
    assert_same_shape(fixture(name)["session"], session_json(charger, session, 1_743_345_300.0, variant), name)


def test_session_history_entries(fixture, world):
    charger, session = world
    session.status, session.stopped_at = "finished", 1_743_345_300.0
    captured = fixture("session-history.json")["session_history"][0]
    assert_same_shape(captured, history_entry(charger, session, 1_743_345_400.0), "history")


def test_the_simulated_power_curve_has_the_captured_shape_and_adds_up_to_the_energy():
    """A point a minute, each the power until the next (as the capture integrates to its `energy`), ending in
    a zero where the car stopped drawing; the session's hours from it add up to its energy."""
    clock = [1_743_030_000.0]
    model = SimModel(clock=lambda: clock[0])
    charger = model.add_charger("t", SimCharger(id="X", name="x", evse_id="1", identifier="2", car_needs_wh=5000))
    session = model.start(charger)
    clock[0] += 2 * 3600 + 17  # the car is full after 27 minutes and the session stays open at 0 W
    model.stop(charger)
    clock[0] += 5
    model.advance()
    details = session_json(charger, session, clock[0], "details")
    curve = details["powerStats"]["history"]
    points = [(parse_utc(p["timestamp"]).timestamp(), p["value"]) for p in curve]
    assert {b[0] - a[0] for a, b in itertools.pairwise(points)} == {60}
    assert points[-1][1] == 0 and all(kw > 0 for _, kw in points[:-1])
    delivered_wh = sum(a[1] * (b[0] - a[0]) for a, b in itertools.pairwise(points)) / 3.6
    assert delivered_wh == pytest.approx(details["energy"], abs=1)
    start, stop = parse_utc(details["startedAt"]), parse_utc(details["stoppedAt"])
    session = parse_session(details, Units(), [])
    assert session is not None
    hours = hourly_energy(start, stop, details["energy"] / 1000, session.power_history)
    assert list(hours) == [datetime(2025, 3, 26, 23, tzinfo=timezone.utc)]  # all of it in the first half hour
    assert round(sum(hours.values()) * 1000) == details["energy"] == 5000


def test_reimbursement_eligibility_is_each_chargers_setting_when_the_session_started(world):
    charger, session = world
    session.status, session.stopped_at = "finished", 1_743_345_300.0
    assert history_entry(charger, session, 1_743_345_400.0)["session"]["reimbursementEligibility"] is False
    charger.reimbursement_eligible = True  # a company car's charger
    assert session_json(charger, session, 1_743_345_400.0, "details")["reimbursementEligibility"] is False
    model = SimModel(clock=lambda: 1_743_345_500.0)
    company = model.add_charger(
        "t", SimCharger(id="C", name="c", evse_id="9", identifier="9", reimbursement_eligible=True)
    )
    later = model.start(company)
    for variant in ("details", "history", "embedded"):
        assert session_json(company, later, 1_743_345_600.0, variant)["reimbursementEligibility"] is True
