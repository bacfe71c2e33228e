"""Showing the chargers in Home Assistant with `set_state`, and telling it what happened with events.

The default publishing path: every entity is written as a state of its own (no device, no unique id).
Only what changed since the last write is written again. The events are the same in every mode.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from ..runtime.commands import CommandResult
from ..runtime.credential_watch import TokenExpiring
from ..runtime.lifecycle import Transition
from ..runtime.logbook import Logbook, one_line
from ..runtime.timers import cancel_and_wait
from ..runtime.view import ChargerView
from .entities import UNAVAILABLE, Entity, as_state, build_entities
from .events import (
    COMMAND_RESULT,
    TOKEN_EXPIRING,
    command_result_event,
    logbook_message,
    token_expiring_event,
    transition_event,
)
from .hass import HA_TIMEOUT, EntityState, HomeAssistant


class EventAnnouncer:
    """What happened, as Home Assistant events for automations (sessions, command results, token warnings),
    and a session's start and end in Home Assistant's logbook, where people look back."""

    def __init__(self, ha: HomeAssistant, clock: Callable[[], float], logbook: Logbook) -> None:
        self.ha = ha
        self.clock = clock
        self.logbook = logbook
        self._names: dict[str, str] = {}  # chargepoint id: the charger's name, as last shown
        self._writing: set[asyncio.Future[None]] = set()  # logbook entries on their way

    def remember(self, view: ChargerView) -> None:
        self._names[view.chargepoint_id] = view.name

    async def stop(self) -> None:
        for task in list(self._writing):
            await cancel_and_wait(task)

    async def announce(self, chargepoint_id: str, transition: Transition) -> None:
        await self.ha.fire(*transition_event(chargepoint_id, transition))
        message = logbook_message(transition)
        if message is not None and chargepoint_id in self._names:
            # In the background: a slow Home Assistant must never hold up a poll round.
            task = asyncio.ensure_future(self._write_logbook(self._names[chargepoint_id], message))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

    async def _write_logbook(self, name: str, message: str) -> None:
        # Without entity_id: AppDaemon makes it a service target, which logbook.log refuses.
        entry = {"name": name, "message": message}
        try:
            await asyncio.wait_for(self.ha.call("logbook/log", entry), HA_TIMEOUT)
        except Exception as err:  # no logbook in this Home Assistant: the events still tell
            self.logbook.once("ha-logbook", f"cannot write to Home Assistant's logbook: {one_line(err)}", "WARNING")
        else:
            self.logbook.forget("ha-logbook")

    async def answer(self, result: CommandResult) -> None:
        await self.ha.fire(COMMAND_RESULT, command_result_event(result))

    async def warn(self, warning: TokenExpiring) -> None:
        await self.ha.fire(TOKEN_EXPIRING, token_expiring_event(warning, self.clock()))


class StatePublisher(EventAnnouncer):
    def __init__(self, ha: HomeAssistant, clock: Callable[[], float], logbook: Logbook) -> None:
        super().__init__(ha, clock, logbook)
        self._published: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._shown: dict[str, set[str]] = {}  # each charger's entity ids, by its slug

    async def start(self) -> None:
        """Nothing to prepare: states are written as they come."""

    async def show(self, view: ChargerView) -> None:
        self.remember(view)
        for entity in build_entities(view):
            await self.show_entity(entity)

    async def show_entity(self, entity: Entity) -> None:
        """Write one entity, unless Home Assistant already has exactly this."""
        state = as_state(entity)
        self._shown.setdefault(entity.slug, set()).add(state.entity_id)
        await self._write(state)

    async def settled(self, lineup: list[ChargerView]) -> None:
        """A charger no longer watched turns `unavailable` (Home Assistant forgets it at its next restart)."""
        watched = {view.slug for view in lineup}
        for slug in [slug for slug in self._shown if slug not in watched]:
            for entity_id in sorted(self._shown.pop(slug)):
                _state, attributes = self._published.get(entity_id, (None, {}))
                await self._write(EntityState(entity_id, UNAVAILABLE, attributes))

    async def _write(self, state: EntityState) -> None:
        written = (state.state, state.attributes)
        if self._published.get(state.entity_id) != written:
            await self.ha.set_state(state)
            self._published[state.entity_id] = written
