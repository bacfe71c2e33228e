"""The simulated day of the issue, on a virtual clock (see day.py): the figures are in docs/guide/smart-charging.md."""

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from ampeco_ev_charger.runtime.commands import StartCharging, StopCharging
from harness.smart_day import CLOUDS, CONFIG, MIN_A, PHASES, PRICE, VOLTS, Day, at, cheapest_night, simulate, solar_day

MIN_POWER_W = MIN_A * VOLTS * PHASES


@pytest.fixture(scope="module")
def night() -> tuple[Day, Day]:
    return cheapest_night()


@pytest.fixture(scope="module")
def sunny() -> tuple[Day, Day]:
    return solar_day()


def assert_governed(day: Day) -> None:
    """No command in a state where it did nothing, and current changes at most one per interval."""
    assert day.pointless == []
    changes = day.current_changes
    assert all(b - a >= timedelta(seconds=CONFIG.min_change_interval) for a, b in itertools.pairwise(changes))


def test_cheapest_delivers_the_target_by_the_departure_in_the_cheap_night(night):
    cheapest, at_once = night
    assert round(cheapest.energy_by(at(7, days=1)), 3) >= 20.0
    assert cheapest.energy_kwh == pytest.approx(20.0, abs=0.1)  # stops at the target, the car would take more
    assert at_once.energy_kwh == pytest.approx(20.0)
    charged = [s.at for s in cheapest.samples if s.power_kw > 0]
    assert at(2, days=1) <= charged[0] and charged[-1] < at(4, days=1)  # the cheapest hours: 02:00 to 04:00


def test_cheapest_costs_a_fraction_of_charging_at_once(night):
    cheapest, at_once = night
    assert cheapest.cost < 0.2 * at_once.cost
    assert cheapest.cost == pytest.approx(20 * 0.0618, rel=0.02)  # 0.0665 and 0.057 tomorrow, 20 kWh


def test_cheapest_charges_in_one_session_without_a_pointless_command(night):
    cheapest, at_once = night
    assert (cheapest.starts, cheapest.stops, len(cheapest.current_changes)) == (1, 1, 0)
    assert (at_once.starts, at_once.stops) == (1, 0)
    assert_governed(cheapest)
    assert_governed(at_once)


def test_solar_charges_on_surplus_and_passing_clouds_cost_no_session(sunny):
    solar, _ = sunny
    assert solar.energy_kwh > 30 and solar.grid_kwh < 0.05 * solar.energy_kwh
    long_clouds = [c for c in CLOUDS if c[1] * 60 > CONFIG.stop_delay]
    assert solar.stops <= len(long_clouds) + 1  # and once at dusk
    assert solar.starts == solar.stops
    for cloud_start, minutes, _ in CLOUDS:
        if minutes * 60 < CONFIG.stop_delay:
            begin = datetime.combine(at(0).date(), cloud_start, at(0).tzinfo)
            assert not any(
                begin <= s.at <= begin + timedelta(minutes=10) for s in solar.sent if s.action.name == StopCharging.name
            )


def test_solar_starts_and_stops_only_after_their_delays(sunny):
    solar, _ = sunny
    by_time = {s.at: s.surplus_w for s in solar.samples}
    for sent in solar.sent:
        if sent.action.name == StartCharging.name:
            window = [w for t, w in by_time.items() if sent.at - timedelta(seconds=CONFIG.start_delay) <= t <= sent.at]
            assert min(window) >= MIN_POWER_W
        if sent.action.name == StopCharging.name:
            window = [w for t, w in by_time.items() if sent.at - timedelta(seconds=CONFIG.stop_delay) <= t <= sent.at]
            assert max(window) < MIN_POWER_W


def test_solar_commands_are_bounded_by_the_governor(sunny):
    solar, min_solar = sunny
    plugged_s = (at(18, 30) - at(8)).total_seconds()
    for day in (solar, min_solar):
        assert_governed(day)
        assert len(day.current_changes) <= plugged_s / CONFIG.min_change_interval
    assert len(solar.sent) < 40 and len(min_solar.sent) < 40


def test_min_solar_never_stops_and_charges_more_from_the_grid(sunny):
    solar, min_solar = sunny
    assert (min_solar.starts, min_solar.stops) == (1, 0)
    assert min_solar.energy_kwh > solar.energy_kwh and min_solar.grid_kwh > solar.grid_kwh
    assert all(s.power_kw >= MIN_POWER_W / 1000 for s in min_solar.samples if at(8, 1) <= s.at < at(18, 30))


def test_an_outage_and_a_home_assistant_restart_in_the_night_lose_nothing():
    def price_sensor_restarting(now: datetime, states: dict[str, Any]) -> None:
        if at(1, 50, days=1) <= now < at(2, 30, days=1):
            states[PRICE] = {"state": "unavailable", "attributes": {}}

    day = simulate(
        "cheapest",
        start=at(1, days=1),
        end=at(7, days=1),
        plugged=(at(1, days=1), at(8, days=1)),
        car_needs_kwh=35.0,
        api_down=(at(2, days=1), at(2, 20, days=1)),
        inputs_hook=price_sensor_restarting,
    )
    assert round(day.energy_by(at(7, days=1)), 3) >= 20.0
    assert all(not at(2, days=1) <= s.at < at(2, 20, days=1) for s in day.sent)
    assert day.pointless == [] and day.starts <= 2
