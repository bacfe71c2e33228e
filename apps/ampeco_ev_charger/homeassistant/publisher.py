"""Showing the chargers in Home Assistant with `set_state`, and telling it what happened with events.

The default publishing path: every entity is written as a state of its own (no device, no unique id).
Only what changed since the last write is written again.
"""

from collections.abc import Callable
from typing import Any

from ..runtime.commands import CommandResult
from ..runtime.credential_watch import TokenExpiring
from ..runtime.lifecycle import Transition
from ..runtime.view import ChargerView
from .entities import build_entities
from .events import COMMAND_RESULT, TOKEN_EXPIRING, command_result_event, token_expiring_event, transition_event
from .hass import EntityState, HomeAssistant


class StatePublisher:
    def __init__(self, ha: HomeAssistant, clock: Callable[[], float]) -> None:
        self.ha = ha
        self.clock = clock
        self._published: dict[str, tuple[Any, dict[str, Any]]] = {}

    async def show(self, view: ChargerView) -> None:
        for entity in build_entities(view):
            await self.show_entity(entity)

    async def show_entity(self, entity: EntityState) -> None:
        """Write one entity, unless Home Assistant already has exactly this."""
        written = (entity.state, entity.attributes)
        if self._published.get(entity.entity_id) != written:
            await self.ha.set_state(entity)
            self._published[entity.entity_id] = written

    async def announce(self, chargepoint_id: str, transition: Transition) -> None:
        await self.ha.fire(*transition_event(chargepoint_id, transition))

    async def answer(self, result: CommandResult) -> None:
        await self.ha.fire(COMMAND_RESULT, command_result_event(result))

    async def warn(self, warning: TokenExpiring) -> None:
        await self.ha.fire(TOKEN_EXPIRING, token_expiring_event(warning, self.clock()))
