"""Every finished session of the account's chargers, kept for the monthly list an employer asks for.

Company-car drivers are reimbursed per kWh charged at home. The app announces each session once and the
cloud's history is paged by date, so the app keeps its own log: SQLite (the standard library's) beside the
memory file, one row per charger and session. A session seen live and later in the history is one row.

The log may hold years that exist nowhere else, so it gets the memory file's care and more: the file is the
owner's alone (0600), and a file that cannot be read is never replaced, moved or deleted. The log then says
what is wrong (the file, and what to do) on every call, writes nothing until it can be read again, and never
raises its trouble into the caller. Calls are synchronous, for a worker thread; they share one connection.
"""

import contextlib
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ..ampeco import Session
from .lifecycle import SessionSummary, summarize

LIVE = "live"  # the app saw the session end itself
HISTORY = "history"  # only the cloud's session history had it (an outage, a restart, before the app watched)
MAX_ROWS = 50_000  # three sessions a day for 45 years; beyond it the sessions that stopped first are pruned
SCHEMA_VERSION = 1

_T = TypeVar("_T")
# The table's columns in their order: what `SELECT *` gives and `INSERT ... VALUES` takes.
_COLUMNS = (
    "chargepoint_id",
    "session_id",
    "started_at",
    "stopped_at",
    "energy_kwh",
    "cost",
    "currency",
    "price_per_kwh",
    "reimbursement_eligible",
    "source",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions (
    chargepoint_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    started_at TEXT NOT NULL,  -- ISO 8601 in UTC, to the microsecond: compares as text
    stopped_at TEXT NOT NULL,
    energy_kwh REAL,
    cost REAL,
    currency TEXT,
    price_per_kwh REAL,
    reimbursement_eligible INTEGER,
    source TEXT NOT NULL,
    PRIMARY KEY (chargepoint_id, session_id)
);
CREATE INDEX IF NOT EXISTS sessions_by_stop ON sessions (stopped_at);
CREATE TABLE IF NOT EXISTS hours (  -- each session's energy in the clock hours it was delivered
    chargepoint_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    hour TEXT NOT NULL,  -- the hour's start, ISO 8601 in UTC
    energy_kwh REAL NOT NULL,
    PRIMARY KEY (chargepoint_id, session_id, hour)
);
PRAGMA user_version = {SCHEMA_VERSION};
"""
_IN_RANGE = (
    "SELECT * FROM sessions WHERE stopped_at >= ? AND stopped_at < ? AND (? IS NULL OR chargepoint_id = ?) "
    "ORDER BY started_at, chargepoint_id, session_id"
)
_ONE = "SELECT * FROM sessions WHERE chargepoint_id = ? AND session_id = ?"
_PUT = "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HOURS_OFF = "DELETE FROM hours WHERE chargepoint_id = ? AND session_id = ?"
_HOUR_PUT = "INSERT INTO hours VALUES (?, ?, ?, ?)"
_HOURLY = "SELECT hour, sum(energy_kwh) FROM hours WHERE chargepoint_id = ? AND hour >= ? GROUP BY hour ORDER BY hour"
_BEFORE = "SELECT coalesce(sum(energy_kwh), 0) FROM hours WHERE chargepoint_id = ? AND hour < ?"
_HOURS_PRUNE = (
    "DELETE FROM hours WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.chargepoint_id = "
    "hours.chargepoint_id AND s.session_id = hours.session_id)"
)
# Keeps the `max_rows` sessions that stopped last.
_PRUNE = (
    "DELETE FROM sessions WHERE rowid IN "
    "(SELECT rowid FROM sessions ORDER BY stopped_at DESC, started_at DESC LIMIT -1 OFFSET ?)"
)


def parse_utc(value: object) -> datetime | None:
    """An AMPECO time ("2025-03-26T20:51:41+00:00", "2025-03-26T23:00:42.000000Z") in UTC; None when it is
    not one. A time without an offset is UTC, as the API's are."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # not a time, or one that leaves the calendar in UTC
        return None


@dataclass(frozen=True)
class SessionRecord:
    """One finished session as the log keeps it; times are converted to UTC, and must carry a zone."""

    chargepoint_id: str
    session_id: str
    started_at: datetime
    stopped_at: datetime
    energy_kwh: float | None = None
    cost: float | None = None
    currency: str | None = None
    price_per_kwh: float | None = None  # the tariff's price on the EVSE when the app saw the session
    reimbursement_eligible: bool | None = None  # the session's `reimbursementEligibility`
    source: str = LIVE
    # Its energy in the clock hours it was delivered (hour start in UTC, kWh); kept beside the row.
    hours: tuple[tuple[datetime, float], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for name in ("started_at", "stopped_at"):
            moment: datetime = getattr(self, name)
            if moment.utcoffset() is None:
                raise ValueError(f"{name} must carry its time zone")
            object.__setattr__(self, name, moment.astimezone(timezone.utc))
        for name in ("energy_kwh", "cost", "price_per_kwh"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise ValueError(f"{name} must be a finite number or None, not {number!r}")
        if self.source not in (LIVE, HISTORY):
            raise ValueError(f"source must be {LIVE!r} or {HISTORY!r}, not {self.source!r}")

    def merged(self, newer: "SessionRecord") -> "SessionRecord":
        """This row with a later sighting of the same session. The sighting with at least as much energy is
        the more complete one: its values win, the other's fill its gaps; a known value never becomes None.
        `live` sticks: the app did see the session."""
        ahead = self.energy_kwh is None or (newer.energy_kwh is not None and newer.energy_kwh >= self.energy_kwh)
        first, second = (newer, self) if ahead else (self, newer)
        values: dict[str, Any] = {f.name: _first(getattr(first, f.name), getattr(second, f.name)) for f in fields(self)}
        values["hours"] = first.hours  # they share out its energy (a row read back has them in the table)
        return SessionRecord(**values | {"source": LIVE if LIVE in (self.source, newer.source) else HISTORY})


def _first(a: object, b: object) -> object:
    return b if a is None else a


def record_from_summary(
    chargepoint_id: str,
    summary: SessionSummary,
    *,
    source: str = LIVE,
    price_per_kwh: float | None = None,
    reimbursement_eligible: bool | None = None,
) -> SessionRecord | None:
    """A `SessionEnded`'s session as a row; None when it lacks its start or stop time."""
    started, stopped = parse_utc(summary.started_at), parse_utc(summary.stopped_at)
    if started is None or stopped is None:
        return None
    return SessionRecord(
        chargepoint_id=chargepoint_id,
        session_id=summary.id,
        started_at=started,
        stopped_at=stopped,
        energy_kwh=summary.energy_kwh,
        cost=summary.amount,
        currency=summary.currency,
        price_per_kwh=price_per_kwh,
        reimbursement_eligible=reimbursement_eligible,
        source=source,
    )


def record_from_session(
    chargepoint_id: str, session: Session, *, source: str = HISTORY, price_per_kwh: float | None = None
) -> SessionRecord | None:
    """A finished session as the client reads it (a history entry, the session's own answer), with its
    `reimbursementEligibility`; None for a session still open or without its times."""
    if session.is_open:
        return None
    return record_from_summary(
        chargepoint_id,
        summarize(session),
        source=source,
        price_per_kwh=price_per_kwh,
        reimbursement_eligible=session.reimbursement_eligible,
    )


def kwh(value: float) -> Decimal:
    """Energy as reported: to the Wh."""
    return Decimal(repr(value)).quantize(Decimal("0.001"), ROUND_HALF_UP)


def money(value: float) -> Decimal:
    """A cost as reported: to the cent."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    """What a set of sessions adds up to: the sums of the values as reported (kWh to the Wh, cost to the cent),
    so that a spreadsheet's sums of the list agree. A cost without a currency is under ""."""

    sessions: int = 0
    energy_kwh: Decimal = Decimal("0.000")
    cost: Mapping[str, Decimal] = field(default_factory=dict)


def totals_of(records: Iterable[SessionRecord]) -> Totals:
    count, energy, cost = 0, Decimal("0.000"), dict[str, Decimal]()
    for record in records:
        count += 1
        if record.energy_kwh is not None:
            energy += kwh(record.energy_kwh)
        if record.cost is not None:
            currency = record.currency or ""
            cost[currency] = cost.get(currency, Decimal("0.00")) + money(record.cost)
    return Totals(count, energy, dict(sorted(cost.items())))


def log_path(state_file: Path) -> Path:
    """Where the log lives: beside the memory file, named after it (`ampeco.state.json` ->
    `ampeco.sessions.sqlite3`)."""
    stem = state_file.name.removesuffix(".json").removesuffix(".state")
    return state_file.with_name(f"{stem}.sessions.sqlite3")


class _Unusable(Exception):
    """The file cannot serve as this version's session log, though SQLite may read it."""

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(reason)
        self.advice = advice


class SessionLog:
    """The session log in one SQLite file. Every method answers with what it could do and a problem sentence
    (None when all went well), opening the file again on the next call after a failure."""

    def __init__(self, path: Path, *, read_only: bool = False, max_rows: int = MAX_ROWS) -> None:
        self.path = path
        self.read_only = read_only  # for readers (the export's command line): never creates or changes the file
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._closed = False

    def write(self, records: Iterable[SessionRecord]) -> str | None:
        """Add the sessions, or update the ones already there (see `SessionRecord.merged`), in one
        transaction; the problem when nothing could be written."""
        _, problem = self._use(lambda connection: self._write(connection, list(records)), None)
        return problem

    def hourly(
        self, chargepoint_id: str, since: datetime
    ) -> tuple[tuple[float, list[tuple[datetime, float]]], str | None]:
        """The charger's energy before `since`, and in each hour from it on (hours that got any), from every
        session logged: what an hourly statistic of the charger holds."""

        def read(connection: sqlite3.Connection) -> tuple[float, list[tuple[datetime, float]]]:
            start = _text(since)
            before = float(connection.execute(_BEFORE, (chargepoint_id, start)).fetchone()[0])
            rows = connection.execute(_HOURLY, (chargepoint_id, start))
            return before, [(datetime.fromisoformat(hour), float(kwh)) for hour, kwh in rows]

        return self._use(read, (0.0, []))

    def sessions(
        self, start: datetime, end: datetime, chargepoint_id: str | None = None
    ) -> tuple[list[SessionRecord], str | None]:
        """The sessions that stopped in [start, end) (aware times; `session_export.Period` gives a month's or
        some days' in a time zone), of one charger or all, ordered by start."""
        arguments = (_text(start), _text(end), chargepoint_id, chargepoint_id)

        def read(connection: sqlite3.Connection) -> list[SessionRecord]:
            return [_record(row) for row in connection.execute(_IN_RANGE, arguments)]

        return self._use(read, [])

    def totals(
        self, start: datetime, end: datetime, chargepoint_id: str | None = None
    ) -> tuple[dict[str, Totals], str | None]:
        """What the sessions that stopped in [start, end) add up to, per charger (and currency, inside)."""
        records, problem = self.sessions(start, end, chargepoint_id)
        by_charger: dict[str, list[SessionRecord]] = {}
        for record in records:
            by_charger.setdefault(record.chargepoint_id, []).append(record)
        return {charger: totals_of(rows) for charger, rows in sorted(by_charger.items())}, problem

    def close(self) -> None:
        """Close the connection; the log answers every later call with a problem."""
        with self._lock:
            self._closed = True
            self._drop()

    def __enter__(self) -> "SessionLog":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _use(self, action: Callable[[sqlite3.Connection], _T], otherwise: _T) -> tuple[_T, str | None]:
        with self._lock:
            if self._closed:
                return otherwise, f"the session log {self.path} is closed (the app is stopping)"
            try:
                if self._connection is None:
                    self._connection = self._open()
                return action(self._connection), None
            except (sqlite3.Error, OSError, _Unusable) as err:
                self._drop()
                return otherwise, self._problem(err)

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise _Unusable("a folder is there, not a file", _ADVICE["not a file"])
        if self.path.exists() and not self.path.is_file():  # a FIFO or a device: SQLite would wait on it
            raise _Unusable("it is not a regular file", _ADVICE["not a file"])
        if not self.read_only and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # a new log is the owner's alone from its first byte
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif self.read_only and not self.path.exists():
            raise _Unusable("there is no such file", _ADVICE["missing"])
        mode = "ro" if self.read_only else "rw"  # never let SQLite create a file of its own
        uri = f"{self.path.absolute().as_uri()}?mode={mode}"
        connection = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            self._check(connection)
        except BaseException:
            connection.close()
            raise
        if not self.read_only and self.path.stat().st_mode & 0o777 != 0o600:
            self.path.chmod(0o600)  # as an older copy or another tool may have left it
        return connection

    def _check(self, connection: sqlite3.Connection) -> None:
        """A session log this version reads, made one if the file is new (empty)."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]  # raises on a file that is no database
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables == 0 and not self.read_only:
            connection.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
        elif version == 0 and tables:
            raise _Unusable("it is not a session log", _ADVICE["damaged"])
        elif version == 0:
            raise _Unusable("it holds no session yet", "wait until the app has logged a session")
        elif version > SCHEMA_VERSION:
            raise _Unusable(f"a newer version of the app wrote it (format {version})", "update the app")

    def _write(self, connection: sqlite3.Connection, records: list[SessionRecord]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                key = (record.chargepoint_id, record.session_id)
                row = connection.execute(_ONE, key).fetchone()
                kept = _record(row).merged(record) if row else record
                connection.execute(_PUT, _row(kept))
                if kept.hours:
                    connection.execute(_HOURS_OFF, key)
                    connection.executemany(_HOUR_PUT, [(*key, _text(hour), kwh) for hour, kwh in kept.hours])
            connection.execute(_PRUNE, (self.max_rows,))
            connection.execute(_HOURS_PRUNE)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _problem(self, err: BaseException) -> str:
        reason = str(err) or type(err).__name__
        if isinstance(err, OSError) and err.strerror:
            reason = err.strerror
        advice = err.advice if isinstance(err, _Unusable) else _ADVICE.get(_kind(err, reason), "check the file")
        meanwhile = "" if self.read_only else "; until then no session is logged (the vendor's history keeps them)"
        return f"cannot use the session log {self.path} ({reason}): {advice}. The file is left as it is{meanwhile}."


_ADVICE = {
    "damaged": "move it aside or repair it (sqlite3's .recover), and the app starts a new log",
    "not a file": "something other than the log is at that path: move it, or set state_file elsewhere",
    "disk": "check the disk (full, failing, or mounted read-only)",
    "busy": "another program holds the file: close it",
    "missing": "give the path of the .sessions.sqlite3 file beside the app's memory file",
}


def _kind(err: BaseException, reason: str) -> str:
    text = reason.lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "damaged"
    if "unable to open" in text or isinstance(err, (IsADirectoryError, NotADirectoryError)):
        return "not a file"
    if "i/o" in text or "full" in text or "readonly" in text or "read-only" in text:
        return "disk"
    if "locked" in text or "busy" in text:
        return "busy"
    return ""


def _text(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError("the session log's times must carry their time zone")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _row(record: SessionRecord) -> tuple[object, ...]:
    values = {f.name: getattr(record, f.name) for f in fields(SessionRecord)}
    values["started_at"], values["stopped_at"] = _text(record.started_at), _text(record.stopped_at)
    return tuple(values[column] for column in _COLUMNS)


def _record(row: tuple[Any, ...]) -> SessionRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    eligible = values["reimbursement_eligible"]
    return SessionRecord(
        **values
        | {
            "started_at": datetime.fromisoformat(values["started_at"]),
            "stopped_at": datetime.fromisoformat(values["stopped_at"]),
            "reimbursement_eligible": None if eligible is None else bool(eligible),
        }
    )
