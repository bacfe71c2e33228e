"""A charger's dashboard controls: an input_boolean to charge or not, an input_number for the current limit.

AppDaemon cannot create switch entities, so without MQTT the user creates these two helpers and names them
in the config (with `mqtt:` the charger's device has a real switch and number). A change of a helper becomes
a command; and the app sets the helpers to match the charger (a session started from the phone turns the
boolean on). Its own change comes back as an echo, which can never act: a command is only sent when the
helper and the charger disagree.
"""

import asyncio
from collections.abc import Callable

from ..ampeco import as_amps
from ..runtime.charger import Charger
from ..runtime.timers import cancel_and_wait
from .controls import Controls
from .hass import HA_TIMEOUT


class DashboardHelpers:
    def __init__(
        self,
        charger: Charger,
        controls: Controls,
        *,
        switch: str | None,
        number: str | None,
        confirming: Callable[[Charger], bool],
    ) -> None:
        """`switch` and `number`: the helpers' entity ids (an input_boolean, an input_number), where given."""
        self.charger = charger
        self.ha = controls.ha
        self.logbook = controls.logbook
        self.controls = controls
        self.confirming = confirming
        self.switch = switch
        self.number = number
        self._reflecting: asyncio.Future[None] | None = None

    async def start(self) -> None:
        if self.switch:
            await self.ha.watch(self.switch, self._on_switch)
        if self.number:
            await self.ha.watch(self.number, self._on_number)

    async def stop(self) -> None:
        await cancel_and_wait(self._reflecting)

    async def _on_switch(self, new: str | None) -> None:
        if new not in ("on", "off") or (new == "on") == (self.charger.session_id is not None):
            return  # nothing to do: not even the number helper is read
        assert self.switch is not None
        # A start at the number helper's current, when there is one.
        amps = as_amps(await self._read(self.number)) if self.number and new == "on" else None
        switch = self.switch
        await self.controls.charge(new == "on", switch, amps, lambda: self._set(switch, "off" if new == "on" else "on"))

    async def _on_number(self, new: str | None) -> None:
        assert self.number is not None
        if new is None:
            return  # the helper was deleted: no value, nothing to send
        number, limit = self.number, self.charger.current_limit

        async def undo() -> None:
            if limit is not None:
                await self._set(number, limit)

        await self.controls.limit(new, number, undo)

    def reflect(self) -> None:
        """Show the charger on the helpers, in the background: a slow Home Assistant must never hold up
        polling. Not while a command or its confirmation is under way (the helper shows the user's wish)."""
        if self._reflecting is not None and not self._reflecting.done():
            return
        charger = self.charger
        if charger.lock.locked() or self.confirming(charger) or charger.charge_point is None:
            return
        self._reflecting = asyncio.ensure_future(self._reflect())

    async def _reflect(self) -> None:
        if self.switch:
            await self._set(self.switch, "on" if self.charger.session_id is not None else "off")
        limit = self.charger.current_limit
        if self.number and limit is not None:
            await self._set(self.number, limit)

    async def _read(self, entity_id: str) -> str | None:
        try:
            return await asyncio.wait_for(self.ha.read(entity_id), HA_TIMEOUT)
        except asyncio.TimeoutError:
            self.logbook.once(
                f"helper:{entity_id}",
                f"{self.charger.label}: cannot read {entity_id}: no answer from Home Assistant",
                "WARNING",
            )
            return None

    async def _set(self, entity_id: str, value: str | float) -> None:
        try:
            current = await asyncio.wait_for(self.ha.read(entity_id), HA_TIMEOUT)
            if current == value or (not isinstance(value, str) and as_amps(current) == value):
                return
            if isinstance(value, str):
                call = self.ha.call(f"input_boolean/turn_{value}", {"entity_id": entity_id})
            else:
                call = self.ha.call("input_number/set_value", {"entity_id": entity_id, "value": value})
            await asyncio.wait_for(call, HA_TIMEOUT)
        except Exception as err:  # a helper deleted, out of range, or Home Assistant not answering
            reason = "no answer from Home Assistant" if isinstance(err, asyncio.TimeoutError) else str(err)
            self.logbook.once(
                f"helper:{entity_id}", f"{self.charger.label}: cannot set {entity_id}: {reason}", "WARNING"
            )
