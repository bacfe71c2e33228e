"""A session's energy in the clock hours it was delivered, from its power curve or spread evenly."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ampeco_ev_charger.ampeco import PowerSample, Units, parse_session
from ampeco_ev_charger.runtime.hourly import hourly_energy
from ampeco_ev_charger.runtime.session_log import parse_utc

UTC = timezone.utc


def hourly(start: datetime, stop: datetime, energy_kwh: float, curve: object = None) -> dict[datetime, float]:
    """The placement of a session whose details answer carries `curve` as `powerStats.history`, as the client
    reads it."""
    answer = {"id": "s", "powerStats": {"history": curve}}
    session = parse_session(answer, Units(), [])
    assert session is not None
    return hourly_energy(start, stop, energy_kwh, session.power_history)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wh(hours: dict[datetime, float]) -> dict[str, int]:
    """The placement as whole Wh per hour, keyed by the hour's UTC time, for exact comparisons."""
    return {f"{hour:%m-%d %H}": round(kwh * 1000) for hour, kwh in hours.items()}


def test_the_captured_curve_places_its_energy_in_the_hours_it_was_charged(fixture):
    """The captured session ran three days, but smart charging put the car on from 23:00 to 02:40: the
    energy belongs to those four hours, and they add up to the session's 10 873 Wh exactly."""
    session = fixture("session-details.json")["session"]
    hours = hourly(
        parse_utc(session["startedAt"]),
        parse_utc(session["stoppedAt"]),
        session["energy"] / 1000,
        session["powerStats"]["history"],
    )
    assert wh(hours) == {"03-26 23": 3427, "03-27 00": 3496, "03-27 01": 3114, "03-27 02": 836}
    assert sum(wh(hours).values()) == session["energy"]
    assert all(hour.tzinfo == UTC and hour.minute == hour.second == 0 for hour in hours)


def test_repeated_and_shuffled_points_place_the_same(fixture):
    session = fixture("session-details.json")["session"]
    curve = session["powerStats"]["history"]
    messy = curve + random.Random(7).sample(curve, 40)
    random.Random(8).shuffle(messy)
    args = (parse_utc(session["startedAt"]), parse_utc(session["stoppedAt"]), 10.873)
    assert hourly(*args, messy) == hourly(*args, curve)


def test_the_curves_unit_does_not_matter_only_its_shape():
    curve_kw = [
        {"value": 7.4, "timestamp": "2026-11-03T21:30:00Z"},
        {"value": 3.7, "timestamp": "2026-11-03T22:00:00Z"},
    ]
    curve_w = [{"value": str(point["value"] * 1000), "timestamp": point["timestamp"]} for point in curve_kw]
    args = (at("2026-11-03T21:30:00"), at("2026-11-03T22:30:00"), 5.55)
    assert (
        hourly(*args, curve_kw)
        == hourly(*args, curve_w)
        == {
            at("2026-11-03T21:00:00"): 3.7,
            at("2026-11-03T22:00:00"): 1.85,
        }
    )


@pytest.mark.parametrize(
    "curve",
    [
        None,
        [],
        "not a list",
        [{"value": 11, "timestamp": "2026-11-03T10:45:00Z"}],
        [{"value": 0, "timestamp": "2026-11-03T10:45:00Z"}, {"value": 0, "timestamp": "2026-11-03T11:00:00Z"}],
        [{"value": 11, "timestamp": "2026-11-02T10:00:00Z"}, {"value": 11, "timestamp": "2026-11-02T11:00:00Z"}],
        [{"value": "n/a", "timestamp": "soon"}, 42, {"value": 3}, {"timestamp": "2026-11-03T11:00:00Z"}],
    ],
    ids=["none", "empty", "not-a-list", "one-point", "all-zero", "outside-the-session", "unreadable"],
)
def test_without_a_usable_curve_the_energy_is_spread_evenly(curve):
    hours = hourly(at("2026-11-03T10:30:00"), at("2026-11-03T12:30:00"), 2.0, curve)
    assert wh(hours) == {"11-03 10": 500, "11-03 11": 1000, "11-03 12": 500}


