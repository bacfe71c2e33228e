"""Timers on the host's scheduler, and background tasks stopped cleanly (no task outlives the app)."""

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Job = Callable[[], Awaitable[None]]
# No timer of the app is meant to be further away than this; a longer or non-finite delay (from a server, a
# sum gone wrong) would overflow AppDaemon's scheduler, so it is brought back to this.
LONGEST_DELAY = 2 * 86400.0


def bounded(delay: float) -> float:
    """A delay a scheduler can take: finite, not negative, at most LONGEST_DELAY."""
    return LONGEST_DELAY if math.isnan(delay) else min(LONGEST_DELAY, max(0.0, delay))


class Scheduler(Protocol):
    """Time as the host keeps it: AppDaemon's timers in production, a virtual clock in tests."""

    async def run_later(self, delay: float, job: Job) -> object:
        """Run `job` after `delay` seconds; returns a handle for `cancel`."""

    async def cancel(self, handle: object) -> None: ...

    async def sleep(self, seconds: float) -> None:
        """Wait while the host's time passes (a command waiting for the cloud to show its effect)."""

    def now(self) -> float:
        """Wall-clock seconds since the epoch."""


class Timer:
    """One pending run of `job` at most: setting it again replaces the run not yet made."""

    def __init__(self, scheduler: Scheduler, job: Job) -> None:
        self._scheduler = scheduler
        self._job = job
        self._handle: object | None = None
        self.due: float | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    async def set(self, delay: float) -> None:
        await self.cancel()
        delay = bounded(delay)
        self.due = self._scheduler.now() + delay
        self._handle = await self._scheduler.run_later(delay, self._run)

    async def cancel(self) -> None:
        handle, self._handle, self.due = self._handle, None, None
        if handle is not None:
            await self._scheduler.cancel(handle)

    async def _run(self) -> None:
        self._handle = self.due = None
        await self._job()


async def cancel_and_wait(task: "asyncio.Future[Any] | None", *, tries: int = 20, wait: float = 0.5) -> None:
    """Cancel a background task and wait until it has really ended, within `tries` x `wait` seconds.

    Cancelled again while it runs on: AppDaemon 4.5's Home Assistant calls swallow a cancellation (they answer
    None and the caller goes on), so one cancel can leave a task running for ever, and the app's `terminate`
    with it (AppDaemon then never starts the app again after Home Assistant comes back).
    """
    if task is None or task.done():
        return
    for _ in range(tries):
        task.cancel()
        await asyncio.wait({task}, timeout=wait)
        if task.done():
            if not task.cancelled():
                task.result()  # it failed on its way out: its error, as awaiting it would have raised
            return
