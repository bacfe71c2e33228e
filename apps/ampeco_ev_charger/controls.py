"""A charger's dashboard controls: an input_boolean to charge or not, an input_number for the current limit.

AppDaemon cannot create switch entities, so the user creates these two helpers and names them in the
config. A change of a helper becomes a command; and the app sets the helpers to match the charger (a session
started from the phone turns the boolean on). Its own change comes back as an echo, which can never act: a
command is only sent when the helper and the charger disagree.
"""

import asyncio
import contextlib
from typing import Any

from .account import Account
from .charger import Charger
from .commands import DOMAIN, SET_MAX_CURRENT, START, STOP
from .control import Execute
from .host import HA_TIMEOUT, Host, Logbook
from .units import to_number



class Controls:
    def __init__(self, charger: Charger, account: Account, host: Host, logbook: Logbook, execute: Execute) -> None:
        self.charger = charger
        self.account = account
        self.host = host
        self.logbook = logbook
        self.execute = execute
        self.switch = charger.config.charging_switch
        self.number = charger.config.current_limit
        self._reflecting: asyncio.Future[None] | None = None

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
        outcome = await self.execute(f"{DOMAIN}_{command}", data, "dashboard")
        if not outcome.success:
            await self._set(self.switch, "off" if new == "on" else "on")
            await self._tell(f"{'Charging did not start' if new == 'on' else 'Charging did not stop'}: {outcome.error}")

    async def _on_number(self, new: str) -> None:
        amps = _amps(new)
        limit = self.charger.current_limit
        if amps is None or amps == limit:
            return
        self.logbook(f"{self.charger.label}: {self.number} set to {new}: {SET_MAX_CURRENT}")
        data = {"chargepoint_id": self.charger.id, "max_current": amps}
        outcome = await self.execute(f"{DOMAIN}_{SET_MAX_CURRENT}", data, "dashboard")
        if not outcome.success:
            if limit is not None:
                await self._set(self.number, limit)
            await self._tell(f"The current limit was not changed: {outcome.error}")

    def reflect(self) -> None:
        """Show the charger on the helpers, in the background: a slow Home Assistant must never hold up
        polling. Not while a command or its confirmation is under way (the helper shows the user's wish)."""
        if self._reflecting is not None and not self._reflecting.done():
            return
        if self.charger.lock.locked() or self.account.confirming(self.charger) or self.charger.charge_point is None:
            return
        self._reflecting = asyncio.ensure_future(self._reflect())

    async def stop(self) -> None:
        if self._reflecting is not None and not self._reflecting.done():
            self._reflecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reflecting

    async def _reflect(self) -> None:
        if self.switch:
            await self._set(self.switch, "on" if self.charger.session_id is not None else "off")
        limit = self.charger.current_limit
        if self.number and limit is not None:
            await self._set(self.number, limit)

    async def _set(self, entity_id: str, value: str | float) -> None:
        try:
            current = await asyncio.wait_for(self.host.read(entity_id), HA_TIMEOUT)
            if current == value or (not isinstance(value, str) and _amps(current) == value):
                return
            if isinstance(value, str):
                call = self.host.call(f"input_boolean/turn_{value}", {"entity_id": entity_id})
            else:
                call = self.host.call("input_number/set_value", {"entity_id": entity_id, "value": value})
            await asyncio.wait_for(call, HA_TIMEOUT)
        except Exception as err:  # a helper deleted, out of range, or Home Assistant not answering
            reason = "no answer from Home Assistant" if isinstance(err, asyncio.TimeoutError) else str(err)
            self.logbook.once(f"helper:{entity_id}", f"{self.charger.label}: cannot set {entity_id}: {reason}", "WARNING")

    async def _tell(self, message: str) -> None:
        """A dashboard user pressed something and it failed: say why where they look."""
        data = {"title": f"{self.charger.label}", "message": message,
                "notification_id": f"{DOMAIN}_{self.charger.config.slug}"}
        try:
            await asyncio.wait_for(self.host.call("persistent_notification/create", data), HA_TIMEOUT)
        except Exception as err:
            self.logbook.once("notify", f"cannot create a notification: {err or type(err).__name__}", "WARNING")


def _amps(state: object) -> int | float | None:
    """An input_number's state ("16.0") as whole amps; other numbers as they are, for validation to refuse."""
    number = to_number(state)
    if number is None:
        return None
    return int(number) if number.is_integer() else number
