"""Carrying out a command on one charger, following every tolerance rule the API needs.

Each step returns an `Outcome` (never raises for an API failure): the hub turns it into the one
`CommandResult` the user's automation waits for. A start must land on the configured EVSE or nowhere: one
that landed elsewhere (see `landing`) is stopped at once, the other EVSE key is remembered for the tenant,
and the start is made again with it. Nothing is said about what the app could not look at: a stop the app
cannot check says why, never "nothing to stop".
"""

from collections.abc import Awaitable, Callable
from typing import NoReturn

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    Evse,
    NotFoundError,
    RefusedError,
    RequestError,
    Session,
    is_suspended_status,
    other_key,
    status_is,
    suggests_session,
)
from .account import Account
from .charger import Charger
from .commands import (
    ChargerCommand,
    Outcome,
    Reason,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateData,
    reason_of,
)
from .errors import RoundError
from .landing import LANDING_WITHIN, LandingCheck
from .poller import Poller

STEADY_APART = 1.0  # seconds: readings at least this far apart tell whether the power still rises


def unhandled(command: NoReturn) -> NoReturn:
    """Where every command must have been handled: a missing case is a type error (as `typing.assert_never`,
    which AppDaemon's Python 3.10 lacks)."""
    raise AssertionError(f"unhandled command {command!r}")


def _failed(what: str, error: RoundError, session_id: str | None = None) -> Outcome:
    return Outcome.failed(reason_of(error), f"{what}: {error.message}", session_id=session_id, poll=True)


