"""The session log at run time: every finished session of every watched charger, kept once as a record, its
energy placed in the clock hours it was delivered, and the month's totals for the sensors.

Sessions come from the rounds (seen live, or found in the cloud's history after an outage or a restart: see
`sessions.announce_missed`) and, the first time an account is watched, from its history since the start of
the previous month, so a month's report is complete from the first day on. A session's hours come from its
power curve where the cloud sends one (its own answer), else its energy is spread evenly over its duration.
The log is SQLite, used in a worker thread; a log that cannot be used is a problem shown on every charger,
and never stops the readings.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from ..ampeco import AmpecoClient, AmpecoError, Session, session_on
from .charger import Charger
from .hourly import hourly_energy
from .lifecycle import SessionEnded, Transition
from .logbook import Logbook
from .session_export import Period
from .session_log import HISTORY, LIVE, SessionLog, SessionRecord, Totals, record_from_session, record_from_summary
from .view import MonthTotals

Kept = Callable[[str, datetime], Awaitable[None]]  # a charger's sessions changed from this hour on


class SessionBook:
    def __init__(self, log: SessionLog, logbook: Logbook, timezone: Callable[[], tzinfo]) -> None:
        self.log = log
        self.logbook = logbook
        self.timezone = timezone
        self.problem: str | None = None  # why sessions cannot be logged now
        self.months: dict[str, MonthTotals] = {}  # by chargepoint id, as last added up
        self._listeners: list[Kept] = []

    def after_keep(self, listener: Kept) -> None:
        """Call `listener(chargepoint_id, first_hour)` whenever a charger's logged sessions changed."""
        self._listeners.append(listener)

    async def keep(self, client: AmpecoClient, charger: Charger, transitions: list[Transition]) -> None:
        """The sessions that ended in a round, logged (a session found in the history: its curve asked for)."""
        records = []
        for transition in transitions:
            if isinstance(transition, SessionEnded):
                detail = transition.detail
                if detail is None and not transition.live:
                    detail = await _detail(client, transition.session.id)
                record = record_from_summary(
                    charger.id,
                    transition.session,
                    source=LIVE if transition.live else HISTORY,
                    price_per_kwh=charger.evse.price_per_kwh if charger.evse is not None else None,
                    reimbursement_eligible=detail.reimbursement_eligible if detail is not None else None,
                )
                if record is not None:
                    records.append(_with_hours(record, detail))
        await self._write(records)

    async def fill(self, client: AmpecoClient, chargers: list[Charger], now: float) -> bool:
        """An account's sessions since the start of the previous month, from its history (once); False when the
        history could not be read (asked again after the next round)."""
        today = datetime.fromtimestamp(now, self.timezone()).date()
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
        try:
            history = await client.session_history(first, today + timedelta(days=1))
        except AmpecoError as err:
            self.logbook(f"the session history for the session log is unavailable for now ({err.message})", "DEBUG")
            return False
        found = [
            (record, session)
            for charger in chargers
            if charger.evse is not None
            for session in history
            if session_on(session, charger.id, charger.evse)
            and (record := record_from_session(charger.id, session)) is not None
        ]
        await self._write([_with_hours(record, session) for record, session in found])
        return True

    async def add_up(self, chargers: list[Charger], now: float) -> None:
        """This month's and last month's totals of each charger, for its sensors."""
        zone = self.timezone()
        this = Period.month(datetime.fromtimestamp(now, zone).strftime("%Y-%m"))
        last = Period.month((this.first - timedelta(days=1)).strftime("%Y-%m"))
        for charger in chargers:
            current, problem = await asyncio.to_thread(self.log.totals, *this.utc_interval(zone), charger.id)
            before, problem = await asyncio.to_thread(self.log.totals, *last.utc_interval(zone), charger.id)
            if problem:
                self._trouble(problem)
                return
            self.months[charger.id] = _month(this, current.get(charger.id), last, before.get(charger.id))

    async def _write(self, records: list[SessionRecord]) -> None:
        if not records:
            return
        problem = await asyncio.to_thread(self.log.write, records)
        if problem:
            self._trouble(problem)
            return
        if self.problem is not None:
            self.problem = None
            self.logbook("the session log is written again")
        first: dict[str, datetime] = {}
        for record in records:
            hour = record.started_at.replace(minute=0, second=0, microsecond=0)
            first[record.chargepoint_id] = min(first.get(record.chargepoint_id, hour), hour)
        for chargepoint_id, hour in first.items():
            for listener in self._listeners:
                await listener(chargepoint_id, hour)

    def _trouble(self, problem: str) -> None:
        if self.problem is None:
            self.logbook(problem, "ERROR")
        self.problem = problem


async def _detail(client: AmpecoClient, session_id: str) -> Session | None:
    try:
        return await client.session(session_id)
    except AmpecoError:
        return None


def _with_hours(record: SessionRecord, detail: Session | None) -> SessionRecord:
    """The record with its energy in the hours it was delivered (by the curve where there is one); a session
    whose times make no sense (it stops before it starts) keeps its energy but no hours."""
    if record.energy_kwh is None or record.energy_kwh <= 0:
        return record
    curve = detail.power_history if detail is not None else ()
    try:
        hours = hourly_energy(record.started_at, record.stopped_at, record.energy_kwh, curve)
    except ValueError:
        return record
    return replace(record, hours=tuple(hours.items()))


def _month(this: Period, current: Totals | None, last: Period, before: Totals | None) -> MonthTotals:
    def cost(totals: Totals | None) -> tuple[float | None, str | None]:
        if totals is None or len(totals.cost) != 1:
            return None, None  # no cost, or in several currencies: no one number
        [(currency, amount)] = totals.cost.items()
        return float(amount), currency or None

    (now_cost, now_currency), (last_cost, last_currency) = cost(current), cost(before)
    return MonthTotals(
        month=this.first.strftime("%Y-%m"),
        energy_kwh=float(current.energy_kwh) if current else 0.0,
        cost=now_cost,
        currency=now_currency,
        sessions=current.sessions if current else 0,
        last_month=last.first.strftime("%Y-%m"),
        last_energy_kwh=float(before.energy_kwh) if before else 0.0,
        last_cost=last_cost,
        last_currency=last_currency,
        last_sessions=before.sessions if before else 0,
    )
