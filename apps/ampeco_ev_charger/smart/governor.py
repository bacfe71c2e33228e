"""What the app may actually send: at most one command per decision, and only one that does something.

Protects the user's account and the charger's flash memory: whole amps only; a ±1 A deadband (a change to
the allowed minimum or maximum always passes, so the limit settles at the edges rather than a step short
of them); at most one current change per `min_change_interval`; no start while a session is open, no
stop without one; nothing at all while the AMPECO cloud fails; and nothing more until the charger shows
the last command, or its settling time has passed (doubling for each attempt that did not show).
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..runtime.commands import MAX_CURRENT_A, MIN_CURRENT_A, SetMaxCurrent, StartCharging, StopCharging
from .solar import span

SETTLE = timedelta(minutes=2)
API_FAILING = "the AMPECO cloud is failing: nothing is sent until it answers again"
MAX_SETTLE = timedelta(minutes=30)


@dataclass(frozen=True)
class ChargerState:
    """What the app knows of one charger from its latest reading."""

    plugged_in: bool  # a car is at the socket (binary_sensor.evse_{slug}_plugged_in)
    session_open: bool
    power_kw: float = 0.0
    current_limit_a: float | None = None
    allowed_min_a: float | None = None
    allowed_max_a: float | None = None
    # A meter that never decreases across sessions (the total-energy sensor): progress since plug-in.
    energy_meter_kwh: float | None = None
    api_ok: bool = True  # the last request to the cloud succeeded


@dataclass(frozen=True)
class Action:
    """One command for the app: `name` is the app's own command name (commands.START, ...)."""

    name: str
    amps: int | None = None

    def __str__(self) -> str:
        if self.name == SetMaxCurrent.name:
            return f"set the current to {self.amps} A"
        verb = "start" if self.name == StartCharging.name else "stop"
        return f"{verb} at {self.amps} A" if self.amps is not None else verb


@dataclass(frozen=True)
class Wish:
    """What a mode wants: charging or not, and the current limit (None: leave the charger's as it is)."""

    charge: bool
    amps: int | None = None


@dataclass(frozen=True)
class Pending:
    action: Action
    sent_at: datetime
    attempts: int = 1

    @property
    def settled_at(self) -> datetime:
        return self.sent_at + min(MAX_SETTLE, SETTLE * (1 << min(self.attempts - 1, 8)))


@dataclass(frozen=True)
class GovernorMemory:
    last_change: datetime | None = None  # the last current limit this app set
    pending: Pending | None = None  # the last command, until the charger shows it


@dataclass(frozen=True)
class Ruling:
    action: Action | None
    reason: str
    code: str
    memory: GovernorMemory
    wake_at: datetime | None = None  # when a wait ends, if nothing changes before


def amps_bounds(max_current: int | None, charger: ChargerState) -> tuple[int, int]:
    """Whole amps the charger accepts, capped by the configuration; the usual AC range while unknown."""
    low = MIN_CURRENT_A if charger.allowed_min_a is None else max(MIN_CURRENT_A, math.ceil(charger.allowed_min_a))
    allowed_max = None if charger.allowed_max_a is None else math.floor(charger.allowed_max_a)
    caps = [cap for cap in (max_current, allowed_max) if cap is not None]
    return low, max(low, min(caps, default=MAX_CURRENT_A))


def govern(
    wish: Wish,
    charger: ChargerState,
    memory: GovernorMemory,
    now: datetime,
    *,
    bounds: tuple[int, int],
    min_change_interval: float,
) -> Ruling:
    if not charger.api_ok:
        return Ruling(None, API_FAILING, "api_failing", memory)
    pending = memory.pending
    if pending is not None and _shown(pending.action, charger):
        pending, memory = None, replace(memory, pending=None)
    if wish.amps is not None:
        wish = replace(wish, amps=min(bounds[1], max(bounds[0], wish.amps)))
    ruling = _choose(wish, charger, memory, now, bounds, timedelta(seconds=min_change_interval))
    action = ruling.action
    if action is None:
        return ruling
    attempts = 1
    if pending is not None:
        sent = f"the {pending.action} sent {_ago(now, pending.sent_at)}"
        if now < pending.settled_at:
            return Ruling(None, f"waiting for the charger to show {sent}", "pending", memory, pending.settled_at)
        attempts = pending.attempts + 1 if action == pending.action else 1
        ruling = replace(ruling, reason=f"{ruling.reason} ({sent} did not show)")
    changes_limit = action.amps is not None and action.amps != charger.current_limit_a
    last_change = now if changes_limit else memory.last_change
    return replace(ruling, memory=GovernorMemory(last_change, Pending(action, now, attempts)))


def _choose(
    wish: Wish,
    charger: ChargerState,
    memory: GovernorMemory,
    now: datetime,
    bounds: tuple[int, int],
    interval: timedelta,
) -> Ruling:
    if not wish.charge:
        if charger.session_open:
            return Ruling(Action(StopCharging.name), "stopping", "stop", memory)
        return Ruling(None, "not charging, as wanted", "idle", memory)
    if not charger.session_open:
        if not charger.plugged_in:
            return Ruling(None, "no car plugged in", "no_car", memory)
        return Ruling(Action(StartCharging.name, wish.amps), "starting", "start", memory)
    limit, amps = charger.current_limit_a, wish.amps
    if amps is None or limit == amps:
        return Ruling(None, "charging" if limit is None else f"charging at {limit:g} A", "charging", memory)
    if limit is not None and abs(amps - limit) <= 1 and amps not in (bounds[0], bounds[1]):
        return Ruling(None, f"{amps} A wanted, within ±1 A of the {limit:g} A set", "deadband", memory)
    allowed_at = memory.last_change + interval if memory.last_change is not None else now
    if now < allowed_at:
        return Ruling(
            None,
            f"{amps} A wanted; the current changed {_ago(now, memory.last_change)}, "
            f"one change per {_minutes(interval)} min",
            "interval",
            memory,
            allowed_at,
        )
    change = f"changing the current from {_limit(limit)} to {amps} A"
    return Ruling(Action(SetMaxCurrent.name, amps), change, "set_current", memory)


def _shown(action: Action, charger: ChargerState) -> bool:
    if action.name == StartCharging.name:
        return charger.session_open
    if action.name == StopCharging.name:
        return not charger.session_open
    return charger.current_limit_a == action.amps


def _ago(now: datetime, then: datetime | None) -> str:
    return f"{span(0.0 if then is None else (now - then).total_seconds())} ago"


def _minutes(interval: timedelta) -> str:
    return f"{interval.total_seconds() / 60:g}"


def _limit(limit: float | None) -> str:
    return "an unknown limit" if limit is None else f"{limit:g} A"
