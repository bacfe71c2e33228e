"""A real laravel-echo-server beside the in-process simulator, for live updates in tests and the benchmark."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from demo import echo
from simulator import Echo

from .stack import Stack


@contextlib.asynccontextmanager
async def echo_beside(s: Stack, folder: Path, ping_interval_ms: int = 25000) -> AsyncIterator[echo.EchoServer]:
    """The echo server, its backend the simulator, named in the simulator's settings and published to."""
    server = await asyncio.to_thread(echo.echo_server, folder, s.url, None, ping_interval_ms)
    s.simulator.broadcast_to(Echo(server.url, echo.APP_ID, echo.KEY))
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)
