"""A charger's dashboard controls: an input_boolean to charge or not, an input_number for the current limit.

AppDaemon cannot create switch entities, so the user creates these two helpers and names them in the
config. A change of a helper becomes a command; and the app sets the helpers to match the charger (a session
started from the phone turns the boolean on). Its own change comes back as an echo, which can never act: a
command is only sent when the helper and the charger disagree.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from .account import Account
from .charger import Charger
from .commands import DOMAIN, SET_MAX_CURRENT, START, STOP
from .control import Outcome
from .host import Host, Logbook
from .units import to_number

# Runs one command as if it came as an event (validation, lock, command_result): event type and data.
Execute = Callable[[str, dict[str, Any]], Awaitable[Outcome]]


class Controls:
    def __init__(self, charger: Charger, account: Account, host: Host, logbook: Logbook, execute: Execute) -> None:
        self.charger = charger
        self.account = account
        self.host = host
        self.logbook = logbook
        self.execute = execute
        self.switch = charger.config.charging_switch
        self.number = charger.config.current_limit

    async def start(self) -> None:
        if self.switch:
            await self.host.watch(self.switch, self._on_switch)
        if self.number:
            await self.host.watch(self.number, self._on_number)

    async def _on_switch(self, new: str) -> None:
        if new not in ("on", "off") or (new == "on") == (self.charger.session_id is not None):
            return  # nothing to do (an echo of the app's own change, or a session already as asked)
        data: dict[str, Any] = {"chargepoint_id": self.charger.id}
        if new == "on" and self.number and (amps := _amps(await self.host.read(self.number))) is not None:
            data["max_current"] = amps
        command = START if new == "on" else STOP
        self.logbook(f"{self.charger.label}: {self.switch} turned {new}: {command}")
        outcome = await self.execute(f"{DOMAIN}_{command}", data)
        if not outcome.success:
            await self._set(self.switch, "off" if new == "on" else "on")
            await self._tell(f"{'Charging did not start' if new == 'on' else 'Charging did not stop'}: {outcome.error}")

    async def _on_number(self, new: str) -> None:
        amps = _amps(new)
        limit = self.charger.charge_point.max_current_a if self.charger.charge_point else None
        if amps is None or amps == limit:
            return
        self.logbook(f"{self.charger.label}: {self.number} set to {new}: {SET_MAX_CURRENT}")
        outcome = await self.execute(f"{DOMAIN}_{SET_MAX_CURRENT}", {"chargepoint_id": self.charger.id, "max_current": amps})
        if not outcome.success:
            if limit is not None:
                await self._set(self.number, limit)
            await self._tell(f"The current limit was not changed: {outcome.error}")

    async def reflect(self) -> None:
        """Show the charger on the helpers; not while a command or its confirmation is under way."""
        if self.charger.lock.locked() or self.account.confirming(self.charger) or self.charger.charge_point is None:
            return
        if self.switch:
            await self._set(self.switch, "on" if self.charger.session_id is not None else "off")
        limit = self.charger.charge_point.max_current_a
        if self.number and limit is not None:
            await self._set(self.number, limit)

    async def _set(self, entity_id: str, value: str | float) -> None:
        current = await self.host.read(entity_id)
        if current == value or (not isinstance(value, str) and _amps(current) == value):
            return
        try:
            if isinstance(value, str):
                await self.host.call(f"input_boolean/turn_{value}", {"entity_id": entity_id})
            else:
                await self.host.call("input_number/set_value", {"entity_id": entity_id, "value": value})
        except Exception as err:  # a helper deleted or out of range must not stop the app
            self.logbook.once(f"helper:{entity_id}", f"{self.charger.label}: cannot set {entity_id}: {err}", "WARNING")

    async def _tell(self, message: str) -> None:
        """A dashboard user pressed something and it failed: say why where they look."""
        data = {"title": f"{self.charger.label}", "message": message,
                "notification_id": f"{DOMAIN}_{self.charger.config.slug}"}
        try:
            await self.host.call("persistent_notification/create", data)
        except Exception as err:
            self.logbook.once("notify", f"cannot create a notification: {err}", "WARNING")


def _amps(state: object) -> int | float | None:
    """An input_number's state ("16.0") as whole amps; other numbers as they are, for validation to refuse."""
    number = to_number(state)
    if number is None:
        return None
    return int(number) if number.is_integer() else number