def test_the_hours_are_whole_wh_that_add_up_to_the_energy():
    """1 kWh over three equal hours is 334 + 333 + 333 Wh, never 333.33 three times (999.99 Wh)."""
    hours = hourly(at("2026-11-03T00:00:00"), at("2026-11-03T03:00:00"), 1.0)
    assert wh(hours) == {"11-03 00": 334, "11-03 01": 333, "11-03 02": 333}


def test_an_instant_session_and_an_empty_one():
    assert wh(hourly(at("2026-11-03T10:59:59"), at("2026-11-03T10:59:59"), 0.2)) == {"11-03 10": 200}
    assert hourly(at("2026-11-03T10:00:00"), at("2026-11-03T12:00:00"), 0.0) == {}
    assert hourly(at("2026-11-03T10:00:00"), at("2026-11-03T12:00:00"), 0.0004) == {}


def test_times_in_any_zone_give_utc_hours():
    copenhagen = timezone(timedelta(hours=1))
    start = datetime(2026, 11, 3, 23, 30, tzinfo=copenhagen)
    hours = hourly(start, start + timedelta(hours=1), 1.0)
    assert list(hours) == [at("2026-11-03T22:00:00"), at("2026-11-03T23:00:00")]


@pytest.mark.parametrize(
    ("start", "stop", "energy", "message"),
    [
        (datetime(2026, 11, 3, 10), at("2026-11-03T11:00:00"), 1.0, "time zone"),
        (at("2026-11-03T11:00:00"), at("2026-11-03T10:00:00"), 1.0, "before it starts"),
        (at("2026-11-03T10:00:00"), at("2026-11-03T11:00:00"), -1.0, "not below 0"),
        (at("2026-11-03T10:00:00"), at("2026-11-03T11:00:00"), float("nan"), "finite"),
        (at("1970-01-01T00:00:00"), at("2026-11-03T11:00:00"), 10.0, "20760 days is no charging session"),
        (at("9999-12-31T23:10:00"), at("9999-12-31T23:50:00"), 5.0, "at the end of the calendar"),
    ],
)
def test_impossible_sessions_are_refused(start, stop, energy, message):
    with pytest.raises(ValueError, match=message):
        hourly(start, stop, energy)


def test_a_curve_point_at_the_calendars_end_never_overflows():
    """The last point holds for a typical gap, but never past the session's stop (here: past the year 9999)."""
    start, stop = at("9999-12-31T00:00:00"), at("9999-12-31T21:50:00")
    curve = [PowerSample("9999-12-31T00:00:00+00:00", 7.0), PowerSample("9999-12-31T21:50:00+00:00", 7.0)]
    hours = hourly_energy(start, stop, 22.0, curve)
    assert len(hours) == 22 and round(sum(hours.values()), 3) == 22.0


_START = datetime(2026, 3, 28, tzinfo=UTC)
points = st.fixed_dictionaries(
    {
        "value": st.one_of(st.floats(-2, 22), st.integers(0, 22000), st.just("3.48"), st.none()),
        "timestamp": st.integers(-4 * 3600, 80 * 3600).map(
            lambda s: (_START + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        ),
    }
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    start_s=st.integers(0, 24 * 3600),
    duration_s=st.integers(0, 72 * 3600),
    energy_wh=st.integers(0, 150_000),
    curve=st.one_of(st.none(), st.lists(points, max_size=60)),
)
def test_the_hours_are_never_negative_add_up_and_lie_within_the_session(start_s, duration_s, energy_wh, curve):
    start = _START + timedelta(seconds=start_s)
    stop = start + timedelta(seconds=duration_s)
    hours = hourly(start, stop, energy_wh / 1000, curve)
    assert all(kwh > 0 for kwh in hours.values())
    assert sum(round(kwh * 1000) for kwh in hours.values()) == energy_wh
    assert sum(hours.values()) == pytest.approx(energy_wh / 1000, abs=1e-9)
    first = start.replace(minute=0, second=0)
    assert all(first <= hour <= stop and hour.minute == hour.second == 0 for hour in hours)
    assert list(hours) == sorted(hours)
