"""Reading one account (host + token): one request a round serves every charger on it.

A round fetches the charge point list, reads each configured charger (with the session embedded in its
EVSE), looks up what the list leaves out, and hands the transitions it found to `on_round`. A `refresh()`
joins a round already under way instead of starting another, so there is never more than one poll request
in flight for an account, whichever change source (the poll timer, a command, a push event) asks for it.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..ampeco import AmpecoClient, AmpecoError, AuthError, NotFoundError, Oddity, PayloadError, item_id, status_is
from .charger import Charger
from .credentials import Credentials
from .lifecycle import SessionEnded, StatusChanged, Transition
from .logbook import Logbook, one_line
from .sessions import Reading, SessionLookup, announce_missed, embedded_sessions, with_final_numbers
from .tenant import Tenant
from .timers import cancel_and_wait

Found = list[tuple[Charger, list[Transition]]]


class InternalError(AmpecoError):
    """A bug met while polling: it costs one round and one ERROR line, never the polling itself."""

    kind = "internal"


class Account:
    def __init__(
        self,
        client: AmpecoClient,
        chargers: list[Charger],
        *,
        credentials: Credentials,
        tenant: Tenant,
        logbook: Logbook,
        clock: Callable[[], float],
        on_round: Callable[["Account", Found], Awaitable[None]],
    ) -> None:
        self.client = client
        self.chargers = chargers
        self.credentials = credentials
        self.lookup = SessionLookup(client, tenant, logbook, lambda: self.labels)
        self.logbook = logbook
        self.clock = clock
        self.on_round = on_round
        self.failures = 0
        self.error: AmpecoError | None = None
        self.quiet_rounds = 0  # rounds in a row that read nothing new (the poll cadence stretches while quiet)
        self._round: asyncio.Future[AmpecoError | None] | None = None
        self._last_ok: float | None = None  # when a round last read the account
        self._signature: tuple[object, ...] = ()

    @property
    def problem(self) -> str | None:
        """Why the last round failed, with what the user can do about it."""
        if isinstance(self.error, AuthError):
            return self.credentials.refused or f"{self.error.message}; {self.credentials.advice}"
        return None if self.error is None else self.error.message

    @property
    def labels(self) -> str:
        return ", ".join(c.label for c in self.chargers)

    def recall(self) -> None:
        """After a restart: sessions may have come and gone while the app was not running; ask the history."""
        for charger in self.chargers:
            if charger.last_success is not None:
                charger.memory.want_history(charger.last_success)

    async def stop(self) -> None:
        await cancel_and_wait(self._round)

    async def refresh(self) -> AmpecoError | None:
        """Read now (or join the round under way); returns the error that round met, if any."""
        if self._round is None or self._round.done():
            self._round = asyncio.ensure_future(self._poll_round())
        return await asyncio.shield(self._round)

    async def _poll_round(self) -> AmpecoError | None:
        error: AmpecoError | None = None
        found: Found = []
        try:
            found = await self._read()
            signature = tuple(c.signature for c in self.chargers)
            self.quiet_rounds = self.quiet_rounds + 1 if signature == self._signature else 0
            self._signature = signature
        except AmpecoError as err:
            error = err
        except Exception as err:  # a bug must cost one round, never the polling itself
            error = InternalError(f"internal error: {one_line(err)}")
        self._outcome(error)
        await self.on_round(self, found)
        return error

    # --- reading ---------------------------------------------------------------------------------------

    async def _read(self) -> Found:
        if self.credentials.renewal_due():
            await self.client.renew_token()
        by_id = {item_id(item): item for item in await self.client.charge_points()}
        if self.failures and self._last_ok is not None:  # back after an outage: what happened meanwhile?
            for charger in self.chargers:
                charger.memory.want_history(self._last_ok)
        readings: list[Reading] = []
        for charger in self.chargers:
            item = by_id.get(charger.id) or await self._read_single(charger)
            if item is None:
                continue
            try:
                parsed = charger.parse(item)
            except PayloadError as err:  # this charger's answer is unusable; the others' may be fine
                charger.problem = f"unusable answer for charge point {charger.id}: {err.message}"
                self.logbook.once(f"missing:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
                continue
            self._oddities(parsed.oddities)
            readings.append((charger, item, parsed.charge_point))
        evses = await embedded_sessions(self.lookup, readings, self._oddities)
        now = self.clock()
        found: Found = []
        for (charger, item, charge_point), evse in zip(readings, evses, strict=True):
            if self.logbook.forget(f"missing:{charger.id}"):
                self.logbook(f"{charger.label}: found on the account again")
            transitions = charger.update(item, charge_point, evse, now)
            if charger.problem:
                self.logbook.once(f"problem:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
            if _finished_unseen(transitions) and self._last_ok is not None:
                charger.memory.want_history(self._last_ok)
            found.append((charger, await with_final_numbers(self.client, charger, transitions, self.logbook)))
        if any(charger.memory.history_since is not None for charger, _ in found):
            await announce_missed(self.client, found, self.clock(), self.logbook)
        self._last_ok = now
        return found

    async def _read_single(self, charger: Charger) -> Mapping[str, Any] | None:
        """A configured charger missing from the list: ask for it by id; 404 means a wrong id."""
        try:
            return await self.client.charge_point(charger.id)
        except NotFoundError:
            charger.problem = (
                f"charge point {charger.id} was not found on this account (HTTP 404); check chargepoint_id"
            )
        except AmpecoError as err:
            charger.problem = f"cannot read charge point {charger.id}: {err.message}"
        self.logbook.once(f"missing:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
        return None

    def _oddities(self, oddities: list[Oddity]) -> None:
        for oddity in oddities:
            self.logbook.once(
                f"oddity:{oddity.kind}", f"AMPECO answer oddity, ignored: {oddity.kind} (e.g. {oddity.example})"
            )

    def _outcome(self, error: AmpecoError | None) -> None:
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


def _finished_unseen(transitions: list[Transition]) -> bool:
    """The EVSE went to `finishing` without this round ending a session: one ended unseen."""
    finishing = any(isinstance(t, StatusChanged) and status_is(t.new, "finishing") for t in transitions)
    return finishing and not any(isinstance(t, SessionEnded) for t in transitions)
