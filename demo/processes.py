"""Real servers as child processes, on loopback, with bounded waits and a clean shutdown (demo and e2e tests)."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.2) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):
            value = probe()
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


async def until(
    what: str, read: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float, every: float = 0.25
) -> T:
    """Read another process's state until `done` says it has come (nothing announces it, so it is read again
    every `every` seconds); fail with `what` and the last reading after `timeout` seconds."""
    last: list[T] = []
    try:
        async with asyncio.timeout(timeout) as bound:
            while not done(value := await read()):
                last[:] = [value]
                await asyncio.sleep(every)
            return value
    except TimeoutError:
        if not bound.expired():
            raise  # the read itself timed out
        seen = f"; last read: {last[0]!r:.500}" if last else ""
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}{seen}") from None


def http_json(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 5) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


class Process:
    """A child process whose output goes to a log file the test can read and keep as an artefact; `env` is its
    whole environment (by default this process's)."""

    def __init__(self, name: str, args: list[str], log: Path, cwd: Path = REPO, env: dict[str, str] | None = None):
        self.name = name
        self.log = log
        self._file = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            env=dict(os.environ) if env is None else env,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, wait up to `timeout`, then SIGKILL the whole process group."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._file.close()
        return self.popen.returncode


class Restartable:
    """A server the demo and the tests start (its `start`), stop and start again."""

    process: Process | None

    def start(self) -> "Restartable":
        raise NotImplementedError

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def simulator(tmp: Path, token: str, port: int | None = None, *extra: str) -> Iterator[str]:
    """`python -m simulator` on loopback; yields its URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    process = Process(
        "simulator",
        [sys.executable, "-m", "simulator", "--port", str(port), "--token", token, *extra],
        tmp / "simulator.log",
    )
    try:
        wait_for("the simulator", lambda: http_json("GET", f"{url}/_sim/state"), timeout=20)
        yield url
    finally:
        process.stop()
