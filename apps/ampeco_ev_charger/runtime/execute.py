"""Carrying out a command on one charger, following every tolerance rule the API needs.

Each step returns an `Outcome` (never raises for an API failure): the hub turns it into the one
`CommandResult` the user's automation waits for. A start must land on the configured EVSE or nowhere: one
that landed elsewhere (see `landing`) is stopped at once, the other EVSE key is remembered for the tenant,
and the start is made again with it.
"""

from collections.abc import Awaitable, Callable

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    Evse,
    NotFoundError,
    RefusedError,
    RequestError,
    is_suspended_status,
    status_is,
)
from .account import Account
from .charger import Charger
from .commands import Command, Outcome, SetMaxCurrent, StartCharging, StopCharging, UpdateData
from .landing import LANDING_WITHIN, LandingCheck
from .poller import Poller
from .tenant import other_key


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

    def __init__(
        self,
        client: AmpecoClient,
        account: Account,
        poller: Poller,
        landing: LandingCheck,
        *,
        fresh_within: float,
        learnt: Callable[[], Awaitable[None]],
    ) -> None:
        self.client = client
        self.account = account
        self.poller = poller
        self.landing = landing
        self.fresh_within = fresh_within
        self.learnt = learnt  # the tenant taught us something: keep it in the memory file

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
        before = await self.landing.running()
        tenant = self.account.lookup.tenant
        notes: list[str] = []
        rejected: AmpecoError | None = None
        for key, value in _keys(evse, tenant.evse_key, other_key(tenant.evse_key)):
            try:
                answer = await self.client.start_session(value, max_current)
            except RefusedError as err:
                return Outcome(False, f"the charger refused to start: {err.message}", poll=True)
            except (RequestError, NotFoundError) as err:  # this tenant may name EVSEs by the other key
                rejected = err
                continue
            except AmpecoError as err:
                return Outcome(False, f"start failed: {err.message}", poll=True)
            landing = await self.landing.find(charger, evse, answer, before)
            if landing.session is None:
                where = evse.identifier or evse.id
                return Outcome(
                    False,
                    _joined(
                        notes,
                        f"the AMPECO cloud accepted the start, but no session showed "
                        f"up on EVSE {where} within {LANDING_WITHIN:.0f} s; the sensors will show it if it "
                        "starts later",
                    ),
                    poll=True,
                )
            if landing.ours:
                await self._learn(key)
                if landing.session.is_open:
                    charger.note_session(landing.session)
                self.poller.confirm(charger, _charging_steadily(charger))
                return Outcome(True, session_id=landing.session.id, poll=True, note=_joined(notes) or None)
            stray = landing.session
            place = f"EVSE {stray.evse_identifier or '?'}, which is not {charger.id}'s"
            await self._learn(other_key(key))  # whatever happens to the stray, this key names other EVSEs here
            try:
                await self.client.stop_session(stray.id)
            except NotFoundError:
                pass  # it has ended already
            except AmpecoError as err:
                self.landing.stray(stray, place)
                problem = (
                    f"the start (by EVSE {key}) landed on {place}, and stopping it failed ({err.message}); "
                    f"the app tries again after each poll (or stop session {stray.id} in the vendor's app)"
                )
                self.account.logbook(f"{charger.label}: {problem}", "ERROR")
                return Outcome(False, _joined(notes, problem), poll=True)
            notes.append(f"the start by EVSE {key} landed on {place} and was stopped at once")
            self.account.logbook(f"{charger.label}: {notes[-1]}", "WARNING")
        if rejected is not None and not notes:
            return Outcome(False, f"start failed: {rejected.message}", poll=True)
        return Outcome(False, _joined(notes, "charging was not started"), poll=True)

    async def _learn(self, key: str) -> None:
        tenant = self.account.lookup.tenant
        if tenant.evse_key != key:
            tenant.evse_key = key
            self.account.logbook(f"this AMPECO tenant starts charging by the EVSE's {key}; remembered")
            await self.learnt()

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


def _keys(evse: Evse, *keys: str) -> list[tuple[str, str]]:
    """The EVSE's value under each key, in order, each value once (on some tenants id and identifier agree)."""
    found: dict[str, str] = {}
    for key in keys:
        value = evse.id if key == "id" else evse.identifier
        if value and value not in found.values():
            found[key] = value
    return list(found.items())


def _joined(notes: list[str], last: str | None = None) -> str:
    return "; ".join([*notes, *([last] if last else [])])
