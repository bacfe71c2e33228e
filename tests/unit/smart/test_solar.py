from datetime import datetime, timedelta, timezone

import pytest

from ampeco_ev_charger.smart.solar import SolarOutcome, SolarTimers, follow_surplus, surplus_w

T0 = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
WPA = 690.0  # 230 V x 3 phases


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def follow(
    surplus: float,
    *,
    charging: bool = False,
    timers: SolarTimers = SolarTimers(),
    now: datetime = T0,
    keep_minimum: bool = False,
) -> SolarOutcome:
    return follow_surplus(
        surplus,
        charging=charging,
        keep_minimum=keep_minimum,
        bounds=(6, 16),
        watts_per_amp=WPA,
        start_delay=60,
        stop_delay=180,
        timers=timers,
        now=now,
    )


@pytest.mark.parametrize(
    ("grid", "car", "battery", "expected"),
    [
        (-3000, 0, None, 3000),  # exporting 3 kW, no car
        (-3000, 2000, None, 5000),  # the car's own draw is surplus it already takes
        (500, 4140, None, 3640),  # importing 500 W while the car draws 4.14 kW
        (0, 0, 1500, 1500),  # the home battery soaks up 1.5 kW: the car may take it first
        (0, 4000, -1000, 3000),  # the battery gives 1 kW: not surplus, the car must not drain it
    ],
)
def test_surplus_the_car_may_take(grid, car, battery, expected):
    assert surplus_w(grid, car, battery) == expected


def test_the_current_follows_the_surplus_in_whole_amps_rounded_down_within_the_range():
    assert follow(6899, charging=True).amps == 9
    assert follow(6900, charging=True).amps == 10
    assert follow(50_000, charging=True).amps == 16
    assert follow(4140, charging=True) == SolarOutcome(True, 6, "surplus 4.14 kW allows 6 A", "follow", SolarTimers())


def test_a_start_waits_until_the_surplus_has_covered_the_minimum_for_the_start_delay():
    first = follow(5000)
    assert (first.charge, first.code, first.timers.surplus_since, first.wake_at) == (False, "wait_start", T0, s(60))
    waiting = follow(5200, timers=first.timers, now=s(30))
    assert not waiting.charge and waiting.timers.surplus_since == T0
    started = follow(5200, timers=waiting.timers, now=s(60))
    assert (started.charge, started.amps, started.code) == (True, 7, "start")


def test_surplus_flicker_shorter_than_the_start_delay_starts_nothing():
    timers = follow(5000).timers
    timers = follow(1000, timers=timers, now=s(40)).timers  # a cloud
    assert timers == SolarTimers()
    again = follow(5000, timers=timers, now=s(70))
    assert not again.charge and again.wake_at == s(130)


def test_a_stop_waits_until_the_surplus_has_fallen_short_for_the_stop_delay_at_the_minimum_current():
    short = follow(2000, charging=True)
    assert (short.charge, short.amps, short.code, short.wake_at) == (True, 6, "wait_stop", s(180))
    assert "stopping in 3 min" in short.reason
    later = follow(2000, charging=True, timers=short.timers, now=s(179))
    assert later.charge
    stop = follow(2000, charging=True, timers=later.timers, now=s(180))
    assert (stop.charge, stop.code) == (False, "stop")


def test_a_cloud_shorter_than_the_stop_delay_does_not_stop():
    timers = follow(1000, charging=True).timers
    back = follow(8000, charging=True, timers=timers, now=s(150))
    assert back.charge and back.amps == 11 and back.timers == SolarTimers()
    assert follow(1000, charging=True, timers=back.timers, now=s(200)).wake_at == s(380)


def test_not_charging_and_short_stays_off_without_timers():
    out = follow(1000)
    assert (out.charge, out.code, out.timers, out.wake_at) == (False, "short", SolarTimers(), None)


def test_min_solar_never_stops_and_adds_surplus_above_the_minimum():
    assert follow(0, keep_minimum=True, charging=True).charge
    low = follow(-2000, keep_minimum=True)  # importing, not charging yet: start at the minimum at once
    assert (low.charge, low.amps, low.code) == (True, 6, "minimum")
    assert follow(8000, keep_minimum=True, charging=True).amps == 11


def test_no_start_delay_starts_at_once():
    out = follow_surplus(
        5000,
        charging=False,
        keep_minimum=False,
        bounds=(6, 16),
        watts_per_amp=WPA,
        start_delay=0,
        stop_delay=0,
        timers=SolarTimers(),
        now=T0,
    )
    assert out.charge and out.code == "start"
