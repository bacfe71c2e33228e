from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ampeco_ev_charger.smart.planner import FINISH_WITHIN, Plan, PlannedSlot, plan_cheapest
from ampeco_ev_charger.smart.prices import PriceSlot

UTC = timezone.utc
T0 = datetime(2025, 1, 1, 18, tzinfo=UTC)
HOUR = timedelta(hours=1)
KW = 10.0


def at(hours: float) -> datetime:
    return T0 + hours * HOUR


def hourly(*values: float, first: datetime = T0) -> list[PriceSlot]:
    return [PriceSlot(first + i * HOUR, first + (i + 1) * HOUR, v) for i, v in enumerate(values)]


def plan(prices, needed, now=T0, departure=None, charging=False) -> Plan:
    return plan_cheapest(
        prices, now=now, departure=departure or at(len(prices)), needed_kwh=needed, power_kw=KW, charging=charging
    )


def spans(p: Plan) -> list[tuple[float, float]]:
    return [((s.start - T0) / HOUR, (s.end - T0) / HOUR) for s in p.slots]


def test_the_cheapest_slots_in_time_order():
    p = plan(hourly(5, 1, 4, 2, 3), 20)
    assert spans(p) == [(1, 2), (3, 4)]
    assert (p.energy_kwh, p.cost, p.feasible, p.shortfall_kwh) == (20, 30, True, 0)


def test_equal_prices_prefer_the_earlier_slot():
    assert spans(plan(hourly(2, 1, 2, 1, 2), 30)) == [(0, 1), (1, 2), (3, 4)]


def test_a_partial_last_slot_charges_only_as_long_as_needed_at_its_start():
    p = plan(hourly(5, 1, 9, 2, 9), 15)
    assert spans(p) == [(1, 2), (3, 3.5)]
    assert p.slots[1].energy_kwh == pytest.approx(5) and p.cost == pytest.approx(20)


def test_a_partial_slot_just_before_a_chosen_one_ends_where_it_begins():
    assert spans(plan(hourly(9, 2, 1, 9), 15)) == [(1.5, 2), (2, 3)]


def test_a_partial_slot_just_after_a_chosen_one_starts_where_it_ends():
    assert spans(plan(hourly(9, 1, 2, 9), 15)) == [(1, 2), (2, 2.5)]


def test_the_slot_in_progress_counts_from_now():
    p = plan(hourly(1, 5, 5), 10, now=at(0.5))
    assert spans(p) == [(0.5, 1), (1, 1.5)]
    assert p.charging_at(at(0.5)) and p.made_at == at(0.5)


def test_slots_after_the_departure_do_not_count_and_the_last_one_is_cut_at_it():
    p = plan(hourly(3, 2, 1, 0), 10, departure=at(2.5))
    assert spans(p) == [(1.5, 2), (2, 2.5)]
    assert p.slots[1].energy_kwh == pytest.approx(5) and p.feasible


def test_when_the_known_slots_are_not_enough_all_of_them_are_used_and_it_says_so():
    p = plan(hourly(3, 2), 50, departure=at(10))  # tomorrow's prices unknown yet
    assert spans(p) == [(0, 1), (1, 2)]
    assert not p.feasible and p.shortfall_kwh == pytest.approx(30)


@pytest.mark.parametrize("needed", [0, -3])
def test_a_target_already_met_plans_nothing(needed):
    p = plan(hourly(1, 2), needed)
    assert p.slots == () and p.feasible and not p.charging_at(T0)


def test_a_departure_already_passed_plans_nothing_and_is_short():
    p = plan(hourly(1, 2), 10, now=at(3), departure=at(2))
    assert p.slots == () and not p.feasible and p.shortfall_kwh == 10


def test_no_prices_is_a_plan_that_cannot_be_met():
    p = plan([], 10, departure=at(5))
    assert p.slots == () and not p.feasible


def test_replanning_while_charging_as_planned_keeps_the_same_slots():
    prices = hourly(5, 1, 4, 2, 3)
    first = plan(prices, 20)
    later = plan(prices, 15, now=at(1.5))  # half of the 01:00 slot delivered
    assert spans(later) == [(1.5, 2), (3, 4)]
    assert later.cost == pytest.approx(first.cost - 5)


def test_planning_is_deterministic():
    prices = hourly(3, 1, 1, 2, 1, 3)
    assert plan(prices, 25) == plan(list(prices), 25)


def test_a_short_remainder_is_finished_in_the_running_session():
    prices = hourly(9, 1, 9)
    p = plan(prices, KW * 5 / 60, now=at(0.5), charging=True)
    assert spans(p) == [(0.5, pytest.approx(0.5 + 5 / 60))] and p.slots[0].price == 9
    assert spans(plan(prices, KW * 5 / 60, now=at(0.5))) == [(1, pytest.approx(1 + 5 / 60))]  # not charging: wait
    longer = KW * (FINISH_WITHIN / HOUR) * 2
    assert spans(plan(prices, longer, now=at(0.5), charging=True))[0][0] == 1


def test_run_from_joins_back_to_back_slots():
    p = Plan(tuple(PlannedSlot(at(a), at(b), 1, 1) for a, b in ((1, 2), (2, 3), (5, 6))), 3, at(8), T0)
    assert p.run_from(T0) == (at(1), at(3))
    assert p.run_from(at(2.5)) == (at(1), at(3))
    assert p.run_from(at(3)) == (at(5), at(6))
    assert p.run_from(at(6)) is None
    assert not p.charging_at(at(3)) and p.charging_at(at(5))


def test_a_night_with_a_clock_change_is_as_long_as_it_really_is():
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2025, 3, 29, 19, tzinfo=berlin)  # 18:00 UTC
    departure = datetime(2025, 3, 30, 7, tzinfo=berlin)  # 05:00 UTC: 11 hours, not the 12 the clock shows
    prices = hourly(*[1.0] * 24, first=datetime(2025, 3, 29, 12, tzinfo=UTC))
    assert plan_cheapest(prices, now=now, departure=departure, needed_kwh=11 * KW, power_kw=KW).feasible
    short = plan_cheapest(prices, now=now, departure=departure, needed_kwh=11.5 * KW, power_kw=KW)
    assert short.shortfall_kwh == pytest.approx(0.5 * KW)
    assert all(s.start.tzinfo is UTC for s in short.slots)


@pytest.mark.parametrize("charging", [False, True])
def test_a_need_no_departure_could_meet_is_planned_without_overflowing(charging):
    p = plan(hourly(2, 1), 1e12, charging=charging)
    assert spans(p) == [(0, 1), (1, 2)] and not p.feasible
