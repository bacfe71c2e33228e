"""Session and status transitions, each announced once.

`Memory` is what must survive a restart (AppDaemon re-runs `initialize` whenever Home Assistant restarts):
the EVSE status last seen, the open session, the last finished one and which ids were already announced.
`observe` compares a new reading with it and returns the transitions to announce.
"""

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from ..ampeco import Session, is_drawing_status
from .memory_file import Saved

_REMEMBERED_IDS = 50
# No home charger delivers this much in its life (22 kW for 50 years is under 10 GWh): a meter past it is a glitch.
MAX_METER_KWH = 10_000_000.0
_LAST_TIME = 253402300799.0  # 9999-12-31


@dataclass(frozen=True)
class SessionSummary:
    """What the sensors and events say about one session, in HA units."""

    id: str
    started_at: str | None = None
    stopped_at: str | None = None
    energy_kwh: float | None = None
    duration_min: float | None = None
    amount: float | None = None
    currency: str | None = None
    stop_reason: str | None = None

    def updated(self, session: Session) -> "SessionSummary":
        """Newer values of the same session; energy never goes down within a session."""
        energy = _max(self.energy_kwh, session.energy_kwh) if session.id == self.id else session.energy_kwh
        return SessionSummary(
            id=session.id,
            started_at=session.started_at or self.started_at,
            stopped_at=session.stopped_at or self.stopped_at,
            energy_kwh=energy,
            duration_min=_minutes(session.duration_s, self.duration_min),
            amount=_first(session.amount, session.total_amount, self.amount),
            currency=session.currency or self.currency,
            stop_reason=session.stop_reason or self.stop_reason,
        )


def summarize(session: Session) -> SessionSummary:
    return SessionSummary(id=session.id).updated(session)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _max(a: float | None, b: float | None) -> float | None:
    present = [v for v in (a, b) if v is not None]
    return max(present) if present else None


def _minutes(seconds: float | None, fallback: float | None) -> float | None:
    return fallback if seconds is None else seconds / 60


@dataclass(frozen=True)
class StatusChanged:
    old: str
    new: str


@dataclass(frozen=True)
class SessionStarted:
    session: SessionSummary


@dataclass(frozen=True)
class SessionEnded:
    session: SessionSummary
    live: bool = True  # False: no poll saw it; it was found in the cloud's session history
    detail: Session | None = field(default=None, compare=False)  # its own answer (the power curve), when read


Transition = StatusChanged | SessionStarted | SessionEnded


