import json
from datetime import datetime, timedelta, timezone

import pytest

from ampeco_ev_charger.runtime.commands import SetMaxCurrent, StartCharging
from ampeco_ev_charger.smart.governor import Action, GovernorMemory, Pending
from ampeco_ev_charger.smart.memory import SmartMemory
from ampeco_ev_charger.smart.planner import Plan, PlannedSlot
from ampeco_ev_charger.smart.solar import SolarTimers

T0 = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
CEST = timezone(timedelta(hours=2))
FULL = SmartMemory(
    mode="cheapest",
    code="cheapest/slot/charging",
    solar=SolarTimers(surplus_since=T0, shortfall_since=None),
    governor=GovernorMemory(last_change=T0, pending=Pending(Action(StartCharging.name, 16), T0, attempts=2)),
    plan=Plan(
        (PlannedSlot(T0, T0 + timedelta(minutes=30), 0.07, 5.5),), 5.5, T0 + timedelta(hours=8), T0.astimezone(CEST)
    ),
    plugged_meter_kwh=1234.5,
    session_open=True,
    hands_off=True,
)


def test_a_round_trip_through_json_gives_the_same_memory():
    assert SmartMemory.from_dict(json.loads(json.dumps(FULL.to_dict()))) == FULL
    assert SmartMemory.from_dict(SmartMemory().to_dict()) == SmartMemory()


@pytest.mark.parametrize("garbage", [None, [], "memory", 42, {"mode": 3, "solar": "x", "governor": [], "plan": 1}])
def test_garbage_is_an_empty_memory(garbage):
    assert SmartMemory.from_dict(garbage) == SmartMemory()


def test_each_unusable_part_starts_empty_and_the_rest_is_kept():
    data = FULL.to_dict()
    data["solar"]["surplus_since"] = "2025-06-01T12:00:00"  # naive
    data["governor"]["pending"]["action"]["name"] = "explode"
    data["plugged_meter_kwh"] = True
    data["session_open"] = "yes"
    memory = SmartMemory.from_dict(data)
    assert memory.solar == SolarTimers() and memory.governor == GovernorMemory(last_change=T0)
    assert (memory.plugged_meter_kwh, memory.session_open, memory.hands_off, memory.plan) == (
        None,
        False,
        True,
        FULL.plan,
    )


def test_half_a_plan_is_no_plan():
    data = FULL.to_dict()
    data["plan"]["slots"].append({"start": "then", "end": None, "price": 0.1, "energy_kwh": 1})
    assert SmartMemory.from_dict(data).plan is None
    data["plan"] = {"slots": [], "needed_kwh": 1.0, "departure": T0.isoformat()}  # no made_at
    assert SmartMemory.from_dict(data).plan is None


@pytest.mark.parametrize(
    ("pending", "expected"),
    [
        (
            {"action": {"name": SetMaxCurrent.name, "amps": 10}, "sent_at": T0.isoformat(), "attempts": 0},
            Pending(Action(SetMaxCurrent.name, 10), T0, 1),
        ),
        ({"action": {"name": StartCharging.name, "amps": "16"}, "sent_at": T0.isoformat()}, None),
        ({"action": {"name": StartCharging.name}, "sent_at": "yesterday"}, None),
    ],
)
def test_a_pending_command(pending, expected):
    assert SmartMemory.from_dict({"governor": {"pending": pending}}).governor.pending == expected
