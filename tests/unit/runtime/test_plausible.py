"""Readings that cannot be true are dropped, by the charger's own limits and by physics."""

import pytest

from ampeco_ev_charger.ampeco import ChargePoint, Evse, Session
from ampeco_ev_charger.runtime import plausible
from ampeco_ev_charger.runtime.lifecycle import Memory
from ampeco_ev_charger.runtime.plausible import Limits

NOW = 1_764_000_000.0
STARTED = "2025-11-24T15:00:00+00:00"  # 1 h before NOW
CP = ChargePoint("CP", max_current_a=16, allowed_max_current_a=16, allowed_max_power_kw=11.1)
EVSE = Evse("1", max_power_kw=11.0)


def session(**numbers: float | None) -> Session:
    return Session("s1", started_at=STARTED, **numbers)


def test_the_limits_come_from_the_charger_where_it_says_them_and_from_physics_where_not():
    assert Limits.of(CP, EVSE) == Limits(kw=11.1, amps=16)
    assert Limits.of(None, None) == Limits(kw=plausible.PHYSICS_MAX_KW, amps=plausible.PHYSICS_MAX_A)
    absurd = ChargePoint("CP", allowed_max_current_a=1e30, allowed_max_power_kw=-3)
    assert Limits.of(absurd, Evse("1", max_power_kw=5e6)) == Limits(plausible.PHYSICS_MAX_KW, plausible.PHYSICS_MAX_A)


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        ({"energy_kwh": -5.0}, "session.energy"),
        ({"energy_kwh": 1e12}, "session.energy"),
        ({"energy_kwh": 20.0}, "session.energy"),  # 11.1 kW for an hour cannot make 20 kWh
        ({"power_kw": 5e6}, "session.power_kw"),
        ({"power_avg_kw": -1.0}, "session.power_avg_kw"),
        ({"duration_s": -600.0}, "session.duration"),
        ({"duration_s": 1e12}, "session.duration"),
    ],
)
def test_an_impossible_session_number_keeps_the_same_sessions_last_good_one(numbers, field):
    before = session(energy_kwh=9.5, power_kw=7.0, power_avg_kw=6.0, duration_s=3500.0)
    checked, dropped = plausible.session_numbers(session(**numbers), before, Limits(11.1, 16), NOW)
    assert [d.field for d in dropped] == [field]
    name = {"session.energy": "energy_kwh", "session.duration": "duration_s"}.get(field, field.split(".")[1])
    assert getattr(checked, name) == getattr(before, name)
    other, _ = plausible.session_numbers(session(**numbers), Session("other", energy_kwh=1.0), Limits(11.1, 16), NOW)
    assert getattr(other, name) is None  # another session's value is no value for this one


def test_what_the_charger_can_deliver_in_the_time_is_taken_as_it_comes():
    fine, dropped = plausible.session_numbers(session(energy_kwh=11.0, power_kw=11.4), None, Limits(11.1, 16), NOW)
    assert dropped == [] and (fine.energy_kwh, fine.power_kw) == (11.0, 11.4)


def test_a_value_about_1000_times_too_large_names_the_units_setting():
    _, dropped = plausible.session_numbers(session(power_kw=7400.0), None, Limits(11.1, 16), NOW)
    assert "check `units`" in dropped[0].why


def test_the_charge_points_own_numbers():
    reading = ChargePoint("CP", max_current_a=1e30, allowed_max_current_a=16, tax_percent=250)
    checked, dropped = plausible.charge_point(reading, CP)
    assert (checked.max_current_a, checked.tax_percent) == (16, None)
    assert {d.field for d in dropped} == {"charge_point.max_current_a", "charge_point.tax_percent"}


def test_the_meter_never_goes_down_and_never_outruns_the_charger():
    memory = Memory(ended_energy_kwh=10.0)
    memory.advance_meter(NOW, 11.0)
    assert memory.meter == 10.0  # the first reading is taken as it is
    memory.ended_energy_kwh = 40.0  # sessions found in the history after an outage
    memory.advance_meter(NOW + 600, 11.0)
    assert memory.meter == pytest.approx(10.0 + 11.0 / 6)  # ten minutes at 11 kW, no lump
    memory.ended_energy_kwh = 5.0
    memory.advance_meter(NOW + 1200, 11.0)
    assert memory.meter == pytest.approx(10.0 + 11.0 / 6)  # never down
    memory.ended_energy_kwh = 40.0
    memory.advance_meter(NOW + 24 * 3600, 11.0)
    assert memory.meter == 40.0
