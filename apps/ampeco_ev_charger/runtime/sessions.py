"""Where sessions come from besides the EVSEs of the charge point list.

The list answer embeds each EVSE's running session; these fill the gaps it leaves: the active-session
endpoint where a tenant's answer carries no session, a session's own answer for its final numbers, and the
session history for sessions no poll ever saw.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ..ampeco import AmpecoClient, AmpecoError, ChargePoint, Evse, Oddity, parse_session, suggests_session
from .charger import Charger
from .lifecycle import SessionEnded, Transition, reconcile, with_final
from .logbook import Logbook

Reading = tuple[Charger, Mapping[str, Any], ChargePoint]


async def embedded_sessions(
    client: AmpecoClient, readings: list[Reading], note: Callable[[list[Oddity]], None]
) -> list[Evse | None]:
    """Each reading's EVSE; where the answer has no `session` key, one ask of the active-session endpoint."""
    evses = [charge_point.evse(charger.config.evse_id) for charger, _, charge_point in readings]
    wanting = [
        index
        for index, (charger, _, _) in enumerate(readings)
        if (evse := evses[index]) is not None
        and not evse.session_reported
        and (suggests_session(evse.status) or charger.memory.session is not None)
    ]
    if not wanting:
        return evses
    raw = await client.active_session()
    for index in wanting:
        evse, charger = evses[index], readings[index][0]
        assert evse is not None
        oddities: list[Oddity] = []
        session = parse_session(raw, charger.config.units, oddities) if raw else None
        note(oddities)
        mine = session is not None and session.evse_identifier in (evse.identifier, evse.id, None)
        evses[index] = replace(evse, session=session if mine else None, session_reported=True)
    return evses


async def with_final_numbers(
    client: AmpecoClient, charger: Charger, transitions: list[Transition], logbook: Logbook
) -> list[Transition]:
    """Ended sessions completed from the session's own answer (the last poll may be 30 s old)."""
    completed: list[Transition] = []
    for transition in transitions:
        if isinstance(transition, SessionEnded):
            summary = transition.session
            try:
                raw = await client.session(summary.id)
            except AmpecoError as err:
                logbook(f"{charger.label}: final numbers of session {summary.id} unavailable ({err.message})", "DEBUG")
                raw = None
            session = parse_session(raw, charger.config.units, []) if raw else None
            summary = with_final(summary, session) if session else summary
            charger.memory.finalise(summary)
            completed.append(SessionEnded(summary))
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
        raw = await client.session_history(first, today + timedelta(days=1))
    except AmpecoError as err:
        logbook(f"session history unavailable, will ask again ({err.message})", "DEBUG")
        return
    for charger, transitions in results:
        evse, charger_since = charger.evse, charger.memory.history_since
        if evse is None or charger_since is None:
            continue
        sessions = [s for s in (parse_session(item, charger.config.units, []) for item in raw) if s]
        mine = [s for s in sessions if s.evse_identifier in (evse.identifier, evse.id)]
        transitions.extend(reconcile(charger.memory, mine, charger_since))
