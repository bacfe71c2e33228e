"""Times as the app shows them: a moment no clock can show is no time, never an error that stops publishing."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ampeco_ev_charger.times import iso_time

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def test_a_timestamp_or_an_aware_datetime_in_the_zone_asked_for():
    assert iso_time(1_764_000_000.4) == "2025-11-24T16:00:00+00:00"
    assert iso_time(datetime(2026, 7, 1, 12, tzinfo=timezone.utc), COPENHAGEN) == "2026-07-01T14:00:00+02:00"
    assert iso_time(None) is None


@pytest.mark.parametrize(
    "when",
    [
        float("nan"),
        float("inf"),
        -1e308,
        1e20,
        datetime(9999, 12, 31, 23, 30, tzinfo=timezone.utc),  # past the year 9999 in Copenhagen
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),  # before the year 1 in UTC
    ],
    ids=["nan", "inf", "-1e308", "1e20", "end-of-9999", "start-of-year-1"],
)
def test_a_moment_no_clock_can_show_is_no_time(when):
    assert iso_time(when, COPENHAGEN) is None