def check_current(amps: int, allowed: tuple[float | None, float | None], cap: int | None = None) -> Outcome | None:
    """Why `amps` is outside a charger's allowed range (or the cap configured for it), or None when it fits
    (or the range is unknown)."""
    low, high = allowed
    if cap is not None and amps > cap:
        return Outcome.failed(
            Reason.OUT_OF_RANGE, f"max_current {amps} A is above the {cap} A configured for this charger (max_current)"
        )
    if low is not None and amps < low:
        return Outcome.failed(Reason.OUT_OF_RANGE, f"max_current {amps} A is below this charger's minimum of {low:g} A")
    if high is not None and amps > high:
        return Outcome.failed(
            Reason.OUT_OF_RANGE, f"max_current {amps} A is above this charger's maximum of {high:g} A"
        )
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
        learnt: Callable[[], Awaitable[object]],
    ) -> None:
        self.client = client
        self.account = account
        self.poller = poller
        self.landing = landing
        self.fresh_within = fresh_within
        self.learnt = learnt  # the tenant taught us something: keep it in the memory file

    async def run(self, command: ChargerCommand, charger: Charger) -> Outcome:
        match command:
            case StartCharging(max_current=amps):
                return await self._start(charger, amps)
            case StopCharging():
                return await self._stop(charger)
            case SetMaxCurrent(max_current=amps):
                return await self._set_max_current(charger, amps)
            case UpdateData():
                error = await self.account.refresh()
                return Outcome(True) if error is None else _failed("update failed", error)
        unhandled(command)

    async def _reading(self, charger: Charger) -> Outcome | None:
        """Make sure the charger has been read at least once; returns why not, if it cannot be."""
        if charger.charge_point is None or charger.evse is None:
            error = await self.account.refresh()
            if charger.charge_point is None or charger.evse is None:
                reason = charger.problem or (error.message if error else "no reading yet")
                code = reason_of(error) if error is not None and charger.problem is None else Reason.UNAVAILABLE
                return Outcome.failed(code, f"cannot read charger {charger.id}: {reason}")
        return None

    async def _limit(self, charger: Charger, amps: int) -> Outcome | None:
        """Set the charger's current limit; returns why it failed, if it did."""
        assert charger.charge_point is not None
        refused = check_current(amps, charger.charge_point.current_range, charger.config.max_current)
        if refused is not None or charger.charge_point.max_current_a == amps:
            return refused
        try:
            await self.client.set_max_current(charger.id, amps)
        except AmpecoError as err:
            return _failed(f"could not set the current limit to {amps} A", err)
        charger.note_limit(amps)
        return None

    async def _start(self, charger: Charger, max_current: int | None) -> Outcome:
        if (problem := await self._reading(charger)) is not None:
            return problem
        if (session_id := charger.session_id) is not None:
            return Outcome.failed(
                Reason.ALREADY_CHARGING,
                f"a charging session ({session_id}) is already running on {charger.id}",
                session_id=session_id,
            )
        if max_current is not None and (problem := await self._limit(charger, max_current)) is not None:
            assert problem.reason is not None
            assert problem.error is not None
            return Outcome.failed(problem.reason, f"{problem.error}; charging was not started", poll=problem.poll)
        evse = charger.evse
        assert evse is not None
        return await self._start_on(charger, evse, max_current, await self.landing.running())

    async def _start_on(self, charger: Charger, evse: Evse, max_current: int | None, before: set[str]) -> Outcome:
        """Try the tenant's EVSE key, then the other one, until a start lands on our EVSE."""
        notes: list[str] = []
        rejected: AmpecoError | None = None
        for key in self.client.tenant.start_keys(evse):
            try:
                told = await self.client.start_session(evse, key, max_current)
            except RefusedError as err:
                reason = Reason.REFUSED if evse.car_plugged_in else Reason.NOT_PLUGGED
                return Outcome.failed(reason, f"the charger refused to start: {err.message}", poll=True)
            except (RequestError, NotFoundError) as err:  # this tenant may name EVSEs by the other key
                rejected = err
                continue
            except AmpecoError as err:
                return _failed("start failed", err)
            landing = await self.landing.find(charger, evse, told, before)
            if landing.session is None:
                return self._not_seen(evse, notes)
            if landing.ours:
                await self._learn(key)
                if landing.session.is_open:
                    charger.note_session(landing.session)
                self.poller.confirm(charger, _charging_steadily(charger))
                return Outcome(True, session_id=landing.session.id, poll=True, note=_joined(notes) or None)
            stray = await self._stop_stray(charger, key, landing.session)
            if isinstance(stray, Outcome):
                assert stray.error is not None
                return Outcome.failed(Reason.NOT_LANDED, _joined([*notes, stray.error]), poll=True)
            notes.append(stray)
        if rejected is not None and not notes:
            return _failed("start failed", rejected)
        return Outcome.failed(Reason.NOT_LANDED, _joined(notes, "charging was not started"), poll=True)

    def _not_seen(self, evse: Evse, notes: list[str]) -> Outcome:
        where = evse.identifier or evse.id
        held = self.client.held_for()
        if held > 0:
            text = (
                f"the AMPECO cloud accepted the start, but holds reads back for {held:.0f} s, so where its session "
                "runs cannot be seen yet; the sensors will show it then"
            )
            return Outcome.failed(Reason.RATE_LIMITED, _joined(notes, text), poll=True)
        text = (
            f"the AMPECO cloud accepted the start, but no session showed up on EVSE {where} within "
            f"{LANDING_WITHIN:.0f} s; the sensors will show it if it starts later"
        )
        return Outcome.failed(Reason.NOT_LANDED, _joined(notes, text), poll=True)

    async def _stop_stray(self, charger: Charger, key: str, stray: Session) -> str | Outcome:
        """A start by `key` landed on another EVSE: remember the other key, stop it; the note to tell, or the
        failure."""
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
            return Outcome.failed(Reason.NOT_LANDED, problem)
        note = f"the start by EVSE {key} landed on {place} and was stopped at once"
        self.account.logbook(f"{charger.label}: {note}", "WARNING")
        return note

    async def _learn(self, key: str) -> None:
        tenant = self.client.tenant
        if tenant.evse_key != key:
            tenant.evse_key = key
            self.account.logbook(f"this AMPECO tenant starts charging by the EVSE's {key}; remembered")
            await self.learnt()

    async def _stop(self, charger: Charger) -> Outcome:
        last = charger.last_success
        stale = last is None or self.account.clock() - last > self.fresh_within or self.account.error is not None
        if charger.session_id is None and (stale or _session_unknown(charger)):
            # After a restart, long after the last reading, or while reads fail: look before saying anything.
            error = await self.account.refresh()
            if error is not None and charger.session_id is None:
                return _failed(f"cannot tell whether a session runs on {charger.id}", error)
        session_id = charger.session_id
        if session_id is None and _session_unknown(charger):
            return Outcome.failed(
                Reason.UNAVAILABLE,
                f"cannot tell whether a session runs on {charger.id}: its running session cannot be looked up now",
            )
        if session_id is None:
            return Outcome.failed(
                Reason.NOTHING_TO_STOP, f"nothing to stop: no charging session is running on {charger.id}"
            )
        if charger.session is not None and status_is(charger.session.status, "stopping"):
            return Outcome(True, session_id=session_id)
        try:
            await self.client.stop_session(session_id)
        except NotFoundError:
            return Outcome(True, session_id=session_id, poll=True)
        except AmpecoError as err:
            return _failed("stop failed", err, session_id=session_id)
        self.poller.confirm(charger, lambda: charger.session_id is None)
        return Outcome(True, session_id=session_id, poll=True)

    async def _set_max_current(self, charger: Charger, amps: int) -> Outcome:
        if (problem := await self._reading(charger)) is not None:
            return problem
        if (problem := await self._limit(charger, amps)) is not None:
            return problem
        self.poller.confirm(charger, lambda: charger.current_limit == amps)
        return Outcome(True, session_id=charger.session_id, poll=True)


def _session_unknown(charger: Charger) -> bool:
    """The EVSE's status speaks of a session, but the answer carried none and the lookup could not tell (see
    `sessions.embedded_sessions`): its session is unknown, not absent."""
    evse = charger.evse
    return evse is not None and not evse.session_reported and suggests_session(evse.status)


def _charging_steadily(charger: Charger) -> Callable[[], bool]:
    """Done once the started session draws power and it has stopped rising (chargers ramp up over a few
    seconds; the sensors should not be left at the first trickle until the next 30 s poll), or the car is
    full. Rising is judged between readings STEADY_APART apart: two reads close together (a live update's
    right after a poll's) show no rise even halfway up the ramp."""
    seen: list[tuple[float, float]] = []  # (when read, power)

    def done() -> bool:
        session, evse, at = charger.session, charger.evse, charger.last_success
        if session is None or evse is None or at is None or status_is(session.status, "starting"):
            return False
        if is_suspended_status(evse.status):
            return True
        power = session.power_kw or 0.0
        before = [earlier for when, earlier in seen if at - when >= STEADY_APART]
        steady = power > 0 and bool(before) and abs(power - before[-1]) <= 0.05 * power
        if not seen or seen[-1][0] != at:  # asked again without a new reading: nothing new
            seen.append((at, power))
        return steady

    return done


def _joined(notes: list[str], last: str | None = None) -> str:
    return "; ".join([*notes, *([last] if last else [])])
