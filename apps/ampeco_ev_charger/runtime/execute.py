"""Carrying out a command on one charger, following every tolerance rule the API needs.

Each step returns an `Outcome` (never raises for an API failure): the hub turns it into the one
`CommandResult` the user's automation waits for.
"""

from collections.abc import Callable

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    NotFoundError,
    RefusedError,
    is_suspended_status,
    parse_session,
    status_is,
)
from .account import Account
from .charger import Charger
from .commands import Command, Outcome, SetMaxCurrent, StartCharging, StopCharging, UpdateData
from .poller import Poller


def check_current(amps: int, allowed: tuple[float | None, float | None]) -> str | None:
    """Why `amps` is outside a charger's allowed range, or None when it fits (or the range is unknown)."""
    low, high = allowed
    if low is not None and amps < low:
        return f"max_current {amps} A is below this charger's minimum of {low:g} A"
    if high is not None and amps > high:
        return f"max_current {amps} A is above this charger's maximum of {high:g} A"
    return None


class Executor:
    """Runs commands on the chargers of one account; `fresh_within`: how old a reading may be before a stop
    looks again (the charging poll interval)."""

    def __init__(self, client: AmpecoClient, account: Account, poller: Poller, fresh_within: float) -> None:
        self.client = client
        self.account = account
        self.poller = poller
        self.fresh_within = fresh_within

    async def run(self, command: Command, charger: Charger) -> Outcome:
        match command:
            case StartCharging(max_current=amps):
                return await self._start(charger, amps)
            case StopCharging():
                return await self._stop(charger)
            case SetMaxCurrent(max_current=amps):
                return await self._set_max_current(charger, amps)
            case UpdateData():
                error = await self.account.refresh()
                return Outcome(error is None, None if error is None else f"update failed: {error.message}")

    async def _reading(self, charger: Charger) -> str | None:
        """Make sure the charger has been read at least once; returns why not, if it cannot be."""
        if charger.charge_point is None or charger.evse is None:
            error = await self.account.refresh()
            if charger.charge_point is None or charger.evse is None:
                reason = charger.problem or (error.message if error else "no reading yet")
                return f"cannot read charger {charger.id}: {reason}"
        return None

    async def _limit(self, charger: Charger, amps: int) -> str | None:
        """Set the charger's current limit; returns why it failed, if it did."""
        assert charger.charge_point is not None
        problem = check_current(amps, charger.charge_point.current_range)
        if problem or charger.charge_point.max_current_a == amps:
            return problem
        try:
            await self.client.set_max_current(charger.id, amps)
        except AmpecoError as err:
            return f"could not set the current limit to {amps} A: {err.message}"
        charger.note_limit(amps)
        return None

    async def _start(self, charger: Charger, max_current: int | None) -> Outcome:
        if (problem := await self._reading(charger)) is not None:
            return Outcome(False, problem)
        if (session_id := charger.session_id) is not None:
            return Outcome(False, f"a charging session ({session_id}) is already running on {charger.id}", session_id)
        if max_current is not None and (problem := await self._limit(charger, max_current)) is not None:
            return Outcome(False, f"{problem}; charging was not started")
        evse = charger.evse
        assert evse is not None
        try:
            answer = await self.client.start_session(evse.id, evse.identifier, max_current)
        except RefusedError as err:
            return Outcome(False, f"the charger refused to start: {err.message}", poll=True)
        except AmpecoError as err:
            return Outcome(False, f"start failed: {err.message}", poll=True)
        session = parse_session(answer, charger.config.units, []) if answer else None
        if session is not None and session.is_open:
            charger.note_session(session)
        self.poller.confirm(charger, _charging_steadily(charger))
        return Outcome(True, session_id=session.id if session else None, poll=True)

    async def _stop(self, charger: Charger) -> Outcome:
        last = charger.last_success
        if charger.session_id is None and (last is None or self.account.clock() - last > self.fresh_within):
            # After a restart, or long after the last reading: look before saying there is nothing to stop.
            await self.account.refresh()
        session_id = charger.session_id
        if session_id is None:
            return Outcome(False, f"nothing to stop: no charging session is running on {charger.id}")
        if charger.session is not None and status_is(charger.session.status, "stopping"):
            return Outcome(True, session_id=session_id)
        try:
            await self.client.stop_session(session_id)
        except NotFoundError:
            return Outcome(True, session_id=session_id, poll=True)
        except AmpecoError as err:
            return Outcome(False, f"stop failed: {err.message}", session_id, poll=True)
        self.poller.confirm(charger, lambda: charger.session_id is None)
        return Outcome(True, session_id=session_id, poll=True)

    async def _set_max_current(self, charger: Charger, amps: int) -> Outcome:
        if (problem := await self._reading(charger)) is not None:
            return Outcome(False, problem)
        if (problem := await self._limit(charger, amps)) is not None:
            return Outcome(False, problem)
        self.poller.confirm(charger, lambda: charger.current_limit == amps)
        return Outcome(True, session_id=charger.session_id, poll=True)


def _charging_steadily(charger: Charger) -> Callable[[], bool]:
    """Done once the started session draws power and it has stopped rising (chargers ramp up over a few
    seconds; the sensors should not be left at the first trickle until the next 30 s poll), or the car is
    full."""
    seen: list[float] = []

    def done() -> bool:
        session, evse = charger.session, charger.evse
        if session is None or evse is None or status_is(session.status, "starting"):
            return False
        if is_suspended_status(evse.status):
            return True
        power = session.power_kw or 0.0
        steady = power > 0 and bool(seen) and abs(power - seen[-1]) <= 0.05 * power
        seen.append(power)
        return steady

    return done
