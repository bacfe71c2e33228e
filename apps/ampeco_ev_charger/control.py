"""Carrying out a validated command on one charger, following every tolerance rule the API needs.

Each function returns an `Outcome` (never raises for an API failure): the caller turns it into the one
`command_result` event the user's automation waits for.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .account import Account
from .charger import Charger
from .commands import SET_MAX_CURRENT, START, STOP, UPDATE, Command, check_current
from .errors import AmpecoError, NotFoundError, RefusedError
from .models import parse_session


@dataclass(frozen=True)
class Outcome:
    success: bool
    error: str | None = None
    session_id: str | None = None
    # The cloud's state changed (or was not what we believed): poll at once so sensors follow.
    poll: bool = False


# Runs one command as the events do (validation, lock, command_result): event type, data, and who asks.
Execute = Callable[[str, dict[str, Any], str], Awaitable[Outcome]]


async def run(command: Command, account: Account, charger: Charger, fresh_within: float) -> Outcome:
    if command.name == START:
        return await start_charging(account, charger, command.max_current)
    if command.name == STOP:
        return await stop_charging(account, charger, fresh_within)
    if command.name == SET_MAX_CURRENT:
        assert command.max_current is not None
        return await set_max_current(account, charger, command.max_current)
    assert command.name == UPDATE
    return await update_data(account)


async def update_data(account: Account) -> Outcome:
    error = await account.refresh()
    return Outcome(error is None, None if error is None else f"update failed: {error.message}")


async def _reading(account: Account, charger: Charger) -> str | None:
    """Make sure the charger has been read at least once; returns why not, if it cannot be."""
    if charger.charge_point is None or charger.evse is None:
        error = await account.refresh()
        if charger.charge_point is None or charger.evse is None:
            reason = charger.problem or (error.message if error else "no reading yet")
            return f"cannot read charger {charger.id}: {reason}"
    return None


async def _limit(account: Account, charger: Charger, amps: int) -> str | None:
    """Set the charger's current limit; returns why it failed, if it did."""
    assert charger.charge_point is not None
    problem = check_current(amps, charger.charge_point.current_range)
    if problem or charger.charge_point.max_current_a == amps:
        return problem
    try:
        await account.client.set_max_current(charger.id, amps)
    except AmpecoError as err:
        return f"could not set the current limit to {amps} A: {err.message}"
    charger.note_limit(amps)
    return None


async def start_charging(account: Account, charger: Charger, max_current: int | None) -> Outcome:
    if (problem := await _reading(account, charger)) is not None:
        return Outcome(False, problem)
    if (session_id := charger.session_id) is not None:
        return Outcome(False, f"a charging session ({session_id}) is already running on {charger.id}", session_id)
    if max_current is not None and (problem := await _limit(account, charger, max_current)) is not None:
        return Outcome(False, f"{problem}; charging was not started")
    evse = charger.evse
    assert evse is not None
    try:
        answer = await account.client.start_session(evse.id, evse.identifier, max_current)
    except RefusedError as err:
        return Outcome(False, f"the charger refused to start: {err.message}", poll=True)
    except AmpecoError as err:
        return Outcome(False, f"start failed: {err.message}", poll=True)
    session = parse_session(answer, charger.config.units, []) if answer else None
    if session is not None and session.is_open:
        charger.note_session(session)
    account.confirm(charger, _charging_steadily(charger))
    return Outcome(True, session_id=session.id if session else None, poll=True)


def _charging_steadily(charger: Charger) -> Callable[[], bool]:
    """Done once the started session draws power and it has stopped rising (chargers ramp up over a few
    seconds; the sensors should not be left at the first trickle until the next 30 s poll), or the car is
    full."""
    seen: list[float] = []

    def done() -> bool:
        session, evse = charger.session, charger.evse
        if session is None or evse is None or (session.status or "").lower() == "starting":
            return False
        if (evse.status or "").lower().startswith("suspended"):
            return True
        power = session.power_kw or 0.0
        steady = power > 0 and bool(seen) and abs(power - seen[-1]) <= 0.05 * power
        seen.append(power)
        return steady

    return done


async def stop_charging(account: Account, charger: Charger, fresh_within: float) -> Outcome:
    last = charger.last_success
    if charger.session_id is None and (last is None or account.host.now() - last > fresh_within):
        # After a restart, or long after the last reading: look before saying there is nothing to stop.
        await account.refresh()
    session_id = charger.session_id
    if session_id is None:
        return Outcome(False, f"nothing to stop: no charging session is running on {charger.id}")
    if charger.session is not None and (charger.session.status or "").lower() == "stopping":
        return Outcome(True, session_id=session_id)
    try:
        await account.client.stop_session(session_id)
    except NotFoundError:
        return Outcome(True, session_id=session_id, poll=True)
    except AmpecoError as err:
        return Outcome(False, f"stop failed: {err.message}", session_id, poll=True)
    account.confirm(charger, lambda: charger.session_id is None)
    return Outcome(True, session_id=session_id, poll=True)


async def set_max_current(account: Account, charger: Charger, amps: int) -> Outcome:
    if (problem := await _reading(account, charger)) is not None:
        return Outcome(False, problem)
    if (problem := await _limit(account, charger, amps)) is not None:
        return Outcome(False, problem)
    account.confirm(charger, lambda: charger.charge_point is not None and charger.charge_point.max_current_a == amps)
    return Outcome(True, session_id=charger.session_id, poll=True)
