"""Waiting for what a test expects, never for a guessed number of seconds.

Messages through a real broker or a real websocket server arrive when they arrive: a test waits for the
condition itself, however long a loaded machine takes; the test tier's own timeout (pytest-timeout) is the
only bound, so a wait that fails under load fails as a timeout of the whole test, never as a guess that was
too short.
"""

import asyncio
import time
from collections.abc import Callable

POLL = 0.02  # seconds between looks at the condition


async def until(what: str, done: Callable[[], object]) -> float:
    """Wall-clock seconds until `done()` holds (for a report, never for an assertion); `what` names it in the
    traceback of a test that timed out here."""
    began = time.monotonic()
    while True:
        if await asyncio.to_thread(done):
            return time.monotonic() - began
        await asyncio.sleep(POLL)  # `what` is only for the traceback, should the test's timeout strike here
