"""The simulator answers with exactly the shape of the captured answers: same keys, nesting and types."""

from typing import Any

import pytest

from simulator.model import SimCharger, SimModel
from simulator.render import charge_point_json, history_entry, session_json


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; lists by their first element; null matches any type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return None
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def assert_same_shape(captured: Any, simulated: Any, where: str = "") -> None:
    a, b = shape(captured), shape(simulated)
    if a is None or b is None:
        return
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys differ: {set(a) ^ set(b)}"
        for key in a:
            assert_same_shape(captured[key], simulated[key], f"{where}.{key}")
    elif isinstance(a, list) and a and b:
        assert_same_shape(captured[0], simulated[0], f"{where}[0]")
    elif a != [] and b != []:
        assert a == b, f"{where}: {a} != {b}"


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
    ("name", "variant"),
    [("session-start.json", "start"), ("session-end.json", "end"), ("session-details.json", "details")],
)
def test_session_answers(fixture, world, name, variant):
    charger, session = world
    assert_same_shape(fixture(name)["session"], session_json(charger, session, 1_743_345_300.0, variant), name)


def test_session_history_entries(fixture, world):
    charger, session = world
    session.status, session.stopped_at = "finished", 1_743_345_300.0
    captured = fixture("session-history.json")["session_history"][0]
    assert_same_shape(captured, history_entry(charger, session, 1_743_345_400.0), "history")
