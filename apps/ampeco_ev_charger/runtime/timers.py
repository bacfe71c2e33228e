"""Timers on the host's scheduler, and background tasks stopped cleanly (no task outlives the app)."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Job = Callable[[], Awaitable[None]]


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
        self.due = self._scheduler.now() + delay
        self._handle = await self._scheduler.run_later(delay, self._run)

    async def cancel(self) -> None:
        handle, self._handle, self.due = self._handle, None, None
        if handle is not None:
            await self._scheduler.cancel(handle)

    async def _run(self) -> None:
        self._handle = self.due = None
        await self._job()


async def cancel_and_wait(task: "asyncio.Future[Any] | None") -> None:
    """Cancel a background task and wait until it has really ended."""
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
