"""A month's (or some days') sessions as a CSV file, on an event from Home Assistant.

`ampeco_ev_charger_export_sessions` with `month: YYYY-MM`, or `start` and `end` dates (both included), and
optionally `chargepoint_id`, writes the file into the exports folder under AppDaemon's configuration, in the
user's time zone, and answers with `ampeco_ev_charger_sessions_exported`: the file and the totals, or why not
(with a `reason` code, as every command's result has). The same export from the command line:
`python3 -m ampeco_ev_charger.export`.
"""

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..const import DOMAIN
from ..runtime.commands import Reason
from ..runtime.session_export import Export, LogUnreadable, Period, export
from ..runtime.session_log import SessionLog
from .hass import HomeAssistant

EXPORT_SESSIONS = f"{DOMAIN}_export_sessions"
SESSIONS_EXPORTED = f"{DOMAIN}_sessions_exported"


class Refused(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class SessionExports:
    def __init__(self, ha: HomeAssistant, log: SessionLog, folder: Path, watched: Callable[[], list[str]]) -> None:
        """`folder`: where the files go; `watched`: the chargepoint ids watched now."""
        self.ha = ha
        self.log = log
        self.folder = folder
        self.watched = watched

    async def handle(self, data: Mapping[str, object]) -> None:
        """One export event -> one file and exactly one answer."""
        try:
            period, chargepoint_id = self._asked(data)
            done = await asyncio.to_thread(export, self.log, period, self.folder, self.ha.timezone(), chargepoint_id)
        except Refused as refused:
            await self._answer(data, {"success": False, "error": refused.message, "reason": refused.reason.value})
            return
        except LogUnreadable as err:
            await self._answer(data, {"success": False, "error": str(err), "reason": Reason.UNAVAILABLE.value})
            return
        except OSError as err:
            problem = f"cannot write into {self.folder} ({err.strerror or err}); check the folder"
            await self._answer(data, {"success": False, "error": problem, "reason": Reason.UNAVAILABLE.value})
            return
        await self._answer(data, {"success": True, **_described(done, period, chargepoint_id)})

    def _asked(self, data: Mapping[str, object]) -> tuple[Period, str | None]:
        raw = data.get("chargepoint_id")
        chargepoint_id = None if raw is None or raw == "" else str(raw).strip()
        if chargepoint_id is not None:
            known = {cp.lower(): cp for cp in self.watched()}
            if chargepoint_id.lower() not in known:
                watched = ", ".join(known.values()) or "none yet"
                message = f"unknown chargepoint_id {chargepoint_id[:40]!r}; watched: {watched}"
                raise Refused(Reason.UNKNOWN_CHARGER, message)
            chargepoint_id = known[chargepoint_id.lower()]
        try:
            period = _period(data.get("month"), data.get("start"), data.get("end"))
            period.utc_interval(self.ha.timezone())  # a year at the calendar's edge the time zone cannot reach
        except ValueError as err:
            raise Refused(Reason.INVALID_VALUE, str(err)) from None
        return period, chargepoint_id

    async def _answer(self, data: Mapping[str, object], answer: dict[str, Any]) -> None:
        asked = {key: str(data[key])[:40] for key in ("month", "start", "end", "chargepoint_id") if key in data}
        await self.ha.fire(SESSIONS_EXPORTED, asked | answer)


def _period(month: object, start: object, end: object) -> Period:
    if month is not None and start is None and end is None:
        return Period.month(str(month))
    if month is None and start is not None and end is not None:
        return Period.days(str(start), str(end))
    raise ValueError("give either `month` (YYYY-MM) or both `start` and `end` (YYYY-MM-DD)")


def _described(done: Export, period: Period, chargepoint_id: str | None) -> dict[str, Any]:
    totals = done.totals
    return {
        "file": str(done.path),
        "period": period.label,
        "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(),
        "chargepoint_id": chargepoint_id,
        "sessions": totals.sessions,
        "energy_kwh": float(totals.energy_kwh),
        "cost": {currency or "unknown": float(amount) for currency, amount in totals.cost.items()},
    }
