"""What the runtime needs from its host (AppDaemon in production, a fake in tests), and nothing more."""

import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol

from .entities import EntityState

Job = Callable[[], Awaitable[None]]


# Seconds a Home Assistant call (a state read, a service) may take; it answers at once unless it is
# starting or stuck.
HA_TIMEOUT = 10.0


class Host(Protocol):
    async def run_later(self, delay: float, job: Job) -> Any:
        """Run `job` after `delay` seconds; returns a handle for `cancel`."""

    async def cancel(self, handle: Any) -> None: ...

    async def publish(self, entity: EntityState) -> None:
        """Create or replace one entity, attributes included (none of the old ones kept)."""

    async def fire(self, event: str, data: dict[str, Any]) -> None: ...

    def log(self, message: str, level: str) -> None: ...

    async def watch(self, entity_id: str, callback: Callable[[str], Awaitable[None]]) -> None:
        """Call `callback(new_state)` whenever a Home Assistant entity changes state."""

    async def read(self, entity_id: str) -> str | None:
        """A Home Assistant entity's state now (None when it does not exist)."""

    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        """A Home Assistant entity's state and attributes: {"state": ..., "attributes": {...}}, or None."""

    def timezone(self) -> tzinfo:
        """The user's time zone (a departure at 07:00 is 07:00 there)."""

    async def call(self, service: str, data: dict[str, Any]) -> None:
        """Call a Home Assistant service, e.g. "input_boolean/turn_on"."""

    def now(self) -> float:
        """Wall-clock seconds since the epoch."""


class Logbook:
    """Log lines a person can read: secrets redacted always, repeated problems said once per episode."""

    def __init__(self, write: Callable[[str, str], None], secrets: Iterable[str]) -> None:
        self._write = write
        self._secrets = [s for s in secrets if s]
        self._said: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def __call__(self, message: str, level: str = "INFO") -> None:
        self._write(self.redact(message), level)

    def once(self, key: str, message: str, level: str = "WARNING") -> None:
        """Say `message` unless `key` was already said in this episode."""
        if key not in self._said:
            self._said.add(key)
            self(message, level)

    def forget(self, key: str) -> bool:
        """End an episode: the next `once(key, ...)` speaks again. True when it had been said."""
        if key in self._said:
            self._said.discard(key)
            return True
        return False


def one_line(err: BaseException) -> str:
    """An unexpected exception in one log line: type, message and the innermost place it came from."""
    frames = traceback.extract_tb(err.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(err).__name__}: {err}{place}"