@dataclass
class Memory:
    evse_status: str | None = None
    session: SessionSummary | None = None
    last_session: SessionSummary | None = None
    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    vanished: bool = False  # the open session was missing from the last answer (see `observe`)
    # Sessions may have been missed since this time (an outage, a restart): the history is to be read.
    history_since: float | None = None
    # Energy of every ended session since the app first watched (the meter follows it and the open session).
    ended_energy_kwh: float = 0.0
    # The Energy dashboard's meter as shown: it follows `total_energy_kwh`, never goes down and never rises faster
    # than the charger delivers (a jump of the sessions' sum, after an outage say, is paced out, not one lump).
    meter_kwh: float | None = None
    meter_at: float | None = None  # when the meter last moved on

    def want_history(self, since: float) -> None:
        self.history_since = since if self.history_since is None else min(since, self.history_since)

    @property
    def total_energy_kwh(self) -> float:
        """The meter: ended sessions, plus what the open one has delivered so far, each kWh counted once."""
        running = 0.0
        if self.session is not None and self.session.energy_kwh is not None:
            running = self.session.energy_kwh
            if self.session.id in self.ended:  # back after a glitch ended it: only what it added since counts
                last = self.last_session
                # Of an earlier one than the last ended, what was counted is not known (nor will `finalise` add
                # to it): it adds nothing, rather than count it twice.
                counted = (last.energy_kwh or 0.0) if last is not None and last.id == self.session.id else running
                running = max(0.0, running - counted)
        return self.ended_energy_kwh + running

    def advance_meter(self, now: float, kw: float) -> None:
        """The meter, moved towards every kWh counted so far, at most as fast as `kw` delivers since it last moved."""
        target = self.total_energy_kwh
        if self.meter_kwh is None or self.meter_at is None:
            self.meter_kwh = target
        elif target > self.meter_kwh:
            self.meter_kwh = min(target, self.meter_kwh + kw * max(0.0, now - self.meter_at) / 3600)
        self.meter_at = now

    @property
    def meter(self) -> float:
        return self.total_energy_kwh if self.meter_kwh is None else self.meter_kwh

    def finalise(self, summary: SessionSummary) -> None:
        """Newer numbers of the last ended session (its own answer, or its return after a glitch)."""
        last = self.last_session
        if last is None or last.id != summary.id:
            return
        counted = _max(last.energy_kwh, summary.energy_kwh)  # a lower reading must not undo what was counted
        self.ended_energy_kwh += (counted or 0.0) - (last.energy_kwh or 0.0)
        self.last_session = replace(summary, energy_kwh=counted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_saved(cls, saved: Saved) -> "Memory":
        """From the memory file: each value checked, whatever is unusable starts empty."""
        if not saved.present:
            return cls()
        return cls(
            evse_status=saved.text("evse_status"),
            session=_summary(saved.get("session")),
            last_session=_summary(saved.get("last_session")),
            started=saved.texts("started")[-_REMEMBERED_IDS:],
            ended=saved.texts("ended")[-_REMEMBERED_IDS:],
            vanished=saved.flag("vanished") is True,
            history_since=saved.number("history_since", low=0, high=_LAST_TIME),
            ended_energy_kwh=saved.number("ended_energy_kwh", low=0, high=MAX_METER_KWH) or 0.0,
            meter_kwh=saved.number("meter_kwh", low=0, high=MAX_METER_KWH),
            meter_at=saved.number("meter_at", low=0, high=_LAST_TIME),
        )


def _summary(saved: Saved) -> SessionSummary | None:
    session_id = saved.text("id") if saved.present else None
    if session_id is None:
        return None
    return SessionSummary(
        id=session_id,
        started_at=saved.text("started_at"),
        stopped_at=saved.text("stopped_at"),
        energy_kwh=saved.number("energy_kwh", low=0, high=MAX_METER_KWH),
        duration_min=saved.number("duration_min", low=0),
        amount=saved.number("amount"),
        currency=saved.text("currency"),
        stop_reason=saved.text("stop_reason"),
    )


def _remember(ids: list[str], session_id: str) -> None:
    ids.append(session_id)
    del ids[:-_REMEMBERED_IDS]


def _start_once(memory: Memory, summary: SessionSummary, transitions: list[Transition]) -> None:
    """Announce a session's start, unless it already was (in this run or before a restart)."""
    if summary.id not in memory.started:
        _remember(memory.started, summary.id)
        transitions.append(SessionStarted(summary))


def _end(memory: Memory, summary: SessionSummary, transitions: list[Transition]) -> None:
    memory.session = None
    if summary.id in memory.ended:  # it came back after a glitch and ended again: count only what it added
        memory.finalise(summary)
        return
    _count_ended(memory, summary, transitions)


def _count_ended(memory: Memory, summary: SessionSummary, transitions: list[Transition], *, live: bool = True) -> None:
    _remember(memory.ended, summary.id)
    memory.ended_energy_kwh += summary.energy_kwh or 0.0
    transitions.append(SessionEnded(summary, live))
    last = memory.last_session
    if last is None or (_epoch(last.stopped_at) or 0) <= (_epoch(summary.stopped_at) or math.inf):
        memory.last_session = summary


def observe(
    memory: Memory, evse_status: str | None, session: Session | None, *, session_known: bool = True
) -> list[Transition]:
    """Update `memory` with a reading of one EVSE; return what changed, each transition exactly once.
    `session_known=False`: the session could not be looked up, so nothing is concluded about it."""
    transitions: list[Transition] = []
    first_reading = memory.evse_status is None and memory.session is None and not memory.ended
    _observe_status(memory, evse_status, transitions)
    if session_known and not _a_glitch(memory, evse_status, session):
        _observe_session(memory, session, first_reading, transitions)
    return transitions


def _observe_status(memory: Memory, evse_status: str | None, transitions: list[Transition]) -> None:
    if evse_status is None or evse_status == memory.evse_status:
        return
    if memory.evse_status is not None:
        transitions.append(StatusChanged(memory.evse_status, evse_status))
    memory.evse_status = evse_status


def _a_glitch(memory: Memory, evse_status: str | None, session: Session | None) -> bool:
    """One answer without the session while the EVSE still charges is a glitch until the next poll confirms
    it: a false "charging finished" is worse than learning of the end one poll later."""
    vanished = memory.session is not None and session is None
    if vanished and not memory.vanished and is_drawing_status(evse_status):
        memory.vanished = True
        return True
    memory.vanished = False
    return False


def _observe_session(
    memory: Memory, session: Session | None, first_reading: bool, transitions: list[Transition]
) -> None:
    open_session = session if session is not None and session.is_open else None
    closed_session = session if session is not None and not session.is_open else None
    known = memory.session
    if known is not None and (open_session is None or open_session.id != known.id):
        final = known.updated(closed_session) if closed_session and closed_session.id == known.id else known
        _end(memory, final, transitions)
    elif closed_session is not None and not first_reading and closed_session.id not in memory.ended:
        # Started and finished between two polls: still a session the user had.
        summary = summarize(closed_session)
        _start_once(memory, summary, transitions)
        _end(memory, summary, transitions)
    if open_session is not None:
        current = memory.session
        memory.session = current.updated(open_session) if current else summarize(open_session)
        _start_once(memory, memory.session, transitions)


def describe(transition: Transition) -> str:
    """A transition as a log line says it."""
    match transition:
        case StatusChanged(old=old, new=new):
            return f"EVSE status {old} -> {new}"
        case SessionStarted(session=summary):
            return f"session {summary.id} started"
        case SessionEnded(session=summary):
            return f"session {summary.id} ended: {delivered(summary, 3)}"
    raise TypeError(f"not a transition: {transition!r}")


def delivered(summary: SessionSummary, decimals: int) -> str:
    """What a session delivered, in words: "7.400 kWh in 42 min"."""
    energy = "unknown energy" if summary.energy_kwh is None else f"{summary.energy_kwh:.{decimals}f} kWh"
    return energy if summary.duration_min is None else f"{energy} in {summary.duration_min:.0f} min"


def with_final(summary: SessionSummary, session: Session) -> SessionSummary:
    """The ended session completed from its detail answer (final energy and amount)."""
    return summary.updated(session) if session.id == summary.id else summary


def reconcile(memory: Memory, sessions: Iterable[Session], since: float) -> list[Transition]:
    """Finished sessions the polls never saw (an outage, a restart, a short session): each announced once.

    `sessions` come from the account's session history; only those that ended after `since` (when the app
    last had an accurate picture) count, so history from before the app watched is never news.
    """
    transitions: list[Transition] = []
    memory.history_since = None
    open_id = memory.session.id if memory.session else None
    missed = [
        s
        for s in sessions
        if not s.is_open and s.id not in memory.ended and s.id != open_id and (_epoch(s.stopped_at) or 0) > since
    ]
    for session in sorted(missed, key=lambda s: _epoch(s.started_at) or 0):
        summary = summarize(session)
        _start_once(memory, summary, transitions)
        _count_ended(memory, summary, transitions, live=False)
    return transitions


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None
