"""What smart charging needs from the house it runs in (Home Assistant through AppDaemon in production): the
states of its input entities, a word when one changes, and the user's time zone."""

from collections.abc import Awaitable, Callable, Mapping
from datetime import tzinfo
from typing import Any, Protocol


class House(Protocol):
    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        """An entity's state and attributes: {"state": ..., "attributes": {...}}, or None."""

    async def watch(self, entity_id: str, callback: Callable[[str | None], Awaitable[None]]) -> None:
        """Call `callback(new_state)` whenever the entity changes state (None: it was removed)."""

    def timezone(self) -> tzinfo:
        """The user's time zone (a departure at 07:00 is 07:00 there)."""
