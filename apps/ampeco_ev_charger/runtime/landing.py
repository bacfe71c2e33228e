"""Where a start's session runs: on the configured EVSE, on another one, or nowhere yet.

Tenants disagree on whether `app/session/start` names an EVSE by its internal `id` or its printed
`identifier`, and on some the two number ranges overlap: the wrong key starts another user's EVSE, on this
user's account. So a start is believed only once the cloud shows where its session runs: the start's own
answer, the account's running sessions, or the charge point list. What a start left elsewhere is stopped,
again after every round until it is gone; and after a start whose session showed up nowhere, the account's
new sessions are watched for a while in case it lands late.
"""

from dataclasses import dataclass
from datetime import datetime

from ..ampeco import AmpecoError, Evse, NotFoundError, Session, session_on
from .account import Account
from .charger import Charger
from .timers import Scheduler

# How long a start may take to show where its session runs, and the pauses between looks.
LANDING_WITHIN = 30.0
PAUSES = (1.0, 1.0, 2.0, 2.0, 4.0)
# A session that started this close to one of our starts (the cloud's clock may differ from ours) is taken
# for that start's; and after a start that landed nowhere, new sessions are watched this long.
CLOSE_TO_A_START = 120.0
WATCH_LATE_LANDING = 600.0


@dataclass(frozen=True)
class Landing:
    """Where a start's session showed up: on our EVSE (`ours`), elsewhere, or (no session) nowhere yet."""

    session: Session | None
    ours: bool = False


@dataclass(frozen=True)
class _Unplaced:
    charger: Charger
    started: float
    before: frozenset[str]


class LandingCheck:
    def __init__(self, account: Account, scheduler: Scheduler) -> None:
        self.account = account
        self.scheduler = scheduler
        self.strays: dict[str, str] = {}  # sessions a start of ours left elsewhere, and where, until stopped
        self._unplaced: list[_Unplaced] = []

    async def running(self) -> set[str]:
        """The account's running sessions before a start: a new one after it is the start's."""
        ids = {c.session_id for c in self.account.chargers if c.session_id is not None}
        return ids | {s.id for s in await self._running()}

    async def _running(self) -> list[Session]:
        found = await self.account.running_sessions(several=True)
        return [] if found is None else found.sessions

    async def find(self, charger: Charger, evse: Evse, told: Session | None, before: set[str]) -> Landing:
        """Where the started session runs: as the start's answer says (`told`), else as the account shows it
        soon after."""
        started = self.scheduler.now()
        if told is not None and (told.evse_identifier or told.charge_point_id):
            return Landing(told, session_on(told, charger.id, evse))
        waited = 0
        while True:
            await self.account.refresh()
            if charger.session is not None and charger.session.id not in before:
                return Landing(charger.session, ours=True)
            for session in self._new(await self._running(), before, started):
                return Landing(session, session_on(session, charger.id, charger.evse or evse))
            pause = PAUSES[min(waited, len(PAUSES) - 1)]
            if self.scheduler.now() + pause > started + LANDING_WITHIN:
                self._unplaced.append(_Unplaced(charger, started, frozenset(before)))
                return Landing(None)
            await self.scheduler.sleep(pause)
            waited += 1

    def stray(self, session: Session, where: str) -> None:
        """A session a start of ours left elsewhere, which could not be stopped at once: stopped later."""
        self.strays[session.id] = where

    async def tidy(self) -> None:
        """After each round: look for starts that landed late, and stop what was left elsewhere."""
        now = self.scheduler.now()
        self._unplaced = [u for u in self._unplaced if now - u.started < WATCH_LATE_LANDING]
        if self._unplaced and (found := await self.account.running_sessions(several=True)) is not None:
            for unplaced in list(self._unplaced):
                charger, evse = unplaced.charger, unplaced.charger.evse
                for session in self._new(found.sessions, unplaced.before, unplaced.started):
                    self._unplaced.remove(unplaced)
                    if evse is None or not session_on(session, charger.id, evse):
                        self.strays[session.id] = (
                            f"EVSE {session.evse_identifier or '?'}, after a start of {charger.id}"
                        )
                    break
        for session_id, where in list(self.strays.items()):
            try:
                await self.account.client.stop_session(session_id)
            except NotFoundError:
                pass  # it has ended
            except AmpecoError as err:
                self.account.logbook.once(
                    f"stray:{session_id}",
                    f"cannot stop session {session_id} on {where} yet ({err.message}); trying again after each poll",
                    "ERROR",
                )
                continue
            del self.strays[session_id]
            self.account.logbook(f"session {session_id} on {where}, left by a start of ours, was stopped", "WARNING")

    def _new(self, sessions: list[Session], before: set[str] | frozenset[str], started: float) -> list[Session]:
        """Sessions that began with a start made at `started`: open, unseen before it, and begun close to it."""
        return [
            s
            for s in sessions
            if s.is_open and s.id not in before and s.id not in self.strays and _began_near(s, started)
        ]


def _began_near(session: Session, started: float) -> bool:
    if not session.started_at:
        return True
    try:
        began = datetime.fromisoformat(session.started_at).timestamp()
    except ValueError:
        return True
    return abs(began - started) <= CLOSE_TO_A_START
