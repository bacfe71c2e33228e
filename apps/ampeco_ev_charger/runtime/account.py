"""Reading one account (host + token): one request a round serves every charger on it.

A round fetches the charge point list, reads each charger (with the session embedded in its EVSE), looks up
what the list leaves out, and hands what it found to every listener (`after_round`). A `refresh()` joins a
round already under way instead of starting another, so there is never more than one poll request in
flight for an account, whichever change source (the poll timer, a command, a push event) asks for it.

Where no charger was configured, the account's chargers are the ones the cloud lists: one added to the
account appears within a round, one removed goes.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..ampeco import (
    AmpecoClient,
    AmpecoError,
    AuthError,
    ChargePoints,
    Evse,
    NotFoundError,
    Oddity,
    PayloadError,
    Reading,
    RunningSessions,
    sample,
    status_is,
)
from ..const import slugify
from .charger import Charger
from .credentials import Credentials
from .errors import InternalError, RoundError
from .lifecycle import SessionEnded, StatusChanged, Transition
from .logbook import Logbook, one_line
from .plausible import Implausible
from .sessions import announce_missed, embedded_sessions, with_final_numbers
from .timers import cancel_and_wait
from .view import AccountView


@dataclass
class Round:
    """What one round found: each charger read with what happened to it, and the chargers that came or went
    (only where the account's chargers are discovered)."""

    found: list[tuple[Charger, list[Transition]]] = field(default_factory=list)
    added: list[Charger] = field(default_factory=list)
    removed: list[Charger] = field(default_factory=list)


RoundListener = Callable[["Account", Round], Awaitable[None]]
MakeCharger = Callable[[str], Charger]
GONE_AFTER = 3  # lists in a row without a discovered charger before it leaves
MOST_DISCOVERED = 50  # chargers watched on an account whose chargers are not listed in apps.yaml


class Account:
    def __init__(
        self,
        client: AmpecoClient,
        chargers: list[Charger],
        *,
        credentials: Credentials,
        logbook: Logbook,
        clock: Callable[[], float],
        discover: MakeCharger | None = None,
    ) -> None:
        self.client = client
        self.chargers = chargers
        self.credentials = credentials
        self.logbook = logbook
        self.clock = clock
        self.discover = discover  # the account's chargers are whatever the cloud lists, made by this
        self.failures = 0
        self.error: RoundError | None = None
        self.log_filled = False  # its history has been read into the session log
        self.quiet_rounds = 0  # rounds in a row that read nothing new (the poll cadence stretches while quiet)
        self._listeners: list[RoundListener] = []
        self._round: asyncio.Future[RoundError | None] | None = None
        self._last_ok: float | None = None  # when a round last read the account
        self._signature: tuple[object, ...] = ()
        self._implausible_keys: dict[str, set[str]] = {}  # each charger's values dropped in its last reading
        self._absent: dict[str, int] = {}  # discovered chargers missing from the list: lists in a row

    def after_round(self, listener: RoundListener) -> None:
        """Call `listener(account, round)` after every round, failed ones too, in the order they were given."""
        self._listeners.append(listener)

    @property
    def problem(self) -> str | None:
        """Why the last round failed, with what the user can do about it."""
        if isinstance(self.error, AuthError):
            return self.credentials.refused or f"{self.error.message}; {self.credentials.advice}"
        return None if self.error is None else self.error.message

    @property
    def view(self) -> AccountView:
        ids = tuple(c.id for c in self.chargers)
        return AccountView(self.client.host, ids, self.chargers[0].config.slug if self.chargers else "")

    @property
    def labels(self) -> str:
        return ", ".join(c.label for c in self.chargers) or self.client.host

    def recall(self) -> None:
        """After a restart: sessions may have come and gone while the app was not running; ask the history."""
        for charger in self.chargers:
            if charger.last_success is not None:
                charger.memory.want_history(charger.last_success)

    async def stop(self) -> None:
        await cancel_and_wait(self._round)

    async def refresh(self) -> RoundError | None:
        """Read now (or join the round under way); returns the error that round met, if any."""
        if self._round is None or self._round.done():
            self._round = asyncio.ensure_future(self._poll_round())
        return await asyncio.shield(self._round)

    async def running_sessions(self, several: bool = False) -> RunningSessions | None:
        """The account's running sessions; None when no endpoint could tell (said once per episode)."""
        try:
            found = await self.client.running_sessions(several=several)
        except AmpecoError as err:
            self.logbook.once(
                "session-lookup",
                f"{self.labels}: cannot look up the running session ({err.message}); the charge point readings go "
                "on without it",
            )
            return None
        if self.logbook.forget("session-lookup"):
            via = " and ".join(f"app/session/{source}" for source in found.sources)
            self.logbook(f"{self.labels}: the running session can be looked up again ({via})")
        return found

    async def _poll_round(self) -> RoundError | None:
        error: RoundError | None = None
        result = Round()
        try:
            result = await self._read()
            signature = tuple(c.signature for c in self.chargers)
            self.quiet_rounds = self.quiet_rounds + 1 if signature == self._signature else 0
            self._signature = signature
        except AmpecoError as err:
            error = err
        except Exception as err:  # a bug must cost one round, never the polling itself
            error = InternalError(f"internal error: {one_line(err)}")
        self._outcome(error)
        for listener in self._listeners:
            await listener(self, result)
        return error

    async def _read(self) -> Round:
        if self.credentials.renewal_due():
            await self.client.renew_token()
        listing = await self.client.charge_points()
        if self.failures and self._last_ok is not None:  # back after an outage: what happened meanwhile?
            for charger in self.chargers:
                charger.memory.want_history(self._last_ok)
        result = self._follow(listing)
        readings: list[tuple[Charger, Reading]] = []
        for charger in self.chargers:
            reading = await self._reading(charger, listing)
            if reading is not None:
                readings.append((charger, reading))
        evses = await embedded_sessions(self.running_sessions, readings)
        now = self.clock()
        for (charger, reading), evse in zip(readings, evses, strict=True):
            transitions = self._take(charger, reading, evse, now)
            final = await with_final_numbers(self.client, charger, transitions, self.logbook, now)
            result.found.append((charger, final))
        if any(charger.memory.history_since is not None for charger, _ in result.found):
            await announce_missed(self.client, result.found, self.clock(), self.logbook)
        for charger, _ in result.found:  # every kWh this round counted (final numbers, missed sessions): shown
            charger.memory.advance_meter(now, charger.limits.kw)
        self._last_ok = now
        return result

    def _take(self, charger: Charger, reading: Reading, evse: Evse | None, now: float) -> list[Transition]:
        """One charger's reading taken up, and what is worth saying about it."""
        if self.logbook.forget(f"missing:{charger.id}"):
            self.logbook(f"{charger.label}: found on the account again")
        transitions, dropped = charger.update(reading, evse, now)
        self._implausible(charger, dropped)
        if charger.problem:
            self.logbook.once(f"problem:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
        if _finished_unseen(transitions) and self._last_ok is not None:
            charger.memory.want_history(self._last_ok)
        return transitions

    def _follow(self, listing: ChargePoints) -> Round:
        """Where the chargers are discovered: those new on the account join, those gone from it leave once
        they have been missing from GONE_AFTER lists in a row (one list that lacks them is a glitch, and would
        take the charger and its running session away and announce them again)."""
        result = Round()
        if self.discover is None:
            return result
        listed = set(listing.readings) | set(listing.broken)
        for charger in [c for c in self.chargers if c.id not in listed]:
            self._absent[charger.id] = self._absent.get(charger.id, 0) + 1
            if self._absent[charger.id] >= GONE_AFTER:
                del self._absent[charger.id]
                self.chargers.remove(charger)
                result.removed.append(charger)
                self.logbook(f"{charger.label} is no longer on the account; it is no longer watched")
        for chargepoint_id in listed:
            self._absent.pop(chargepoint_id, None)
        for chargepoint_id in self._joining(listed):
            charger = self.discover(chargepoint_id)
            self.chargers.append(charger)
            result.added.append(charger)
            reading = listing.readings.get(chargepoint_id)
            name = reading.charge_point.name if reading is not None else None
            label = f"{name} ({chargepoint_id})" if name else chargepoint_id
            self.logbook(f"found charger {label} on the account; watching it")
        return result

    def _joining(self, listed: set[str]) -> list[str]:
        """The listed chargers that join, in id order: at most MOST_DISCOVERED watched in all, and none whose
        entities would be another's (ids that differ only in case or punctuation)."""
        slugs = {slugify(c.id) for c in self.chargers}
        joining: list[str] = []
        skipped: list[str] = []
        for chargepoint_id in sorted(listed - {c.id for c in self.chargers}):
            slug = slugify(chargepoint_id)
            if slug in slugs or len(self.chargers) + len(joining) >= MOST_DISCOVERED:
                skipped.append(chargepoint_id)
                continue
            slugs.add(slug)
            joining.append(chargepoint_id)
        if not skipped:
            self.logbook.forget("not-watched")
        else:
            self.logbook.once(
                "not-watched",
                f"some charge points on the account are not watched ({len(skipped)}: {sample(skipped)}): at most "
                f"{MOST_DISCOVERED} are found by themselves, each with entities of its own; list the ones to watch "
                "under `chargers:` in apps.yaml",
                "WARNING",
            )
        return joining

    async def _reading(self, charger: Charger, listing: ChargePoints) -> Reading | None:
        """The charger's reading from the list; a configured charger missing from it is asked for by id (a found
        one is not: it was found on the list, and leaves when the list goes on lacking it)."""
        reading = listing.readings.get(charger.id)
        if reading is not None:
            return reading
        broken = listing.broken.get(charger.id)
        if broken is not None:  # this charger's answer is unusable; the others' may be fine
            self._missing(charger, f"unusable answer for charge point {charger.id}: {broken.message}")
            return None
        if self.discover is not None:  # a found charger the list lacks keeps its last reading until it leaves
            return None
        try:
            return await self.client.charge_point(charger.id)
        except NotFoundError:
            self._missing(
                charger, f"charge point {charger.id} was not found on this account (HTTP 404); check chargepoint_id"
            )
        except PayloadError as err:
            self._missing(charger, f"unusable answer for charge point {charger.id}: {err.message}")
        except AmpecoError as err:
            self._missing(charger, f"cannot read charge point {charger.id}: {err.message}")
        return None

    def _implausible(self, charger: Charger, dropped: list[Implausible]) -> None:
        """Each impossible value: one WARNING when it starts, none while it goes on."""
        fields = {implausible.field for implausible in dropped}
        for implausible in dropped:
            self.logbook.once(
                f"implausible:{charger.id}:{implausible.field}",
                f"{charger.label}: a reading that cannot be true was dropped ({implausible.field}: {implausible.why}); "
                "the last good value stays",
            )
        for key in [k for k in self._implausible_keys.get(charger.id, set()) if k not in fields]:
            self.logbook.forget(f"implausible:{charger.id}:{key}")
        self._implausible_keys[charger.id] = fields

    def _missing(self, charger: Charger, problem: str) -> None:
        charger.problem = problem
        self.logbook.once(f"missing:{charger.id}", f"{charger.label}: {problem}", "ERROR")

    def _outcome(self, error: RoundError | None) -> None:
        """Count failures, and say each episode once: when it starts and when it ends."""
        if error is None:
            if self.failures:
                self.logbook(f"AMPECO cloud answers again for {self.labels} after {self.failures} failed poll(s)")
                for kind in ("auth", "internal", "other"):
                    self.logbook.forget(f"poll-error:{kind}")
            self.failures, self.error = 0, None
            return
        self.failures += 1
        self.error = error
        if isinstance(error, AuthError):
            self.logbook.once(
                "poll-error:auth",
                f"{self.labels}: {self.problem}. Polling slows down and recovers by itself once the token works.",
                "ERROR",
            )
        elif isinstance(error, InternalError):
            self.logbook.once(
                "poll-error:internal", f"{self.labels}: {error.message}. Polling goes on; please report this.", "ERROR"
            )
        else:
            self.logbook.once(
                "poll-error:other",
                f"{self.labels}: cannot read the AMPECO cloud ({error.message}); keeping the last reading and "
                "retrying with back-off",
            )


def note_oddity(logbook: Logbook, oddity: Oddity) -> None:
    """Something in an answer the client could not use: said once per kind."""
    logbook.once(f"oddity:{oddity.kind}", f"AMPECO answer oddity, ignored: {oddity.kind} (e.g. {oddity.example})")


def _finished_unseen(transitions: list[Transition]) -> bool:
    """The EVSE went to `finishing` without this round ending a session: one ended unseen."""
    finishing = any(isinstance(t, StatusChanged) and status_is(t.new, "finishing") for t in transitions)
    return finishing and not any(isinstance(t, SessionEnded) for t in transitions)
