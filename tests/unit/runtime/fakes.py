"""Small stand-ins for what the runtime's classes are made with (`runtime/build.py`): a virtual clock, a client
that answers in models, an account, a poller, a landing check, a publisher and the memory file.

Each fake does what its class's docstring promises and records what it was asked, nothing more: a test of one
class fakes its neighbours, so a rule that breaks shows in the test named for it.
"""

import inspect
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ampeco_ev_charger.ampeco import (
    ChargePoint,
    ChargePoints,
    Evse,
    Reading,
    RunningSessions,
    Session,
    Tenant,
)
from ampeco_ev_charger.runtime.account import Round
from ampeco_ev_charger.runtime.charger import Charger
from ampeco_ev_charger.runtime.commands import CommandResult, Outcome
from ampeco_ev_charger.runtime.config import AccountConfig, ChargerConfig
from ampeco_ev_charger.runtime.credentials import Configured, Credentials
from ampeco_ev_charger.runtime.errors import RoundError
from ampeco_ev_charger.runtime.landing import Landing
from ampeco_ev_charger.runtime.logbook import Logbook
from ampeco_ev_charger.runtime.view import AccountView, ChargerView, PollStatus

NOW = 1_764_000_000.0  # 2025-11-24, as the integration tests' virtual clock starts
HOST = "https://tenant.example"
ACCOUNT = AccountConfig(api_host=HOST, auth_token="token-1")
EVSE_ID, IDENTIFIER = "148964", "2317"  # as captured: on some tenants the id is another user's printed number

Job = Callable[[], Awaitable[None]]


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


class VirtualClock:
    """The host's scheduler (`runtime.timers.Scheduler`) on a clock only the test moves: timers run in order
    of their time when `advance` passes it; `sleep` moves the clock at once (a wait costs no real time)."""

    def __init__(self, now: float = NOW) -> None:
        self.time = now
        self._timers: dict[int, tuple[float, int, Job]] = {}
        self._ids = itertools.count()
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    async def run_later(self, delay: float, job: Job) -> object:
        handle = next(self._ids)
        self._timers[handle] = (self.time + delay, handle, job)
        return handle

    async def cancel(self, handle: object) -> None:
        self._timers.pop(handle, None)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds

    @property
    def pending(self) -> list[float]:
        """Seconds from now to each timer set."""
        return sorted(due - self.time for due, _, _ in self._timers.values())

    async def advance(self, seconds: float) -> None:
        target = self.time + seconds
        while due := sorted(t for t in self._timers.values() if t[0] <= target):
            at, handle, job = due[0]
            del self._timers[handle]
            self.time = max(self.time, at)
            await job()
        self.time = target


class Said:
    """A logbook whose lines the test reads back."""

    def __init__(self) -> None:
        self.all: list[tuple[str, str]] = []
        self.logbook = Logbook(lambda message, level: self.all.append((level, message)), [])

    def lines(self, level: str | None = None, containing: str = "") -> list[str]:
        return [m for lvl, m in self.all if (level is None or lvl == level) and containing in m]


def session(session_id: str = "s1", *, at: float = NOW, **fields: Any) -> Session:
    """A session that runs on our EVSE (it names our printed identifier) unless `fields` say otherwise."""
    return Session(
        **{"id": session_id, "evse_identifier": IDENTIFIER, "status": "active", "started_at": iso(at), **fields}
    )


def evse(status: str = "available", running: Session | None = None, **fields: Any) -> Evse:
    return Evse(**{"id": EVSE_ID, "identifier": IDENTIFIER, "status": status, "session": running, **fields})


def reading(chargepoint_id: str = "CP1", *evses: Evse, **fields: Any) -> Reading:
    """A charge point read from the list: 6-16 A, set to 16 A, with our EVSE unless others are given."""
    defaults = {"allowed_min_current_a": 6.0, "allowed_max_current_a": 16.0, "max_current_a": 16.0}
    charge_point = ChargePoint(**{"id": chargepoint_id, "evses": evses or (evse(),), **defaults, **fields})
    return Reading(charge_point, {"id": chargepoint_id})


def charger(chargepoint_id: str = "CP1", **config: Any) -> Charger:
    return Charger(ChargerConfig(chargepoint_id=chargepoint_id, account=ACCOUNT, **config))


