"""What a dashboard control does when it is used: the same commands and checks as the events, and a
notification where the user looks when it fails.

Shared by the helpers the user creates (input_boolean, input_number) and MQTT's switch, number and buttons.
Every use gets exactly one `command_result`, a value the command cannot take included.
"""

import asyncio
from collections.abc import Awaitable, Callable

from ..ampeco import as_amps
from ..const import DOMAIN
from ..runtime.charger import Charger
from ..runtime.commands import (
    Command,
    CommandRefused,
    CommandRow,
    Outcome,
    Reason,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    amps,
)
from ..runtime.logbook import Logbook
from .hass import HA_TIMEOUT, HomeAssistant

ORIGIN = "dashboard"
SWITCH_ON, SWITCH_OFF = "on", "off"
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

    async def switch(self, payload: str, by: str) -> Outcome | None:
        """A charging switch's command (`on`/`off`), as MQTT's switch sends it."""
        if payload not in (SWITCH_ON, SWITCH_OFF):
            name = StartCharging.name if payload.strip().lower() in ("on", "1", "true") else StopCharging.name
            return await self._refused(name, f"{by} takes `on` or `off`, got {payload[:40]!r}")
        return await self.charge(payload == SWITCH_ON, by, always=True)

    async def charge(
        self, on: bool, by: str, limit: float | None = None, undo: Undo = _nothing, *, always: bool = False
    ) -> Outcome | None:
        """Start (at `limit` amps, when given) or stop, as `by` (the control's entity id) asked; None when a
        session is already as asked (a helper's echo of the app's own change), unless `always` (an MQTT
        command is never an echo: it is sent, and answered). On failure the control is set back (`undo`)
        before the user is told why."""
        if not always and on == (self.charger.session_id is not None):
            return None
        charger = self.charger
        what = f"{by} turned {'on' if on else 'off'}"
        self.logbook(f"{charger.label}: {what}: {StartCharging.name if on else StopCharging.name}")
        outcome = await self._send(
            lambda: (
                StartCharging(charger.id, None if limit is None else amps(StartCharging.name, charger.id, limit))
                if on
                else StopCharging(charger.id)
            )
        )
        if not outcome.success:
            await undo()
            await self.tell(f"{'Charging did not start' if on else 'Charging did not stop'}: {outcome.error}")
        return outcome

    async def limit(self, value: str, by: str, undo: Undo = _nothing, *, always: bool = False) -> Outcome | None:
        """A new current limit as text (a helper's state or an MQTT number's command); None when it is the
        limit already, unless `always` (as `charge`). A value that is not whole amps is refused with a result,
        like an event's."""
        current = as_amps(value)
        if not always and current is not None and current == self.charger.current_limit:
            return None
        self.logbook(f"{self.charger.label}: {by} set to {value[:40]}: {SetMaxCurrent.name}")
        outcome = await self._send(
            lambda: SetMaxCurrent(self.charger.id, amps(SetMaxCurrent.name, self.charger.id, value))
        )
        if not outcome.success:
            await undo()
            await self.tell(f"The current limit was not changed: {outcome.error}")
        return outcome

    async def press(self, row: CommandRow, by: str) -> Outcome:
        """A command's button: its command for this charger, always answered."""
        self.logbook(f"{self.charger.label}: {by} pressed: {row.name}")
        outcome = await self._send(lambda: row.parse(self.charger.id, {}))
        if not outcome.success:
            await self.tell(f"{row.name.replace('_', ' ').capitalize()} failed: {outcome.error}")
        return outcome

    async def wrong_payload(self, row: CommandRow, by: str, payload: str) -> Outcome:
        return await self._refused(row.name, f"{by} takes only a press, got {payload[:40]!r}")

    async def _refused(self, name: str, message: str) -> Outcome:
        return await self.refuse(CommandRefused(name, self.charger.id, message, Reason.INVALID_VALUE), ORIGIN)

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
