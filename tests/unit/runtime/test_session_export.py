"""A month's sessions as a CSV file a spreadsheet opens as it is, and the days a user names as UTC intervals."""

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import pytz

from ampeco_ev_charger.runtime.session_export import (
    HEADER,
    LogUnreadable,
    Period,
    csv_bytes,
    export,
    file_name,
    utc_interval,
)
from ampeco_ev_charger.runtime.session_log import SessionLog, SessionRecord, Totals

UTC = timezone.utc
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def record(session_id: str, start: str, stop: str, **values) -> SessionRecord:
    defaults = {"energy_kwh": 7.4, "cost": 18.5, "currency": "DKK", "price_per_kwh": 2.5}
    return SessionRecord("ACE0549935", session_id, utc(start), utc(stop), **defaults | values)


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("month", "start", "end", "hours"),
    [
        ("2026-11", "2026-10-31T23:00:00", "2026-11-30T23:00:00", 720),
        ("2026-03", "2026-02-28T23:00:00", "2026-03-31T22:00:00", 743),  # clocks go forward on the 29th
        ("2026-10", "2026-09-30T22:00:00", "2026-10-31T23:00:00", 745),  # and back on the 25th
        ("2026-12", "2026-11-30T23:00:00", "2026-12-31T23:00:00", 744),
    ],
)
def test_a_month_in_copenhagen_is_its_days_on_copenhagens_clocks(month, start, end, hours):
    interval = utc_interval(month, COPENHAGEN)
    assert interval == (utc(start), utc(end))
    assert interval[1] - interval[0] == timedelta(hours=hours)


def test_appdaemons_pytz_zone_gives_the_same_interval_as_zoneinfo():
    for month in ("2026-03", "2026-10", "2026-11"):
        assert utc_interval(month, pytz.timezone("Europe/Copenhagen")) == utc_interval(month, COPENHAGEN)


