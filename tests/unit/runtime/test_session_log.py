"""The session log: one row per charger and session, kept with care, never destroying a file it cannot read."""

import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ampeco_ev_charger.ampeco import Session, Units, parse_session
from ampeco_ev_charger.runtime.lifecycle import SessionSummary
from ampeco_ev_charger.runtime.session_export import Period
from ampeco_ev_charger.runtime.session_log import (
    HISTORY,
    LIVE,
    MAX_ROWS,
    SessionLog,
    SessionRecord,
    Totals,
    log_path,
    record_from_session,
    record_from_summary,
)

UTC = timezone.utc
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def record(session_id: str = "1", stopped: str = "2026-11-03T22:30:00", **values) -> SessionRecord:
    stop = datetime.fromisoformat(stopped).replace(tzinfo=UTC)
    return SessionRecord(
        **{
            "chargepoint_id": "ACE0549935",
            "session_id": session_id,
            "started_at": stop - timedelta(hours=2),
            "stopped_at": stop,
            "energy_kwh": 7.4,
            "cost": 18.5,
            "currency": "DKK",
        }
        | values
    )


@pytest.fixture
def log(tmp_path):
    with SessionLog(tmp_path / "apps.sessions.sqlite3") as opened:
        yield opened


def everything(log: SessionLog) -> list[SessionRecord]:
    records, problem = log.sessions(*EVER)
    assert problem is None
    return records


