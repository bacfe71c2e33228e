"""Polling for the chargers of one account (host + token): one request a round serves them all.

A round: fetch the charge point list, read each configured charger (with the session embedded in its
EVSE), re-arm the timer for the most active charger's cadence, publish what changed, then announce the
transitions. A command's `refresh()` joins a round already under way instead of starting another, so there
is never more than one poll request in flight for an account.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from .charger import Charger
from .client import AmpecoClient
from .entities import PollStatus
from .errors import AmpecoError, AuthError, NotFoundError
from .events import describe, transition_event
from .host import Host, Logbook, one_line
from .lifecycle import SessionEnded, Transition, with_final
from .models import ChargePoint, Evse, Oddity, item_id, parse_session
from .polling import PollPolicy
from .status import suggests_session

CONFIRM_WITHIN = 60.0
Reading = tuple[Charger, Mapping[str, Any], ChargePoint]


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
        persist: Callable[[bool], Awaitable[None]],
    ) -> None:
        self.client = client
        self.chargers = chargers
        self.policy = policy
        self.host = host
        self.logbook = logbook
        self.unavailable_after = unavailable_after
        self.rand = rand
        self.persist = persist
        self.failures = 0
        self.error: AmpecoError | None = None
        self._timer: Any = None
        self._expiry: Any = None
        self._delay = 0.0
        self._next_poll = host.now()
        self._round: asyncio.Future[AmpecoError | None] | None = None
        self._confirming: list[tuple[float, Callable[[], bool]]] = []
        self._closed = False

    @property
    def labels(self) -> str:
        return ", ".join(c.label for c in self.chargers)

    async def start(self) -> None:
        """Show what the last run saw (if anything) at once, then poll at once."""
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

    def confirm(self, done: Callable[[], bool]) -> None:
        """Poll every few seconds until `done()` says the cloud shows a command's effect (or a minute passes)."""
        self._confirming.append((self.host.now() + CONFIRM_WITHIN, done))

    async def _on_timer(self) -> None:
        self._timer = None
        await self.refresh()

    async def _poll_round(self) -> AmpecoError | None:
        error: AmpecoError | None = None
        announcements: list[tuple[Charger, list[Transition]]] = []
        try:
            announcements = await self._read()
        except AmpecoError as err:
            error = err
        except Exception as err:  # a bug must cost one round, never the polling itself
            error = AmpecoError(f"internal error: {one_line(err)}")
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
        readings: list[Reading] = []
        for charger in self.chargers:
            item = by_id.get(charger.id) or await self._read_single(charger)
            if item is None:
                continue
            parsed = charger.parse(item)
            self._oddities(parsed.oddities)
            readings.append((charger, item, parsed.charge_point))
        evses = await self._with_sessions(readings)
        now = self.host.now()
        results = []
        for (charger, item, charge_point), evse in zip(readings, evses):
            if self.logbook.forget(f"missing:{charger.id}"):
                self.logbook(f"{charger.label}: found on the account again")
            transitions = charger.update(item, charge_point, evse, now)
            if charger.problem:
                self.logbook.once(f"problem:{charger.id}", f"{charger.label}: {charger.problem}", "ERROR")
            results.append((charger, await self._completed(charger, transitions)))
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

    async def _with_sessions(self, readings: list[Reading]) -> list[Evse | None]:
        """Each reading's EVSE; where an answer lacks the embedded session, ask the active-session endpoint."""
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
        raw = await self.client.active_session()
        for index in wanting:
            evse, charger = evses[index], readings[index][0]
            assert evse is not None
            oddities: list[Oddity] = []
            session = parse_session(raw, charger.config.units, oddities) if raw else None
            self._oddities(oddities)
            mine = session is not None and session.evse_identifier in (evse.identifier, evse.id, None)
            evses[index] = replace(evse, session=session if mine else None, session_reported=True)
        return evses

    async def _completed(self, charger: Charger, transitions: list[Transition]) -> list[Transition]:
        """Ended sessions completed with their final numbers from the session's own answer, when it has them."""
        completed = []
        for transition in transitions:
            if isinstance(transition, SessionEnded):
                summary = transition.session
                try:
                    raw = await self.client.session(summary.id)
                except AmpecoError as err:
                    self.logbook(f"{charger.label}: final numbers of session {summary.id} unavailable ({err.message})", "DEBUG")
                    raw = None
                if raw:
                    session = parse_session(raw, charger.config.units, [])
                    summary = with_final(summary, session) if session else summary
                charger.memory.last_session = summary
                transition = SessionEnded(summary)
            completed.append(transition)
        return completed

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
                for kind in ("auth", "other"):
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
        else:
            self.logbook.once(
                "poll-error:other",
                f"{self.labels}: cannot read the AMPECO cloud ({error.message}); keeping the last reading and "
                "retrying with back-off",
            )

    def _next_delay(self) -> float:
        now = self.host.now()
        self._confirming = [(deadline, done) for deadline, done in self._confirming if deadline > now and not done()]
        return self.policy.delay(
            active=any(c.may_be_charging for c in self.chargers),
            confirming=bool(self._confirming),
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
            poll = PollStatus(self._delay, self._next_poll, charger.may_be_charging, self.failures)
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
        await self.persist(urgent)

