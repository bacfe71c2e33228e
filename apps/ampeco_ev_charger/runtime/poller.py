"""Polling, the change source that is always there: it asks its account to read at the policy's cadence.

After every round of the account (whoever asked for it: this timer, a command, a push event) the next poll
is set again from what that round saw. While a command waits for the cloud to show its effect, polls come
every second or few; while the cloud fails, a reading turns `unavailable` the moment its grace ends, not
at the next poll.
"""

import functools
import random
from collections.abc import Awaitable, Callable

from .account import Account
from .charger import Charger
from .polling import Activity, PollPolicy
from .timers import Scheduler, Timer
from .view import PollStatus

CONFIRM_WITHIN = 60.0


class Poller:
    def __init__(
        self,
        account: Account,
        policy: PollPolicy,
        scheduler: Scheduler,
        *,
        unavailable_after: float,
        on_expiry: Callable[[Account], Awaitable[None]],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.account = account
        self.policy = policy
        self.scheduler = scheduler
        self.unavailable_after = unavailable_after
        self.on_expiry = on_expiry
        self.rand = rand
        self.delay = 0.0
        # The cadence shown: the delay without the few fast polls that watch for a command's effect (they would
        # make the sensor, and Home Assistant's database, change every few seconds for nothing new).
        self.cadence = 0.0
        self._timer = Timer(scheduler, self._poll)
        self._expiry = Timer(scheduler, self._expired)
        self._confirming: list[tuple[float, Charger, Callable[[], bool]]] = []  # (since, charger, done)
        self._closed = False
        self.relaxed = False  # live updates flow: the idle cadence stretches

    @property
    def next_poll(self) -> float:
        return self._timer.due if self._timer.due is not None else self.scheduler.now()

    async def start(self) -> None:
        await self._arm(0.0)

    async def stop(self) -> None:
        self._closed = True
        await self._timer.cancel()
        await self._expiry.cancel()

    def status(self, charger: Charger) -> PollStatus:
        """What the sensors say about polling."""
        account = self.account
        credentials = account.credentials
        return PollStatus(
            self.cadence,
            charger.activity is Activity.CHARGING,
            account.failures,
            account.problem,
            credentials.expires_at,
            credentials.problem,
        )

    def confirm(self, charger: Charger, done: Callable[[], bool]) -> None:
        """Poll every few seconds until `done()` says the cloud shows a command's effect (or a minute passes).

        A newer command on the same charger replaces what an older one waited for (a stop right after a
        start: the start's effect will never show)."""
        self._confirming = [entry for entry in self._confirming if entry[1] is not charger]
        self._confirming.append((self.scheduler.now(), charger, done))

    def confirming(self, charger: Charger) -> bool:
        return any(waiting is charger for _, waiting, _ in self._confirming)

    async def relax(self, relaxed: bool) -> None:
        """Live updates started or stopped flowing. When they stop, the normal cadence is back at once: a
        poll further away than it allows is brought forward."""
        self.relaxed = relaxed
        if not relaxed and self._timer.due is not None and not self._closed:
            await self._arm(min(self._timer.due - self.scheduler.now(), self._next_delay()))

    async def after_round(self) -> None:
        await self._arm(self._next_delay())
        await self._arm_expiry()

    async def _poll(self) -> None:
        await self.account.refresh()

    def _next_delay(self) -> float:
        now, account = self.scheduler.now(), self.account
        self._confirming = [e for e in self._confirming if now - e[0] < CONFIRM_WITHIN and not e[2]()]
        confirming = now - max(e[0] for e in self._confirming) if self._confirming else None
        delay = functools.partial(
            self.policy.delay,
            activity=max((c.activity for c in account.chargers), default=Activity.IDLE),  # none: idle
            quiet_rounds=account.quiet_rounds,
            failures=account.failures,
            error=account.error,
            rand=self.rand(),
            relaxed=self.relaxed,
        )
        self.cadence = delay(confirming=None)
        return delay(confirming=confirming)

    async def _arm(self, delay: float) -> None:
        if not self._closed:
            self.delay = delay
            await self._timer.set(delay)

    async def _arm_expiry(self) -> None:
        await self._expiry.cancel()
        if self.account.error is None or self._closed:
            return
        now = self.scheduler.now()
        ends = [c.last_success + self.unavailable_after for c in self.account.chargers if c.last_success is not None]
        upcoming = [end for end in ends if now < end < self.next_poll]
        if upcoming:
            await self._expiry.set(min(upcoming) - now)

    async def _expired(self) -> None:
        await self.on_expiry(self.account)
        await self._arm_expiry()