def open_files(path: Path) -> list[str]:
    """This process's open file descriptors on `path` (Linux)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if fd.readlink() == path:
                found.append(fd.name)
        except OSError:
            continue
    return found


def test_a_session_comes_back_as_it_was_written(log):
    written = record(
        started_at=datetime(2026, 11, 3, 21, 15, 7, 250000, tzinfo=ZoneInfo("Europe/Copenhagen")),
        price_per_kwh=2.5,
        reimbursement_eligible=True,
    )
    assert log.write([written]) is None
    assert everything(log) == [written]
    assert written.started_at.tzinfo == UTC and written.started_at.hour == 20  # kept in UTC


def test_a_new_log_is_the_owners_alone_and_an_old_one_is_made_so(tmp_path):
    path = tmp_path / "sub" / "apps.sessions.sqlite3"
    with SessionLog(path) as log:
        assert log.write([record()]) is None
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)  # as a copy or another tool may leave it
    with SessionLog(path) as log:
        assert len(everything(log)) == 1
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_session_seen_live_and_later_in_the_history_is_one_row_with_the_best_of_both(log):
    live = record(energy_kwh=7.1, cost=None, price_per_kwh=2.5, source=LIVE)
    history = record(energy_kwh=7.4, cost=18.5, reimbursement_eligible=False, source=HISTORY)
    log.write([live])
    log.write([history])
    assert everything(log) == [record(energy_kwh=7.4, cost=18.5, price_per_kwh=2.5, reimbursement_eligible=False)]
    assert everything(log)[0].source == LIVE  # the app did see it end


def test_an_older_sighting_only_fills_gaps_and_no_value_turns_into_none(log):
    log.write([record(energy_kwh=7.4, cost=18.5, currency="DKK", reimbursement_eligible=None, source=HISTORY)])
    log.write([record(energy_kwh=7.1, cost=17.75, currency=None, reimbursement_eligible=True, source=HISTORY)])
    log.write([record(energy_kwh=None, cost=None, currency=None)])
    (row,) = everything(log)
    assert (row.energy_kwh, row.cost, row.currency, row.reimbursement_eligible) == (7.4, 18.5, "DKK", True)


def test_the_sessions_of_a_month_in_a_time_zone_count_by_their_stop_ordered_by_start(log):
    copenhagen = ZoneInfo("Europe/Copenhagen")
    log.write(
        [
            record("late-october", stopped="2026-10-31T22:30:00"),  # 23:30 in Copenhagen: October
            record("first-of-november", stopped="2026-10-31T23:30:00"),  # 00:30 on 1 November in Copenhagen
            record("overnight", stopped="2026-11-02T05:00:00", started_at=datetime(2026, 10, 30, 20, tzinfo=UTC)),
            record("last", stopped="2026-11-30T22:59:59"),
            record("december", stopped="2026-11-30T23:00:00"),
            record("garage", stopped="2026-11-15T10:00:00", chargepoint_id="QNG0C18010"),
        ]
    )
    november, problem = log.sessions(*Period.month("2026-11").utc_interval(copenhagen))
    assert problem is None
    assert [r.session_id for r in november] == ["overnight", "first-of-november", "garage", "last"]
    in_utc, _ = log.sessions(*Period.month("2026-11").utc_interval(UTC))
    assert [r.session_id for r in in_utc] == ["overnight", "garage", "last", "december"]
    driveway, _ = log.sessions(*Period.days("2026-11-01", "2026-11-15").utc_interval(copenhagen), "ACE0549935")
    assert [r.session_id for r in driveway] == ["overnight", "first-of-november"]


def test_totals_per_charger_and_currency(log):
    log.write(
        [
            record("1", energy_kwh=7.4004, cost=18.505),
            record("2", energy_kwh=2.2, cost=5.0, currency="EUR"),
            record("3", energy_kwh=None, cost=None),
            record("4", chargepoint_id="QNG0C18010", energy_kwh=11.0, cost=None),
        ]
    )
    totals, problem = log.totals(*EVER)
    assert problem is None
    assert totals == {
        "ACE0549935": Totals(3, Decimal("9.600"), {"DKK": Decimal("18.51"), "EUR": Decimal("5.00")}),
        "QNG0C18010": Totals(1, Decimal("11.000"), {}),
    }
    assert log.totals(*EVER, chargepoint_id="QNG0C18010")[0].keys() == {"QNG0C18010"}


def test_the_log_is_bounded_and_prunes_the_sessions_that_stopped_first(tmp_path):
    assert MAX_ROWS == 50_000  # three sessions a day for 45 years
    with SessionLog(tmp_path / "small.sqlite3", max_rows=3) as log:
        log.write([record(str(day), stopped=f"2026-11-{day:02d}T10:00:00") for day in (5, 1, 4)])
        log.write([record(str(day), stopped=f"2026-11-{day:02d}T10:00:00") for day in (2, 6)])
        assert [r.session_id for r in everything(log)] == ["4", "5", "6"]


def test_calls_from_many_threads_share_the_log_safely(log):
    def write(worker: int) -> None:
        for n in range(20):
            assert log.write([record(f"{worker}-{n}", stopped=f"2026-11-{1 + n:02d}T{worker:02d}:00:00")]) is None
            assert log.sessions(*EVER)[1] is None

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(everything(log)) == 120


def test_close_leaves_no_connection_open_and_later_calls_are_told(tmp_path):
    path = tmp_path / "apps.sessions.sqlite3"
    log = SessionLog(path)
    log.write([record()])
    assert open_files(path)  # one connection, reused between calls
    log.close()
    assert open_files(path) == []
    assert log.write([record("2")]) == f"the session log {path} is closed (the app is stopping)"
    assert log.sessions(*EVER) == ([], f"the session log {path} is closed (the app is stopping)")
    assert open_files(path) == []


def truncated(path: Path) -> None:
    with SessionLog(path.with_name("whole.sqlite3")) as whole:
        whole.write([record(str(n), stopped=f"2026-11-03T{n:02d}:00:00") for n in range(24)])
    path.write_bytes(path.with_name("whole.sqlite3").read_bytes()[:6000])
    path.with_name("whole.sqlite3").unlink()


def other_database(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.close()


def newer_log(path: Path) -> None:
    with SessionLog(path) as log:
        log.write([record()])
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 2")
    connection.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda path: path.mkdir(), "a folder is there, not a file): something other than the log is at that path"),
        (os.mkfifo, "it is not a regular file): something other than the log is at that path"),  # never waited on
        (lambda path: path.write_bytes(os.urandom(3000)), "file is not a database): move it aside or repair it"),
        (truncated, "database disk image is malformed): move it aside or repair it"),
        (other_database, "it is not a session log): move it aside or repair it"),
        (newer_log, "a newer version of the app wrote it (format 2)): update the app"),
    ],
    ids=["a-folder", "a-fifo", "garbage", "truncated", "another-database", "a-newer-format"],
)
def test_a_file_that_cannot_be_read_is_left_as_it_is_and_said_on_every_call(tmp_path, make, says):
    path = tmp_path / "apps.sessions.sqlite3"
    make(path)
    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    log = SessionLog(path)
    for _ in range(2):
        problem = log.write([record()])
        assert problem is not None and problem.startswith(f"cannot use the session log {path} (")
        assert says in problem and "until then no session is logged" in problem
        assert log.sessions(*EVER) == ([], problem)
        assert log.totals(*EVER) == ({}, problem)
    assert {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()} == before
    assert open_files(path) == []
    # Once the owner moved it aside, the log works again without a restart.
    path.rename(tmp_path / "set-aside")
    assert log.write([record()]) is None
    assert len(everything(log)) == 1
    log.close()


def test_reading_only_never_creates_or_changes_the_file(tmp_path):
    path = tmp_path / "apps.sessions.sqlite3"
    with SessionLog(path, read_only=True) as reader:
        records, problem = reader.sessions(*EVER)
    assert records == [] and "(there is no such file)" in problem
    assert not path.exists()
    with SessionLog(path) as writer:
        writer.write([record()])
    path.chmod(0o640)
    with SessionLog(path, read_only=True) as reader:
        assert len(everything(reader)) == 1
    assert path.stat().st_mode & 0o777 == 0o640


def test_records_from_the_captured_history_and_session_answers(fixture):
    entries = fixture("session-history.json")["session_history"]
    records = [record_from_session("ACE0549935", read(entry)) for entry in entries]
    assert [(r.session_id, r.energy_kwh, r.cost, r.currency) for r in records] == [
        ("645475", pytest.approx(10.873), 19.6, "DKK"),
        ("635140", pytest.approx(7.544), 14.07, "DKK"),
        ("628936", pytest.approx(8.233), 16.27, "DKK"),
    ]
    assert all(r.source == HISTORY and r.reimbursement_eligible is False for r in records)
    assert records[0].stopped_at == datetime(2025, 3, 29, 19, 5, 56, tzinfo=UTC)
    details = record_from_session("ACE0549935", read(fixture("session-details.json")), source=LIVE)
    assert details == records[0].merged(details) and details.source == LIVE
    assert record_from_session("ACE0549935", read(fixture("session-start.json"))) is None  # still running


def test_a_summary_becomes_a_record_once_it_has_both_times():
    summary = SessionSummary("9", "2026-11-03T20:00:00+00:00", "2026-11-03T22:00:00+00:00", 7.4, 120, 18.5, "DKK")
    made = record_from_summary("ACE0549935", summary, price_per_kwh=2.5)
    assert made == record("9", "2026-11-03T22:00:00", energy_kwh=7.4, cost=18.5, price_per_kwh=2.5)
    assert record_from_summary("ACE0549935", SessionSummary("9", "2026-11-03T20:00:00+00:00")) is None


def test_a_record_needs_aware_times_finite_numbers_and_a_known_source():
    with pytest.raises(ValueError, match="time zone"):
        record(started_at=datetime(2026, 11, 3, 20))
    with pytest.raises(ValueError, match="source"):
        record(source="guess")
    with pytest.raises(ValueError, match="finite"):
        record(energy_kwh=float("inf"))


def test_the_log_lives_beside_the_memory_file():
    assert log_path(Path("/config/apps/ampeco.state.json")) == Path("/config/apps/ampeco.sessions.sqlite3")
    assert log_path(Path("/data/memory.json")) == Path("/data/memory.sessions.sqlite3")


def read(answer: dict) -> Session:
    """A session answer as the client reads it."""
    session = parse_session(answer, Units(), [])
    assert session is not None
    return session
