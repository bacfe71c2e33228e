"""Where a start's session runs: on the configured EVSE, on another one, or nowhere yet.

Tenants disagree on whether `app/session/start` names an EVSE by its internal `id` or its printed
`identifier`, and on some the two number ranges overlap: the wrong key starts another user's EVSE, on this
user's account. So a start is believed only once the cloud shows where its session runs: the start's own
answer, the account's running sessions, or the charge point list.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..ampeco import Evse, Session, Units, parse_session
from .account import Account
from .charger import Charger
from .sessions import belongs_to
from .timers import Scheduler

# How long a start may take to show where its session runs, and the pauses between looks.
LANDING_WITHIN = 30.0
PAUSES = (1.0, 1.0, 2.0, 2.0, 4.0)


@dataclass(frozen=True)
class Landing:
    """Where a start's session showed up: on our EVSE (`ours`), elsewhere, or (no session) nowhere yet."""

    session: Session | None
    ours: bool = False


class LandingCheck:
    def __init__(self, account: Account, scheduler: Scheduler) -> None:
        self.account = account
        self.scheduler = scheduler

    async def running(self) -> set[str]:
        """The account's running sessions before a start: a new one after it is the start's."""
        ids = {c.session_id for c in self.account.chargers if c.session_id is not None}
        found = await self.account.lookup.open_sessions() or []
        return ids | {s.id for s in _sessions(found, Units())}

    async def find(self, charger: Charger, evse: Evse, answer: Mapping[str, Any] | None, before: set[str]) -> Landing:
        """Where the started session runs: as its answer says, else as the account shows it soon after."""
        units = charger.config.units
        started = next(iter(_sessions([answer] if answer else [], units)), None)
        if started is not None and (started.evse_identifier or started.charge_point_id):
            return Landing(started, belongs_to(started, charger.id, evse))
        deadline = self.scheduler.now() + LANDING_WITHIN
        waited = 0
        while True:
            await self.account.refresh()
            if charger.session is not None and charger.session.id not in before:
                return Landing(charger.session, ours=True)
            for session in _sessions(await self.account.lookup.open_sessions() or [], units):
                if session.is_open and session.id not in before:
                    return Landing(session, belongs_to(session, charger.id, charger.evse or evse))
            pause = PAUSES[min(waited, len(PAUSES) - 1)]
            if self.scheduler.now() + pause > deadline:
                return Landing(None)
            await self.scheduler.sleep(pause)
            waited += 1


def _sessions(raw: list[Mapping[str, Any]], units: Units) -> list[Session]:
    return [s for s in (parse_session(item, units, []) for item in raw) if s is not None]
