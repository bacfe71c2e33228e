"""Polling for the chargers of one account (host + token): one request a round serves them all.

A round: fetch the charge point list, read each configured charger (with the session embedded in its
EVSE), re-arm the timer for the most active charger's cadence, publish what changed, then announce the
transitions. A command's `refresh()` joins a round already under way instead of starting another, so there
is never more than one poll request in flight for an account.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .charger import Charger
from .client import AmpecoClient
from .entities import PollStatus
from .errors import AmpecoError, AuthError, NotFoundError, PayloadError
from .events import describe, transition_event
from .host import Host, Logbook, one_line
from .lifecycle import SessionEnded, StatusChanged, Transition
from .models import Oddity, item_id
from .polling import Activity, PollPolicy
from .sessions import Reading, announce_missed, embedded_sessions, with_final_numbers

CONFIRM_WITHIN = 60.0


class InternalError(AmpecoError):
    """A bug met while polling: it costs one round and one ERROR line, never the polling itself."""

    kind = "internal"


class Account:
    def __init__(
        self,
        client: AmpecoClient,
        chargers: list[Charger],
        *,
        policy: PollPolicy,
        host: Host,
        logbook: Logbook,
        unavailable_after: float,
        rand: Callable[[], float],
        after_round: Callable[["Account", bool], Awaitable[None]],
    ) -> None:
        self.client = client
        self.chargers = chargers
        self.policy = policy
        self.host = host
        self.logbook = logbook
        self.unavailable_after = unavailable_after
        self.rand = rand
        self.after_round = after_round
        self.failures = 0
        self.error: AmpecoError | None = None
        self._timer: Any = None
        self._expiry: Any = None
        self._delay = 0.0
        self._next_poll = host.now()
        self._round: asyncio.Future[AmpecoError | None] | None = None
        self._confirming: list[tuple[float, Charger, Callable[[], bool]]] = []  # (since, charger, done)
        self._closed = False
        self._last_ok: float | None = None  # when a round last read the account
        self._signature: tuple[object, ...] = ()
        self._quiet_rounds = 0  # rounds in a row that read nothing new (the cadence stretches while quiet)

    @property
    def labels(self) -> str:
        return ", ".join(c.label for c in self.chargers)

    async def start(self) -> None:
        """Show what the last run saw (if anything) at once, then poll at once.

        Sessions that came and went while the app was not running are looked up after the first poll.
        """
        for charger in self.chargers:
            if charger.last_success is not None:
                charger.memory.want_history(charger.last_success)
        await self._arm(0.0)
        await self._publish()

    async def stop(self) -> None:
        self._closed = True
        for handle in (self._timer, self._expiry):
            if handle is not None:
                await self.host.cancel(handle)
        self._timer = self._expiry = None
        if self._round is not None and not self._round.done():
            self._round.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._round

    async def refresh(self) -> AmpecoError | None:
        """Poll now (or join the round under way); returns the error that round met, if any."""
        if self._round is None or self._round.done():
            self._round = asyncio.ensure_future(self._poll_round())
        return await asyncio.shield(self._round)

    def confirm(self, charger: Charger, done: Callable[[], bool]) -> None:
        """Poll every few seconds until `done()` says the cloud shows a command's effect (or a minute passes).

        A newer command on the same charger replaces what an older one waited for (a stop right after a
        start: the start's effect will never show)."""
        self._confirming = [entry for entry in self._confirming if entry[1] is not charger]
        self._confirming.append((self.host.now(), charger, done))

    def confirming(self, charger: Charger) -> bool:
        return any(waiting is charger for _, waiting, _ in self._confirming)

    async def _on_timer(self) -> None:
        self._timer = None
        await self.refresh()

    async def _poll_round(self) -> AmpecoError | None:
        error: AmpecoError | None = None
        announcements: list[tuple[Charger, list[Transition]]] = []
        try:
            announcements = await self._read()
            signature = tuple(c.signature for c in self.chargers)
            self._quiet_rounds = self._quiet_rounds + 1 if signature == self._signature else 0
            self._signature = signature
        except AmpecoError as err:
            error = err
        except Exception as err:  # a bug must cost one round, never the polling itself
            error = InternalError(f"internal error: {one_line(err)}")
        self._account_outcome(error)
        await self._arm(self._next_delay())
        await self._arm_expiry()
        try:
            await self._publish()
            await self._announce(announcements)
        except Exception as err:
            self.logbook.once("host-error", f"cannot update Home Assistant: {one_line(err)}", "ERROR")
        else:
            self.logbook.forget("host-error")
        return error

    # --- reading ---------------------------------------------------------------------------------------

    async def _read(self) -> list[tuple[Charger, list[Transition]]]:
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
        evses = await embedded_sessions(self.client, readings, self._oddities)
        now = self.host.now()
        results = []
        for (charger, item, charge_point), evse in zip(readings, evses):
            if self.logbook.forget(f"missing:{charger.id}"):
                self.logbook(f"{charger.label}: found on the account again")
            transitions = charger.update(item, charge_point, evse, now)
            if charger.problem:
                self.logbook.once(f"problem:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
            if _finished_unseen(transitions) and self._last_ok is not None:
                charger.memory.want_history(self._last_ok)
            results.append((charger, await with_final_numbers(self.client, charger, transitions, self.logbook)))
        if any(charger.memory.history_since is not None for charger, _ in results):
            await announce_missed(self.client, results, self.host.now(), self.logbook)
        self._last_ok = now
        return results

    async def _read_single(self, charger: Charger) -> Mapping[str, Any] | None:
        """A configured charger missing from the list: ask for it by id; 404 means a wrong id."""
        try:
            return await self.client.charge_point(charger.id)
        except NotFoundError:
            charger.problem = f"charge point {charger.id} was not found on this account (HTTP 404); check chargepoint_id"
        except AmpecoError as err:
            charger.problem = f"cannot read charge point {charger.id}: {err.message}"
        self.logbook.once(f"missing:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
        return None

    def _oddities(self, oddities: list[Oddity]) -> None:
        for oddity in oddities:
            self.logbook.once(
                f"oddity:{oddity.kind}", f"AMPECO answer oddity, ignored: {oddity.kind} (e.g. {oddity.example})"
            )

    # --- outcome, timer, publishing --------------------------------------------------------------------

    def _account_outcome(self, error: AmpecoError | None) -> None:
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
                f"{self.labels}: {error.message}. Polling slows to every {self.policy.auth_interval / 60:.0f} min "
                "and recovers by itself once the token works.",
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

    def _next_delay(self) -> float:
        now = self.host.now()
        self._confirming = [e for e in self._confirming if now - e[0] < CONFIRM_WITHIN and not e[2]()]
        confirming = now - max(e[0] for e in self._confirming) if self._confirming else None
        return self.policy.delay(
            activity=max(c.activity for c in self.chargers),
            quiet_rounds=self._quiet_rounds,
            confirming=confirming,
            failures=self.failures,
            error=self.error,
            rand=self.rand(),
        )

    async def _arm(self, delay: float) -> None:
        if self._closed:
            return
        if self._timer is not None:
            await self.host.cancel(self._timer)
        self._delay, self._next_poll = delay, self.host.now() + delay
        self._timer = await self.host.run_later(delay, self._on_timer)

    async def _arm_expiry(self) -> None:
        """While failing, turn a reading `unavailable` the moment its grace ends, not at the next poll."""
        if self._expiry is not None:
            await self.host.cancel(self._expiry)
            self._expiry = None
        if self.error is None or self._closed:
            return
        now = self.host.now()
        ends = [c.last_success + self.unavailable_after for c in self.chargers if c.last_success is not None]
        upcoming = [end for end in ends if now < end < self._next_poll]
        if upcoming:
            self._expiry = await self.host.run_later(min(upcoming) - now, self._on_expiry)

    async def _on_expiry(self) -> None:
        self._expiry = None
        await self._publish()
        await self._arm_expiry()

    async def _publish(self) -> None:
        if self._closed:
            return
        now = self.host.now()
        error = self.error.message if self.error else None
        for charger in self.chargers:
            charging = charger.activity is Activity.CHARGING
            poll = PollStatus(self._delay, self._next_poll, charging, self.failures)
            view = charger.view(poll, now, self.unavailable_after, error)
            for entity in charger.changed_entities(view):
                await self.host.publish(entity)

    async def _announce(self, announcements: list[tuple[Charger, list[Transition]]]) -> None:
        urgent = False
        for charger, transitions in announcements:
            for transition in transitions:
                urgent = True
                self.logbook(f"{charger.label}: {describe(transition)}")
                await self.host.fire(*transition_event(charger.id, transition))
        await self.after_round(self, urgent)


def _finished_unseen(transitions: list[Transition]) -> bool:
    """The EVSE went to `finishing` without this round ending a session: one ended unseen."""
    finishing = any(isinstance(t, StatusChanged) and t.new.lower() == "finishing" for t in transitions)
    return finishing and not any(isinstance(t, SessionEnded) for t in transitions)
