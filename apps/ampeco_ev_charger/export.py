"""The sessions of a month as a CSV file, for whoever reimburses your home charging.

    cd <AppDaemon config>/apps
    python3 -m ampeco_ev_charger.export --log ../ampeco_ev_charger.sessions.sqlite3 --month 2026-11
    python3 -m ampeco_ev_charger.export --log ... --from 2026-11-01 --to 2026-11-15 --charger ACE0549935 --out ~/

A session counts in the month it stopped in, on the clocks of --tz (by default the TZ environment variable or
this machine's zone). Exit code 0 when the file is written; otherwise 2 (bad arguments), 3 (the session log
cannot be read), 4 (the file cannot be written). The log is only read, never changed.
"""

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .runtime.session_export import Export, LogUnreadable, Period, export
from .runtime.session_log import SessionLog

OK, BAD_ARGUMENTS, LOG_UNREADABLE, CANNOT_WRITE = 0, 2, 3, 4


def run(
    log: Path,
    period: Period,
    zone: ZoneInfo,
    out: Path,
    charger: str | None = None,
) -> tuple[int, list[str]]:
    """The verdict as an exit code and the lines to print."""
    with SessionLog(log, read_only=True) as session_log:
        try:
            done = export(session_log, period, out, zone, charger)
        except LogUnreadable as err:
            return LOG_UNREADABLE, [f"Problem: {err}"]
        except OSError as err:
            return CANNOT_WRITE, [f"Problem: cannot write into {out} ({err.strerror or err}); choose another --out"]
    return OK, [f"Wrote {done.path}", _summary(done, period, zone, charger)]


def _summary(done: Export, period: Period, zone: ZoneInfo, charger: str | None) -> str:
    totals = done.totals
    whose = f" of charger {charger}" if charger else ""
    days = f"{period.first} to {period.last}, {zone.key} time"
    if not totals.sessions:
        return f"No session{whose} stopped from {days}."
    money = "".join(f", {amount} {currency}".rstrip() for currency, amount in totals.cost.items())
    return f"{totals.sessions} session(s){whose} from {days}: {totals.energy_kwh} kWh{money}."


def _zone(asked: str | None, environ: Mapping[str, Any]) -> ZoneInfo:
    """--tz, else the TZ environment variable (the AppDaemon add-on sets it), else this machine's, else UTC."""
    name, origin = asked, "--tz"
    if name is None:
        name, origin = str(environ.get("TZ", "")).lstrip(":"), "the TZ environment variable"
    if not name:
        name, origin = _machine_zone(), "this machine's time zone"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{origin} {name!r} is not a time zone: give one with --tz, e.g. Europe/Copenhagen") from None


def _machine_zone() -> str:
    localtime = Path("/etc/localtime")
    target = str(localtime.resolve()) if localtime.is_symlink() else ""
    return target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else "UTC"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m ampeco_ev_charger.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log", required=True, type=Path, help="the app's session log (.sessions.sqlite3)")
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="the month, YYYY-MM")
    when.add_argument("--from", dest="first", help="the first day, YYYY-MM-DD (with --to)")
    parser.add_argument("--to", dest="last", help="the last day, YYYY-MM-DD (included)")
    parser.add_argument("--charger", help="only this chargepoint id's sessions")
    parser.add_argument("--tz", help="the time zone of the list's days and times, e.g. Europe/Copenhagen")
    parser.add_argument("--out", type=Path, default=Path(), help="the folder to write into (default: here)")
    return parser


def _period(args: argparse.Namespace) -> Period:
    if args.month is not None:
        if args.last is not None:
            raise ValueError("--to goes with --from, not with --month")
        return Period.month(args.month)
    if args.last is None:
        raise ValueError("--from needs --to (the last day, included)")
    return Period.days(args.first, args.last)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, Any] = os.environ) -> int:
    args = _parser().parse_args(argv)
    try:
        period, zone = _period(args), _zone(args.tz, environ)
        period.utc_interval(zone)  # a year the zone cannot reach is the user's mistake too
    except ValueError as err:
        sys.stdout.write(f"Problem: {err}\n")
        return BAD_ARGUMENTS
    code, lines = run(args.log, period, zone, args.out, args.charger)
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