def read(target: Charger, *evses: Evse, at: float = NOW, **fields: Any) -> Charger:
    """The charger takes a reading, as a round hands it over."""
    given = reading(target.id, *evses, **fields)
    target.update(given, given.charge_point.evse(target.config.evse_id), at)
    return target


def shows(target: Charger, *evses: Evse, **fields: Any) -> Callable[[], None]:
    """A round of the test's cloud (`FakeAccount.reads`): `target` reads `evses`, and the round succeeds."""

    def round_() -> None:
        read(target, *evses, **fields)

    return round_


class Answers:
    """Answers given one per call, in turn; the last one again once they run out."""

    def __init__(self, *answers: object) -> None:
        self._answers = list(answers)

    def next(self) -> object:
        return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]


class FakeClient:
    """`AmpecoClient` as the runtime sees it: answers in models. An answer is a value, an exception to raise,
    `Answers` in turn, or a function of the call's arguments (which may be a coroutine function)."""

    host = HOST

    def __init__(self, **answers: object) -> None:
        self.tenant = Tenant()
        self.held = 0.0
        self.calls: list[tuple[Any, ...]] = []
        self.answers: dict[str, object] = {
            "charge_points": ChargePoints({}, {}),
            "running_sessions": RunningSessions([]),
            "session": None,
            "session_history": Answers([]),
            "renew_token": False,
            "start_session": None,
            "stop_session": None,
            "set_max_current": None,
            **answers,
        }

    def asked(self, name: str) -> list[tuple[Any, ...]]:
        """The arguments of each call of `name`."""
        return [call[1:] for call in self.calls if call[0] == name]

    async def _answer(self, name: str, *args: object) -> Any:
        self.calls.append((name, *args))
        answer = self.answers[name]
        if isinstance(answer, Answers):
            answer = answer.next()
        if callable(answer) and not isinstance(answer, type):
            answer = answer(*args)
            if inspect.isawaitable(answer):
                answer = await answer
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def held_for(self) -> float:
        return self.held

    async def charge_points(self) -> Any:
        return await self._answer("charge_points")

    async def charge_point(self, chargepoint_id: str) -> Any:
        return await self._answer("charge_point", chargepoint_id)

    async def running_sessions(self, *, several: bool = False) -> Any:
        return await self._answer("running_sessions", several)

    async def session(self, session_id: str) -> Any:
        return await self._answer("session", session_id)

    async def session_history(self, start: object, end: object) -> Any:
        return await self._answer("session_history", start, end)

    async def renew_token(self) -> Any:
        return await self._answer("renew_token")

    async def start_session(self, target: Evse, key: str | None = None, max_current: int | None = None) -> Any:
        return await self._answer("start_session", target, key, max_current)

    async def stop_session(self, session_id: str) -> Any:
        return await self._answer("stop_session", session_id)

    async def set_max_current(self, chargepoint_id: str, amps: int) -> None:
        await self._answer("set_max_current", chargepoint_id, amps)


def credentials(said: Said, clock: Callable[[], float] = lambda: NOW) -> Credentials:
    """A token that cannot be renewed and has no end: nothing to warn about."""

    async def no_grant(*_args: object) -> Any:
        raise AssertionError("no refresh grant here")

    async def saved() -> None:
        """Nothing to keep."""

    return Credentials(Configured(ACCOUNT.auth_token), said.logbook, clock, grant=no_grant, saved=saved)


Listener = Callable[[Any, Round], Awaitable[None]]


