"""The sessions of a month (or of some days) as a CSV file a spreadsheet opens as it is.

For whoever reimburses home charging: one row per session with its times in the user's time zone, UTF-8 with a
byte order mark (Excel needs it to read "Åbyhøj"), RFC 4180 quoting and line ends, numbers with a decimal
point. The same sessions always give the same bytes, so exporting a month again gives an identical file; it is
written atomically, so a reader never sees half of it.
"""

import calendar
import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path

from ..ampeco import sample
from ..const import slugify
from ..times import iso_time
from .files import write_atomically
from .session_log import SessionLog, SessionRecord, Totals, kwh, money, totals_of

HEADER = (
    "charger",
    "session",
    "start",
    "end",
    "energy_kwh",
    "cost",
    "currency",
    "price_per_kwh",
    "reimbursement_eligible",
)


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive, as a user names them: a month, or a first and a last date."""

    first: date
    last: date
    label: str  # "2026-11", or "2026-11-01_2026-11-15": how the file is named

    @classmethod
    def month(cls, text: str) -> "Period":
        """`YYYY-MM`; a ValueError that says how to write it otherwise."""
        found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if found is None:
            raise ValueError(f"{sample(text)} is not a month: write it as YYYY-MM, for example 2026-11")
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{text.strip()} is not a month: the month is 01 to 12")
        if year < 1:
            raise ValueError(f"{text.strip()} is not a month: the year starts at 0001")
        days = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, days), f"{year:04d}-{month:02d}")

    @classmethod
    def days(cls, first: str | date, last: str | date) -> "Period":
        """From `first` to `last` (both included; `YYYY-MM-DD` or dates)."""
        start, end = _date(first, "start"), _date(last, "end")
        if end < start:
            raise ValueError(f"the end date {end} is before the start date {start}: give the earlier date first")
        return cls(start, end, f"{start}_{end}")

    def utc_interval(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from midnight of the first day to midnight after the last, on the clocks of
        `tz` (a zoneinfo or pytz zone), so a month with a daylight saving change is 743 or 745 hours long."""
        try:
            return _midnight(self.first, tz), _midnight(self.last + timedelta(days=1), tz)
        except OverflowError:
            raise ValueError(f"{self.label} is outside the years this can handle") from None


def utc_interval(period: str | tuple[str | date, str | date], tz: tzinfo) -> tuple[datetime, datetime]:
    """`YYYY-MM`, or a first and a last date, as the [start, end) UTC interval of those days in `tz`."""
    chosen = Period.month(period) if isinstance(period, str) else Period.days(*period)
    return chosen.utc_interval(tz)


def _date(value: str | date, which: str) -> date:
    if isinstance(value, date):
        return value
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value.strip())
    raise ValueError(f"the {which} date {sample(value)} is not a date: write it as YYYY-MM-DD, for example 2026-11-01")


def _midnight(day: date, tz: tzinfo) -> datetime:
    naive = datetime.combine(day, time())
    # AppDaemon 4.5 hands out pytz zones, which give the right offset only through localize().
    localize = getattr(tz, "localize", None)
    local = localize(naive) if callable(localize) else naive.replace(tzinfo=tz)
    return local.astimezone(timezone.utc)


def csv_bytes(records: Iterable[SessionRecord], tz: tzinfo) -> bytes:
    """The file's bytes: a header and one row per session, in order of start, times in `tz`."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    for record in sorted(records, key=lambda r: (r.started_at, r.chargepoint_id, r.session_id)):
        writer.writerow(
            (
                record.chargepoint_id,
                record.session_id,
                iso_time(record.started_at, tz),
                iso_time(record.stopped_at, tz),
                _number(kwh, record.energy_kwh),
                _number(money, record.cost),
                record.currency or "",
                "" if record.price_per_kwh is None else format(Decimal(repr(record.price_per_kwh)), "f"),
                {True: "yes", False: "no", None: ""}[record.reimbursement_eligible],
            )
        )
    return text.getvalue().encode("utf-8-sig")


def _number(rounding: Callable[[float], Decimal], value: float | None) -> str:
    return "" if value is None else str(rounding(value))


def file_name(period: Period, chargepoint_id: str | None = None) -> str:
    """`ampeco_sessions_2026-11.csv`, with the charger's id when the list is one charger's."""
    charger = "" if chargepoint_id is None else f"_{slugify(chargepoint_id)}"
    return f"ampeco_sessions_{period.label}{charger}.csv"


@dataclass(frozen=True)
class Export:
    path: Path
    totals: Totals  # of the rows written: what the spreadsheet's sums of its columns show


class LogUnreadable(Exception):
    """The session log could not be read; the message is its problem sentence."""


def export(log: SessionLog, period: Period, folder: Path, tz: tzinfo, chargepoint_id: str | None = None) -> Export:
    """Write the sessions that stopped in `period` (in `tz`) to `folder` (made if missing), replacing an
    earlier export of the same period. Raises LogUnreadable when the log cannot be read, and OSError when the
    file cannot be written; synchronous, for a worker thread."""
    start, end = period.utc_interval(tz)
    records, problem = log.sessions(start, end, chargepoint_id)
    if problem is not None:
        raise LogUnreadable(problem)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(period, chargepoint_id)
    write_atomically(path, csv_bytes(records, tz))
    return Export(path, totals_of(records))
