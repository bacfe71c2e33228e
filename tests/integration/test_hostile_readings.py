"""Issue 19, readings that cannot be true: they never reach the sensors (the last good value stays, one WARNING
per episode), and the Energy dashboard's meter never goes down nor rises faster than the charger can deliver,
also across a restart."""

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from harness.stack import SLUG1, Stack, sensor, stack
from simulator import Fault
from simulator.render import charge_point_json

LIST = "app/personal/charge-points"
TOTAL = sensor(SLUG1, "total_energy")
MAX_KW = 11.1  # the charger's allowed_max_power_kw: what it can deliver at most


def answer(s: Stack, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The charge point list as the cloud would answer now, with `change` made to the first charger."""
    items = [charge_point_json(charger, s.fake.clock) for charger in s.model.chargers.values()]
    change(items[0])
    return {"data": items}


def session_field(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item["evses"][0]["session"][key] = value

    return change


def charge_point_field(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[key] = value

    return change


@pytest.mark.parametrize(
    ("entity", "change"),
    [
        ("charging_energy", session_field("energy", -5000)),
        ("charging_energy", session_field("energy", 1e15)),
        ("charging_session", session_field("power", 5e9)),
        ("charging_power", session_field("power", 5e9)),
        ("max_current", charge_point_field("max_current_a", 1e30)),
        ("charging_duration", session_field("duration", -600)),
    ],
    ids=["energy -5 kWh", "energy 1e15 Wh", "power 5 GW (kW)", "power 5 GW (W)", "limit 1e30 A", "duration -10 min"],
)
async def test_a_reading_that_cannot_be_true_never_reaches_the_sensor(tmp_path, entity, change):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        await s.fake.advance(120)
        warnings = len(list(s.fake.lines("WARNING")))
        good = s.fake.state(sensor(SLUG1, entity))
        s.simulator.faults.add(Fault("replay", count=3, path=LIST, status=200, body=answer(s, change)))
        for _ in range(3):
            await s.fake.advance(30)
            assert s.fake.state(sensor(SLUG1, entity)) == good  # the last good value stays
        said = list(s.fake.lines("WARNING"))[warnings:]
        assert len(said) == 1, said  # one per episode, not one per poll


async def totals_while(s: Stack, seconds: float, seen: list[tuple[float, float]]) -> None:
    for _ in range(int(seconds // 30)):
        await s.fake.advance(30)
        seen.append((s.fake.clock, s.fake.state(TOTAL)))


def check_meter(seen: list[tuple[float, float]]) -> None:
    """Never down; and each rise no more than the charger delivers since the meter last showed a new value (the
    app shows it at each poll, and polls come less often while nothing changes)."""
    since = seen[0][0]
    for (_t0, e0), (t1, e1) in itertools.pairwise(seen):
        assert e1 >= e0, f"total_energy went down: {e0} -> {e1} kWh"
        assert e1 - e0 <= MAX_KW * (t1 - since) / 3600 + 0.01, f"total_energy rose {e1 - e0} kWh in {t1 - since:.0f} s"
        since = t1 if e1 != e0 else since


async def test_a_glitch_of_1e15_wh_never_leaves_the_meter_huge_also_after_a_restart(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        seen: list[tuple[float, float]] = []
        await totals_while(s, 120, seen)
        glitch = answer(s, session_field("energy", 1e15))
        s.simulator.faults.add(Fault("replay", count=1, path=LIST, status=200, body=glitch))
        await totals_while(s, 180, seen)
        await s.restart()
        seen.append((s.fake.clock, s.fake.state(TOTAL)))  # shown from the memory file at once
        await totals_while(s, 180, seen)
        check_meter(seen)
        assert seen[-1][1] < 5  # a few minutes of charging at 11 kW


async def test_a_session_energy_of_10_then_5_then_13_kwh_makes_the_meter_13(tmp_path):
    """Each reading held for an hour, the meter read at every poll: it follows no faster than 11 kW allows,
    never goes down on the 5, and ends at 13 (not 10 + 13)."""
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        seen: list[tuple[float, float]] = [(s.fake.clock, s.fake.state(TOTAL))]
        for kwh in (10, 5, 13):
            s.simulator.faults.clear()
            body = answer(s, session_field("energy", kwh * 1000))
            s.simulator.faults.add(Fault("replay", path=LIST, status=200, body=body))
            await totals_while(s, 3600, seen)
            assert s.fake.state(sensor(SLUG1, "charging_energy")) == max(10, kwh)
        check_meter(seen)
        assert seen[-1][1] == pytest.approx(13, abs=0.01)
