"""What the Home Assistant side needs from Home Assistant (AppDaemon in production, a fake in tests)."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol

# Seconds a Home Assistant call (a state read, a service) may take; it answers at once unless it is
# starting or stuck.
HA_TIMEOUT = 10.0


@dataclass(frozen=True)
class EntityState:
    entity_id: str
    state: Any
    attributes: dict[str, Any]


class HomeAssistant(Protocol):
    async def set_state(self, entity: EntityState) -> None:
        """Create or replace one entity, attributes included (none of the old ones kept)."""

    async def remove(self, entity_id: str) -> None:
        """Remove an entity written with `set_state` (until something writes it again)."""

    async def fire(self, event: str, data: dict[str, Any]) -> None: ...

    async def watch(self, entity_id: str, callback: Callable[[str | None], Awaitable[None]]) -> None:
        """Call `callback(new_state)` whenever a Home Assistant entity changes state (None: it was removed)."""

    async def read(self, entity_id: str) -> str | None:
        """A Home Assistant entity's state now (None when it does not exist)."""

    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        """A Home Assistant entity's state and attributes: {"state": ..., "attributes": {...}}, or None."""

    async def call(self, service: str, data: dict[str, Any]) -> None:
        """Call a Home Assistant service, e.g. "input_boolean/turn_on"."""

    def timezone(self) -> tzinfo:
        """The user's time zone (a departure at 07:00 is 07:00 there)."""

    async def import_statistics(self, metadata: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """Rows of a long-term statistic (Home Assistant's `recorder/import_statistics`); raises when Home
        Assistant did not take them."""
