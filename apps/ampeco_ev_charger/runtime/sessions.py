"""Where sessions come from besides the EVSEs of the charge point list.

The list answer embeds each EVSE's running session on most tenants; these fill the gaps it leaves: the
account's running sessions for tenants whose answer carries no session, a session's own answer for its
final numbers, and the session history for sessions no poll ever saw. A session is ours only when it names
our EVSE's printed identifier (or our charge point): `ampeco.session_on`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    Evse,
    Reading,
    RunningSessions,
    is_drawing_status,
    session_on,
    suggests_session,
)
from . import plausible
from .charger import Charger
from .lifecycle import SessionEnded, Transition, reconcile, with_final
from .logbook import Logbook

Running = Callable[[bool], Awaitable[RunningSessions | None]]  # several wanted -> the sessions, None: cannot tell


async def embedded_sessions(running: Running, readings: list[tuple[Charger, Reading]]) -> list[Evse | None]:
    """Each reading's EVSE; where the answer has no `session` key, the session from one lookup. When the
    lookup cannot tell, or `ongoing` (empty while the car is full) lists nothing for an EVSE still drawing,
    the EVSE keeps `session_reported=False`: its session is unknown, not over."""
    evses = [reading.charge_point.evse(charger.config.evse_id) for charger, reading in readings]
    wanting = [index for index, evse in enumerate(evses) if _wants_lookup(readings[index][0], evse)]
    if not wanting:
        return evses
    found = await running(len(wanting) > 1)
    if found is None:
        return evses
    for index in wanting:
        evse, (_charger, reading) = evses[index], readings[index]
        assert evse is not None
        mine = next((s for s in found.sessions if session_on(s, reading.charge_point.id, evse)), None)
        if mine is None and not found.complete and is_drawing_status(evse.status):
            continue
        evses[index] = replace(evse, session=mine, session_reported=True)
    return evses


def _wants_lookup(charger: Charger, evse: Evse | None) -> bool:
    """An EVSE whose answer had no `session` key, where a session may run (or one is known to)."""
    if evse is None or evse.session_reported:
        return False
    return suggests_session(evse.status) or charger.memory.session is not None


async def with_final_numbers(
    client: AmpecoClient, charger: Charger, transitions: list[Transition], logbook: Logbook, now: float
) -> list[Transition]:
    """Ended sessions completed from the session's own answer (the last poll may be 30 s old)."""
    completed: list[Transition] = []
    for transition in transitions:
        if isinstance(transition, SessionEnded):
            summary = transition.session
            try:
                session = await client.session(summary.id)
            except AmpecoError as err:
                logbook(f"{charger.label}: final numbers of session {summary.id} unavailable ({err.message})", "DEBUG")
                session = None
            if session is not None:
                session, _dropped = plausible.session_numbers(session, None, charger.limits, now)
            summary = with_final(summary, session) if session else summary
            charger.memory.finalise(summary)
            completed.append(SessionEnded(summary, transition.live, session))
        else:
            completed.append(transition)
    return completed


async def announce_missed(
    client: AmpecoClient, results: list[tuple[Charger, list[Transition]]], now: float, logbook: Logbook
) -> None:
    """Add the finished sessions no poll saw to each charger's transitions, from one history request.

    Until that request succeeds, each charger keeps (in its memory, so across restarts too) since when it
    may have missed sessions, and the next round asks again.
    """
    since = min(c.memory.history_since for c, _ in results if c.memory.history_since is not None)
    today = datetime.fromtimestamp(now, timezone.utc).date()
    first = min(datetime.fromtimestamp(since, timezone.utc).date(), today) - timedelta(days=1)
    try:
        sessions = await client.session_history(first, today + timedelta(days=1))
    except AmpecoError as err:
        logbook(f"session history unavailable, will ask again ({err.message})", "DEBUG")
        return
    for charger, transitions in results:
        evse, charger_since = charger.evse, charger.memory.history_since
        if evse is None or charger_since is None:
            continue
        limits = charger.limits
        mine = [plausible.session_numbers(s, None, limits, now)[0] for s in sessions if session_on(s, charger.id, evse)]
        transitions.extend(reconcile(charger.memory, mine, charger_since))
