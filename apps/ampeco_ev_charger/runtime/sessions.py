"""Where sessions come from besides the EVSEs of the charge point list.

The list answer embeds each EVSE's running session on most tenants; these fill the gaps it leaves: the
endpoints that list the account's running sessions (`app/session/active`, and `app/session/ongoing` where
active is missing or failing) for tenants whose answer carries no session, a session's own answer for its
final numbers, and the session history for sessions no poll ever saw.

A session is ours only when it names our EVSE's printed identifier (or our charge point): on some tenants an
EVSE's internal id is another user's identifier.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    ChargePoint,
    Evse,
    NotFoundError,
    Oddity,
    Session,
    is_drawing_status,
    parse_session,
    suggests_session,
)
from .charger import Charger
from .lifecycle import SessionEnded, Transition, reconcile, with_final
from .logbook import Logbook
from .tenant import Tenant

Reading = tuple[Charger, Mapping[str, Any], ChargePoint]


def belongs_to(session: Session, chargepoint_id: str, evse: Evse) -> bool:
    """The session runs on this EVSE: it names the EVSE's identifier, or the charge point itself."""
    if session.evse_identifier is not None:
        return evse.identifier is not None and session.evse_identifier == evse.identifier
    return session.charge_point_id is not None and session.charge_point_id == chargepoint_id


class SessionLookup:
    """The account's running sessions from the endpoints that list them.

    `app/session/active` first; `app/session/ongoing` where active is missing (a 404 that ongoing proves
    wrong) or failing. What the tenant has is learnt and remembered in its `Tenant`. A lookup that fails
    costs only itself: one WARNING per episode, and None for "cannot tell".
    """

    def __init__(self, client: AmpecoClient, tenant: Tenant, logbook: Logbook, labels: Callable[[], str]) -> None:
        self.client = client
        self.tenant = tenant
        self.logbook = logbook
        self.labels = labels
        self.sources: tuple[str, ...] = ()  # the endpoints the last answer came from

    async def open_sessions(self, *, several: bool = False) -> list[Mapping[str, Any]] | None:
        """The running sessions as the endpoints send them (the active answer whole, so `carBatteryPercent`
        beside its session is kept); None when no endpoint could tell. `several`: more than one EVSE wants
        its session, and `app/session/active` names one at most, so `app/session/ongoing` is asked too."""
        tenant, failed = self.tenant, []
        found: list[Mapping[str, Any]] = []
        sources: list[str] = []
        unsure = False  # active's 404 may mean "no such endpoint" on this tenant
        if tenant.active is not False:
            try:
                answer = await self.client.active_session()
            except AmpecoError as err:
                failed.append(f"app/session/active: {err.message}")
            else:
                sources.append("active")
                if answer is not None:
                    tenant.active = True
                    found.append(answer)
                unsure = answer is None and tenant.active is None and tenant.ongoing is not False
                if not several and not unsure:
                    return self._found(sources, found)
        if tenant.ongoing is not False:
            try:
                sessions = await self.client.ongoing_sessions()
            except NotFoundError:
                tenant.ongoing = False
            except AmpecoError as err:
                failed.append(f"app/session/ongoing: {err.message}")
            else:
                tenant.ongoing = True
                if unsure and sessions:
                    tenant.active = False  # its 404 did not mean "no session": this tenant has no such endpoint
                known = {_session_id(item) for item in found}
                found += [item for item in sessions if _session_id(item) not in known]
                sources.append("ongoing")
        if not sources and failed:
            self.logbook.once(
                "session-lookup",
                f"{self.labels()}: cannot look up the running session "
                f"({'; '.join(failed)}); the charge point readings go on without it",
            )
            return None
        return self._found(sources or ["active"], found)

    def _found(self, sources: list[str], sessions: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        self.sources = tuple(sources)
        if self.logbook.forget("session-lookup"):
            via = " and ".join(f"app/session/{source}" for source in sources)
            self.logbook(f"{self.labels()}: the running session can be looked up again ({via})")
        return sessions

    @property
    def full_cars_missing(self) -> bool:
        """The last answer came (also) from `ongoing`, which leaves out the sessions of full cars."""
        return "ongoing" in self.sources


def _session_id(raw: Mapping[str, Any]) -> object:
    inner = raw.get("session")
    return (inner if isinstance(inner, Mapping) else raw).get("id")


async def embedded_sessions(
    lookup: SessionLookup, readings: list[Reading], note: Callable[[list[Oddity]], None]
) -> list[Evse | None]:
    """Each reading's EVSE; where the answer has no `session` key, the session from one lookup. When the
    lookup cannot tell, or `ongoing` (empty while the car is full) lists nothing for an EVSE still drawing,
    the EVSE keeps `session_reported=False`: its session is unknown, not over."""
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
    raw = await lookup.open_sessions(several=len(wanting) > 1)
    if raw is None:
        return evses
    for index in wanting:
        evse, (charger, _, charge_point) = evses[index], readings[index]
        assert evse is not None
        oddities: list[Oddity] = []
        sessions = [s for s in (parse_session(item, charger.config.units, oddities) for item in raw) if s]
        note(oddities)
        mine = next((s for s in sessions if belongs_to(s, charge_point.id, evse)), None)
        if mine is None and lookup.full_cars_missing and is_drawing_status(evse.status):
            continue
        evses[index] = replace(evse, session=mine, session_reported=True)
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
        mine = [s for s in sessions if belongs_to(s, charger.id, evse)]
        transitions.extend(reconcile(charger.memory, mine, charger_since))