class FakeAccount:
    """`Account` as its neighbours see it. `refresh` runs `reads` (the test's cloud: it may change the
    chargers, and returns the round's error), then the round listeners, as a real round does."""

    def __init__(
        self,
        chargers: list[Charger],
        client: FakeClient | None = None,
        *,
        said: Said | None = None,
        clock: Callable[[], float] = lambda: NOW,
        running: RunningSessions | None = None,
    ) -> None:
        self.chargers = chargers
        self.client = client or FakeClient()
        self.said = said or Said()
        self.logbook = self.said.logbook
        self.clock = clock
        self.credentials = credentials(self.said, clock)
        self.running = running if running is not None else RunningSessions([])  # None: no endpoint could tell
        self.reads: Callable[[], RoundError | None] = lambda: None
        self.error: RoundError | None = None
        self.failures = 0
        self.quiet_rounds = 0
        self.log_filled = False  # its history not read into the session log yet
        self.refreshes = 0
        self.stopped = False
        self._listeners: list[Listener] = []

    def after_round(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def refresh(self) -> RoundError | None:
        self.refreshes += 1
        self.error = self.reads()
        self.failures = self.failures + 1 if self.error is not None else 0
        await self.round(Round())
        return self.error

    async def round(self, found: Round) -> None:
        """A round ends with `found`: every listener hears of it."""
        for listener in self._listeners:
            await listener(self, found)

    async def running_sessions(self, several: bool = False) -> RunningSessions | None:
        return self.running

    @property
    def problem(self) -> str | None:
        return None if self.error is None else self.error.message

    @property
    def view(self) -> AccountView:
        return AccountView(HOST, tuple(c.id for c in self.chargers), "")

    @property
    def labels(self) -> str:
        return ", ".join(c.label for c in self.chargers)

    def recall(self) -> None:
        """Nothing was missed."""

    async def stop(self) -> None:
        self.stopped = True


@dataclass
class FakePoller:
    """`Poller` as the executor and the hub use it."""

    confirming: list[tuple[Charger, Callable[[], bool]]] = field(default_factory=list)
    rounds: int = 0
    running: bool = False

    def confirm(self, target: Charger, done: Callable[[], bool]) -> None:
        self.confirming.append((target, done))

    def status(self, _charger: Charger) -> PollStatus:
        return PollStatus(300.0, False)

    async def after_round(self) -> None:
        self.rounds += 1

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False


@dataclass
class FakeLanding:
    """`LandingCheck` as the executor and the hub use it: `landings` are where each start shows up, in turn."""

    landings: list[Landing] = field(default_factory=list)
    before: set[str] = field(default_factory=set)
    strays: dict[str, str] = field(default_factory=dict)
    tidied: int = 0

    async def running(self) -> set[str]:
        return set(self.before)

    async def find(self, _charger: Charger, _evse: Evse, told: Session | None, _before: set[str]) -> Landing:
        return self.landings.pop(0) if self.landings else Landing(told, ours=told is not None)

    def stray(self, stray: Session, where: str) -> None:
        self.strays[stray.id] = where

    async def tidy(self) -> None:
        self.tidied += 1


@dataclass
class FakePublisher:
    """Where the hub shows chargers and answers commands; `broken`: every write to Home Assistant fails."""

    shown: list[ChargerView] = field(default_factory=list)
    answers: list[CommandResult] = field(default_factory=list)
    announced: list[tuple[str, object]] = field(default_factory=list)
    lineups: list[list[str]] = field(default_factory=list)
    warnings: list[object] = field(default_factory=list)
    broken: bool = False

    async def show(self, view: ChargerView) -> None:
        if self.broken:
            raise ConnectionError("Home Assistant went away")
        self.shown.append(view)

    async def announce(self, chargepoint_id: str, transition: object) -> None:
        self.announced.append((chargepoint_id, transition))

    async def answer(self, result: CommandResult) -> None:
        self.answers.append(result)

    async def warn(self, warning: object) -> None:
        self.warnings.append(warning)

    async def settled(self, lineup: list[ChargerView]) -> None:
        self.lineups.append([view.chargepoint_id for view in lineup])


@dataclass
class FakeMemory:
    """The memory file: each save the hub asks for, and whether it said something changed."""

    saves: list[bool] = field(default_factory=list)
    problem: str | None = None

    async def save_if_due(self, _every: float, *, changed: bool = False) -> None:
        self.saves.append(changed)

    async def save(self) -> bool:
        self.saves.append(True)
        return True


def checked(outcome: Outcome) -> Outcome:
    """An outcome that is what `Outcome` promises: a failure has a reason and a sentence, a success neither."""
    assert (outcome.reason is None) == outcome.success == (outcome.error is None), outcome
    return outcome


class FakeBook:
    """`SessionBook` as the hub sees it: what it was handed to keep, fill and add up."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self.months: dict[str, Any] = {}
        self.kept: list[tuple[str, list[Any]]] = []
        self.filled: list[list[str]] = []
        self.added_up = 0
        self.broken = False  # adding up fails as a bug would

    async def keep(self, _client: object, target: Charger, transitions: list[Any]) -> None:
        if transitions:
            self.kept.append((target.id, transitions))

    async def fill(self, _client: object, chargers: list[Charger], _now: float) -> bool:
        self.filled.append([c.id for c in chargers])
        return True

    async def add_up(self, _chargers: list[Charger], _now: float) -> None:
        if self.broken:
            raise OverflowError("date value out of range")
        self.added_up += 1
