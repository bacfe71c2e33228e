from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from ampeco_ev_charger.runtime.commands import SetMaxCurrent, StartCharging, StopCharging
from ampeco_ev_charger.smart.governor import (
    Action,
    ChargerState,
    GovernorMemory,
    Pending,
    Ruling,
    Wish,
    amps_bounds,
    govern,
)

T0 = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
IDLE = ChargerState(plugged_in=True, session_open=False, current_limit_a=16, allowed_min_a=6, allowed_max_a=16)
CHARGING = replace(IDLE, session_open=True, power_kw=11.0)


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def rule(wish: Wish, charger: ChargerState, memory: GovernorMemory = GovernorMemory(), now: datetime = T0) -> Ruling:
    return govern(wish, charger, memory, now, bounds=(6, 16), min_change_interval=300)


def test_start_when_a_car_waits_and_no_session_is_open():
    ruling = rule(Wish(True, 10), IDLE)
    assert ruling.action == Action(StartCharging.name, 10) and ruling.code == "start"
    assert ruling.memory == GovernorMemory(last_change=T0, pending=Pending(Action(StartCharging.name, 10), T0))


def test_a_start_at_the_limit_already_set_is_no_current_change():
    assert rule(Wish(True, 16), IDLE).memory.last_change is None


def test_never_a_start_while_a_session_is_open_or_without_a_car():
    assert rule(Wish(True, 16), CHARGING).action is None
    no_car = rule(Wish(True, 16), replace(IDLE, plugged_in=False))
    assert (no_car.action, no_car.reason) == (None, "no car plugged in")


def test_stop_only_with_a_session():
    assert rule(Wish(False), CHARGING).action == Action(StopCharging.name)
    idle = rule(Wish(False), IDLE)
    assert (idle.action, idle.code) == (None, "idle")


def test_nothing_at_all_while_the_api_fails():
    failing = rule(Wish(False), replace(CHARGING, api_ok=False))
    assert (failing.action, failing.code) == (None, "api_failing") and "failing" in failing.reason
    assert rule(Wish(True, 6), replace(CHARGING, current_limit_a=16, api_ok=False)).action is None


@pytest.mark.parametrize(
    ("limit", "wanted", "sent"),
    [
        (10, 11, None),
        (10, 9, None),
        (10, 10, None),  # within the deadband
        (10, 12, 12),
        (10, 8, 8),  # beyond it
        (15, 16, 16),
        (7, 6, 6),  # the range's edges always pass
        (16, 40, None),
        (8, 2, 6),  # clamped into the range first
        (None, 10, 10),  # an unknown limit is set
    ],
)
def test_deadband(limit, wanted, sent):
    ruling = rule(Wish(True, wanted), replace(CHARGING, current_limit_a=limit))
    assert ruling.action == (None if sent is None else Action(SetMaxCurrent.name, sent))


def test_no_amps_wished_leaves_the_limit_alone():
    assert rule(Wish(True), replace(CHARGING, current_limit_a=6)).action is None


def test_at_most_one_current_change_per_interval():
    memory = rule(Wish(True, 10), CHARGING).memory
    charger = replace(CHARGING, current_limit_a=10)
    waiting = rule(Wish(True, 14), charger, memory, now=minutes(4))
    assert (waiting.action, waiting.code, waiting.wake_at) == (None, "interval", minutes(5))
    assert "one change per 5 min" in waiting.reason
    changed = rule(Wish(True, 14), charger, memory, now=minutes(5))
    assert changed.action == Action(SetMaxCurrent.name, 14) and changed.memory.last_change == minutes(5)


def test_the_interval_does_not_hold_back_a_stop_or_a_start():
    memory = GovernorMemory(last_change=T0)
    assert rule(Wish(False), CHARGING, memory, now=minutes(1)).action == Action(StopCharging.name)
    assert rule(Wish(True, 8), IDLE, memory, now=minutes(1)).action == Action(StartCharging.name, 8)


def test_nothing_more_until_the_charger_shows_the_last_command():
    memory = rule(Wish(True, 16), IDLE).memory
    waiting = rule(Wish(True, 16), IDLE, memory, now=minutes(1))
    assert (waiting.action, waiting.code, waiting.wake_at) == (None, "pending", minutes(2))
    assert rule(Wish(False), IDLE, memory, now=minutes(1)).action is None  # nothing to stop yet either
    shown = rule(Wish(True, 16), CHARGING, memory, now=minutes(1))
    assert shown.action is None and shown.memory.pending is None


def test_a_command_that_never_shows_is_sent_again_less_and_less_often():
    memory = rule(Wish(True, 16), IDLE).memory
    again = rule(Wish(True, 16), IDLE, memory, now=minutes(2))
    assert again.action == Action(StartCharging.name, 16) and again.memory.pending == Pending(
        Action(StartCharging.name, 16), minutes(2), 2
    )
    assert "did not show" in again.reason
    assert rule(Wish(True, 16), IDLE, again.memory, now=minutes(5)).action is None  # waits 4 min now
    assert Pending(Action(StartCharging.name, 16), T0, attempts=20).settled_at == minutes(30)


def test_a_different_command_after_the_wait_counts_from_one():
    memory = rule(Wish(False), CHARGING).memory
    other = rule(Wish(True, 10), replace(CHARGING, current_limit_a=16), memory, now=minutes(3))
    assert other.action == Action(SetMaxCurrent.name, 10) and other.memory.pending.attempts == 1


@pytest.mark.parametrize(
    ("cap", "low", "high", "expected"),
    [
        (None, None, None, (6, 32)),
        (None, 6, 16, (6, 16)),
        (10, 6, 16, (6, 10)),
        (20, 6, 16, (6, 16)),
        (None, 0, 32.0, (6, 32)),
        (None, 7.5, 15.9, (8, 15)),
        (6, 8, 16, (8, 8)),
    ],
)
def test_amps_bounds(cap, low, high, expected):
    assert amps_bounds(cap, replace(IDLE, allowed_min_a=low, allowed_max_a=high)) == expected


def test_actions_read_as_words():
    assert [
        str(a)
        for a in (
            Action(StartCharging.name, 16),
            Action(StartCharging.name),
            Action(StopCharging.name),
            Action(SetMaxCurrent.name, 8),
        )
    ] == [
        "start at 16 A",
        "start",
        "stop",
        "set the current to 8 A",
    ]
