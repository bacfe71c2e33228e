"""What a dashboard control does when it is used: the same commands and checks as the events, and a
notification where the user looks when it fails.

Shared by the helpers the user creates (input_boolean, input_number) and MQTT's switch, number and buttons.
"""

import asyncio
from collections.abc import Awaitable, Callable

from ..ampeco import as_amps
from ..const import DOMAIN, SET_MAX_CURRENT, START, STOP, UPDATE
from ..runtime.charger import Charger
from ..runtime.commands import (
    Command,
    CommandRefused,
    Outcome,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateData,
    whole_amps,
)
from ..runtime.logbook import Logbook
from .hass import HA_TIMEOUT, HomeAssistant

ORIGIN = "dashboard"
Run = Callable[[Command, str], Awaitable[Outcome]]
Refuse = Callable[[CommandRefused, str], Awaitable[Outcome]]
Undo = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    """No control to set back: an MQTT control shows the charger's state, never the wish."""


class Controls:
    def __init__(self, charger: Charger, ha: HomeAssistant, logbook: Logbook, run: Run, refuse: Refuse) -> None:
        self.charger = charger
        self.ha = ha
        self.logbook = logbook
        self.run = run
        self.refuse = refuse

    async def charge(self, on: bool, by: str, amps: float | None = None, undo: Undo = _nothing) -> Outcome | None:
        """Start (at `amps`, when given) or stop, as `by` (the control's entity id) asked; None when a session
        is already as asked (an echo of the app's own change). On failure the control is set back (`undo`)
        before the user is told why."""
        if on == (self.charger.session_id is not None):
            return None
        return await self._switch(on, f"{by} turned {'on' if on else 'off'}", amps, undo)

    async def stop(self, by: str) -> Outcome:
        """A stop button: always answered (without a session, the answer says there is none)."""
        return await self._switch(False, f"{by} pressed", None, _nothing)

    async def _switch(self, on: bool, what: str, amps: float | None, undo: Undo) -> Outcome:
        charger = self.charger
        self.logbook(f"{charger.label}: {what}: {START if on else STOP}")
        outcome = await self._send(
            lambda: (
                StartCharging(charger.id, None if amps is None else whole_amps(START, charger.id, amps))
                if on
                else StopCharging(charger.id)
            )
        )
        if not outcome.success:
            await undo()
            await self.tell(f"{'Charging did not start' if on else 'Charging did not stop'}: {outcome.error}")
        return outcome

    async def limit(self, value: str, by: str, undo: Undo = _nothing) -> Outcome | None:
        """A new current limit as text (a helper's or an MQTT number's state); None when it is the limit already
        or not a number (nothing to do)."""
        amps = as_amps(value)
        if amps is None or amps == self.charger.current_limit:
            return None
        self.logbook(f"{self.charger.label}: {by} set to {value}: {SET_MAX_CURRENT}")
        outcome = await self._send(
            lambda: SetMaxCurrent(self.charger.id, whole_amps(SET_MAX_CURRENT, self.charger.id, amps))
        )
        if not outcome.success:
            await undo()
            await self.tell(f"The current limit was not changed: {outcome.error}")
        return outcome

    async def refresh(self, by: str) -> Outcome:
        self.logbook(f"{self.charger.label}: {by} pressed: {UPDATE}")
        outcome = await self._send(lambda: UpdateData(self.charger.id))
        if not outcome.success:
            await self.tell(f"The charger could not be read: {outcome.error}")
        return outcome

    async def _send(self, build: Callable[[], Command]) -> Outcome:
        try:
            command = build()
        except CommandRefused as refusal:
            return await self.refuse(refusal, ORIGIN)
        return await self.run(command, ORIGIN)

    async def tell(self, message: str) -> None:
        """A dashboard user pressed something and it failed: say why where they look."""
        data = {
            "title": f"{self.charger.label}",
            "message": message,
            "notification_id": f"{DOMAIN}_{self.charger.config.slug}",
        }
        try:
            await asyncio.wait_for(self.ha.call("persistent_notification/create", data), HA_TIMEOUT)
        except Exception as err:
            self.logbook.once("notify", f"cannot create a notification: {err or type(err).__name__}", "WARNING")
