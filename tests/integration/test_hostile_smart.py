"""What Home Assistant's entities can hand smart charging: readings beyond physics, targets and departures off
the calendar, absurd or endless price lists. None of them may cost a decision (an ERROR), a command the input
does not warrant, or an attribute Home Assistant cannot record."""

import json
import math
from datetime import datetime, timedelta

import pytest

from ampeco_ev_charger.smart import runner
from ampeco_ev_charger.smart.prices import MAX_ENTRIES
from harness.stack import CP1, SLUG1, sensor, stack
from tests.integration.test_smart_charging import (
    DEPARTURE,
    GRID,
    PRICES,
    TARGET,
    TZ,
    nordpool,
    smart_commands,
    started,
)

SMART = sensor(SLUG1, "smart_charging")


def failures(s) -> list[str]:
    return [line for line in s.fake.lines("ERROR") if "smart charging failed" in line]


@pytest.mark.parametrize(
    ("grid", "unit"),
    [("-1e308", "kW"), ("1e308", "kW"), ("-1e306", "MW"), ("-1e308", "W"), ("-2e9", "W")],
)
async def test_a_power_reading_beyond_physics_is_no_usable_reading_and_a_session_is_left_as_it_is(tmp_path, grid, unit):
    async with stack(tmp_path) as s:
        await started(s, "solar", grid="-8000")
        await s.fake.advance(120)
        assert [c["command"] for c in smart_commands(s)] == ["start_charging"]
        limit = s.model.chargers[CP1].max_current_a
        s.fake.states[GRID] = (grid, {"unit_of_measurement": unit})
        await s.fake.user_sets(GRID, grid)
        await s.fake.advance(600)
        assert f"{GRID} has no usable power reading: holding" in s.fake.attributes(SMART)["reason"]
        assert [c["command"] for c in smart_commands(s)] == ["start_charging"]
        assert s.model.chargers[CP1].max_current_a == limit and failures(s) == []


@pytest.mark.parametrize(
    "departure",
    ["9999-12-31 23:59:00", "9999-12-31T23:30:00+00:00", "0001-01-01 00:00:00", "0001-01-01T00:10:00+00:00"],
)
async def test_a_departure_in_the_year_1_or_9999_is_no_departure_and_the_plan_made_before_is_followed(
    tmp_path, departure
):
    async with stack(tmp_path) as s:
        await started(s, "cheapest")
        await s.fake.advance(60)
        await s.fake.user_sets(DEPARTURE, departure)
        await s.fake.advance(60)
        reason = s.fake.attributes(SMART)["reason"]
        assert f"{DEPARTURE} unavailable: following the plan made at" in reason and failures(s) == []


@pytest.mark.parametrize("target", ["1e9", "1e300"])
async def test_a_target_more_than_any_car_holds_charges_as_much_as_the_car_takes_and_says_so(tmp_path, target):
    async with stack(tmp_path) as s:
        await started(s, "cheapest")
        await s.fake.advance(60)
        await s.fake.user_sets(TARGET, target)
        await s.fake.advance(60)
        assert [c["command"] for c in smart_commands(s)] == ["start_charging"]
        smart = s.fake.attributes(SMART)
        assert (
            f"{TARGET} asks for {float(target):g} kWh, more than any car holds: planning for 250 kWh"
            in (smart["reason"])
        )
        assert smart["target_kwh"] == 250 and failures(s) == []


@pytest.mark.parametrize("price", [1e308, -1e308, 1e300])
async def test_a_price_beyond_any_market_is_skipped_and_the_plan_cost_stays_a_number(tmp_path, price):
    async with stack(tmp_path) as s:
        prices = nordpool(s.fake.clock)
        for slot in prices["raw_today"] + prices["raw_tomorrow"]:
            if slot["value"] != 0.05:  # all but the cheap night
                slot["value"] = price
        await started(s, "cheapest")
        s.fake.states[PRICES] = ("0.15", prices)
        await s.fake.user_sets(TARGET, "40")  # more than the cheap night's 33 kWh
        smart = s.fake.attributes(SMART)
        assert [slot["price"] for slot in smart["plan"]] == [0.05] * 3 and smart["target_reachable"] is False
        assert math.isfinite(smart["plan_cost"]) and json.dumps(smart, allow_nan=False) and failures(s) == []


async def test_a_failure_after_decisions_worked_again_is_said_again(tmp_path, mocker):
    async with stack(tmp_path) as s:
        decide, broken = runner.decide, [False]

        def deciding(*args):
            if broken[0]:
                raise RuntimeError("a bug")
            return decide(*args)

        mocker.patch.object(runner, "decide", deciding)
        await started(s, "cheapest")
        broken[0] = True
        await s.fake.user_sets(TARGET, "11")
        await s.fake.user_sets(TARGET, "12")
        assert len(failures(s)) == 1  # once per episode, not once per decision
        broken[0] = False
        await s.fake.user_sets(TARGET, "13")
        assert s.fake.attributes(SMART)["target_kwh"] == 13
        broken[0] = True
        await s.fake.user_sets(TARGET, "14")
        assert len(failures(s)) == 2


async def test_100000_price_entries_are_read_only_up_to_the_first_2000_and_the_plan_shown_stays_small(tmp_path):
    async with stack(tmp_path) as s:
        await started(s, "cheapest")
        day = datetime.fromtimestamp(s.fake.clock, TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        minutes = [
            {
                "start": (day + timedelta(minutes=i)).isoformat(),
                "end": (day + timedelta(minutes=i + 1)).isoformat(),
                "value": 0.1 + (i % 97) / 1000,
            }
            for i in range(100_000)
        ]
        s.fake.states[PRICES] = ("0.15", {"raw_today": minutes})
        s.fake.states[DEPARTURE] = ((day + timedelta(days=60)).strftime("%Y-%m-%d %H:%M:%S"), {})
        await s.fake.user_sets(TARGET, "200")
        smart = s.fake.attributes(SMART)
        last_read = day + timedelta(minutes=MAX_ENTRIES)
        assert datetime.fromisoformat(smart["plan"][-1]["end"]) <= last_read and smart["plan_slots_left_out"] > 0
        assert len(json.dumps(smart)) < 16_000 / 2 and failures(s) == []