def test_two_dates_are_both_included():
    assert utc_interval(("2026-03-29", "2026-03-29"), COPENHAGEN) == (
        utc("2026-03-28T23:00:00"),
        utc("2026-03-29T22:00:00"),  # the day the clocks go forward has 23 hours
    )
    assert Period.days(date(2026, 11, 1), "2026-11-15") == Period(
        date(2026, 11, 1), date(2026, 11, 15), "2026-11-01_2026-11-15"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Period.month("2026-13"), "2026-13 is not a month: the month is 01 to 12"),
        (lambda: Period.month("2026-00"), "2026-00 is not a month: the month is 01 to 12"),
        (lambda: Period.month("abc"), "'abc' is not a month: write it as YYYY-MM, for example 2026-11"),
        (lambda: Period.month("2026-1"), "write it as YYYY-MM"),
        (lambda: Period.month("0000-05"), "the year starts at 0001"),
        (
            lambda: Period.days("2026-11-15", "2026-11-01"),
            "the end date 2026-11-01 is before the start date 2026-11-15",
        ),
        (
            lambda: Period.days("2026-11-31", "2026-12-01"),
            "the start date '2026-11-31' is not a date: write it as YYYY-MM-DD",
        ),
        (lambda: Period.days("2026-11-01", "20261115"), "the end date '20261115' is not a date"),
        (lambda: utc_interval("9999-12", COPENHAGEN), "9999-12 is outside the years this can handle"),
    ],
)
def test_what_is_not_a_month_or_a_span_of_days_is_refused_saying_what_to_write(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize(
    "call", [lambda: Period.month("x" * 100_000), lambda: Period.days("1" * 100_000, "2026-11-01")]
)
def test_a_huge_period_is_refused_in_a_short_answer(call):
    with pytest.raises(ValueError, match="write it as") as caught:
        call()
    assert len(str(caught.value)) < 200


def test_the_csv_opens_in_a_spreadsheet_as_it_is():
    data = csv_bytes(
        [
            record("2", "2026-11-05T17:00:00", "2026-11-05T19:30:00", energy_kwh=10.8735, cost=19.6),
            record(
                "1",
                "2026-11-03T20:15:07",
                "2026-11-03T22:00:00",
                energy_kwh=None,
                cost=None,
                currency=None,
                price_per_kwh=None,
                reimbursement_eligible=True,
            ),
            SessionRecord(
                'Åbyhøj, "the barn"',
                "3",
                utc("2026-11-06T10:00:00"),
                utc("2026-11-06T11:00:00"),
                1.0,
                2.0,
                "EUR",
                1.068,
                False,
            ),
        ],
        COPENHAGEN,
    )
    assert data.startswith(b"\xef\xbb\xbfcharger,session,start,end,energy_kwh,")  # UTF-8 with a BOM: Excel reads Åbyhøj
    assert data.count(b"\r\n") == 4 and data.count(b"\n") == 4  # RFC 4180 line ends
    assert rows(data) == [
        list(HEADER),
        ["ACE0549935", "1", "2026-11-03T21:15:07+01:00", "2026-11-03T23:00:00+01:00", "", "", "", "", "yes"],
        [
            "ACE0549935",
            "2",
            "2026-11-05T18:00:00+01:00",
            "2026-11-05T20:30:00+01:00",
            "10.874",
            "19.60",
            "DKK",
            "2.5",
            "",
        ],
        [
            'Åbyhøj, "the barn"',
            "3",
            "2026-11-06T11:00:00+01:00",
            "2026-11-06T12:00:00+01:00",
            "1.000",
            "2.00",
            "EUR",
            "1.068",
            "no",
        ],
    ]
    assert '"Åbyhøj, ""the barn"""'.encode() in data  # quoted, its quotes doubled


def test_summer_times_carry_summer_offsets():
    data = csv_bytes([record("1", "2026-03-29T00:30:00", "2026-03-29T01:30:00")], COPENHAGEN)
    assert rows(data)[1][2:4] == ["2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"]


def test_the_same_sessions_always_give_the_same_bytes():
    sessions = [record(str(n), f"2026-11-{n:02d}T20:00:00", f"2026-11-{n:02d}T22:00:00") for n in range(1, 20)]
    assert csv_bytes(sessions, COPENHAGEN) == csv_bytes(list(reversed(sessions)), COPENHAGEN)


@pytest.fixture
def log(tmp_path):
    with SessionLog(tmp_path / "apps.sessions.sqlite3") as opened:
        opened.write(
            [
                record("october", "2026-10-31T20:00:00", "2026-10-31T22:59:00"),  # 23:59 in Copenhagen
                record("1", "2026-10-31T22:00:00", "2026-10-31T23:30:00", energy_kwh=10.8734, cost=19.604),
                record("2", "2026-11-12T17:00:00", "2026-11-12T19:00:00", energy_kwh=2.2, cost=5.0, currency="EUR"),
                SessionRecord(
                    "QNG0C18010", "3", utc("2026-11-20T21:00:00"), utc("2026-11-21T05:00:00"), 30.0, 66.0, "DKK"
                ),
            ]
        )
        yield opened


def test_a_months_export_is_written_under_a_stable_name_with_its_totals(tmp_path, log):
    done = export(log, Period.month("2026-11"), tmp_path / "reports", COPENHAGEN)
    assert done.path == tmp_path / "reports" / "ampeco_sessions_2026-11.csv"
    assert [row[1] for row in rows(done.path.read_bytes())[1:]] == ["1", "2", "3"]
    assert done.totals == Totals(3, Decimal("43.073"), {"DKK": Decimal("85.60"), "EUR": Decimal("5.00")})
    assert sorted(p.name for p in done.path.parent.iterdir()) == ["ampeco_sessions_2026-11.csv"]  # no temp file left


def test_exporting_a_month_again_gives_an_identical_file(tmp_path, log):
    first = export(log, Period.month("2026-11"), tmp_path, COPENHAGEN).path.read_bytes()
    log.write([record("1", "2026-10-31T22:00:00", "2026-10-31T23:30:00", energy_kwh=10.8734, cost=19.604)])
    assert export(log, Period.month("2026-11"), tmp_path, COPENHAGEN).path.read_bytes() == first


def test_one_chargers_export_and_some_days(tmp_path, log):
    garage = export(log, Period.month("2026-11"), tmp_path, COPENHAGEN, "QNG0C18010")
    assert garage.path.name == "ampeco_sessions_2026-11_qng0c18010.csv"
    assert [row[0] for row in rows(garage.path.read_bytes())[1:]] == ["QNG0C18010"]
    days = export(log, Period.days("2026-10-31", "2026-11-01"), tmp_path, COPENHAGEN)
    assert days.path.name == "ampeco_sessions_2026-10-31_2026-11-01.csv"
    assert days.totals.sessions == 2
    assert file_name(Period.month("2026-11"), "Åbyhøj 1") == "ampeco_sessions_2026-11__byh_j_1.csv"


def test_a_month_without_sessions_is_a_header_alone(tmp_path, log):
    done = export(log, Period.month("2027-01"), tmp_path, COPENHAGEN)
    assert rows(done.path.read_bytes()) == [list(HEADER)]
    assert done.totals == Totals()


def test_an_unreadable_log_writes_nothing_and_says_why(tmp_path):
    path = tmp_path / "apps.sessions.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with SessionLog(path) as log, pytest.raises(LogUnreadable, match="file is not a database"):
        export(log, Period.month("2026-11"), tmp_path / "reports", COPENHAGEN)
    assert not (tmp_path / "reports").exists()


def test_a_folder_that_cannot_be_written_is_an_os_error(tmp_path, log):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(FileExistsError):
        export(log, Period.month("2026-11"), tmp_path / "a-file", COPENHAGEN)
