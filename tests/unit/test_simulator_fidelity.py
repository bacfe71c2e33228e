"""The simulator answers with exactly the shape of the captured answers: same keys, nesting and types."""

from typing import Any

import pytest

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
