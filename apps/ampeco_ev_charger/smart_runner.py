"""Smart charging for one charger at run time: reads its Home Assistant inputs, decides, sends the command,
shows the decision on sensor.evse_{slug}_smart_charging and keeps the memory in the charger's.

Decides after every poll round, whenever one of its input entities changes, and when the last decision
asked to be woken (a cheap slot starts, a surplus has lasted long enough). Decisions run one at a time and
in the background, so neither Home Assistant nor the cloud can hold up polling.
"""

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from .account import Account
from .charger import Charger
from .commands import DOMAIN
from .control import Execute
from .entities import charger_entity
from .host import HA_TIMEOUT, Host, Logbook, one_line
from .smart import ICON, KEY, ChargerState, SmartConfig, decide, read_inputs, sensor_state

class SmartRunner:
    def __init__(self, charger: Charger, account: Account, config: SmartConfig, host: Host, logbook: Logbook,
                 execute: Execute) -> None:
        self.charger = charger
        self.account = account
        self.config = config
        self.host = host
        self.logbook = logbook
        self.execute = execute
        self._task: asyncio.Future[None] | None = None
        self._again = False
        self._wake: Any = None
        self._stopped = False

    async def start(self) -> None:
        for entity_id in self.config.entities:
            await self.host.watch(entity_id, self._on_input)

    async def stop(self) -> None:
        self._stopped = True
        if self._wake is not None:
            await self.host.cancel(self._wake)
            self._wake = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def request(self) -> None:
        """Decide soon; a request while a decision runs makes one more run after it."""
        if self._stopped or self.charger.charge_point is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._run())

    async def _on_input(self, new: str) -> None:
        self.request()

    async def _on_wake(self) -> None:
        self._wake = None
        self.request()

    async def _run(self) -> None:
        self._again = True
        while self._again and not self._stopped:
            self._again = False
            try:
                await self._decide()
            except Exception as err:  # a bug must never stop polling or the next decision
                self.logbook.once(f"smart:{self.charger.id}", f"{self.charger.label}: smart charging failed: "
                                  f"{one_line(err)}. Please report this.", "ERROR")

    async def _decide(self) -> None:
        now = datetime.fromtimestamp(self.host.now(), self.host.timezone())
        entities = self.config.entities
        states = dict(zip(entities, await asyncio.gather(*(self._read(e) for e in entities))))
        decision = decide(self.config, read_inputs(self.config, states, now), self._charger_state(),
                          self.charger.smart_memory, now)
        self.charger.smart_memory = decision.memory
        if decision.notable:
            self.logbook(f"{self.charger.label}: {decision.log_line}")
        state, attributes = sensor_state(decision)
        await self.host.publish(charger_entity(self.charger.config.slug, self.charger.id, self.charger.name, KEY,
                                               "Smart Charging", ICON, state, attributes))
        await self._arm(decision.wake_at, now)
        action = decision.action
        if action is not None:
            data: dict[str, Any] = {"chargepoint_id": self.charger.id}
            if action.amps is not None:
                data["max_current"] = action.amps
            await self.execute(f"{DOMAIN}_{action.name}", data, "smart_charging")

    async def _read(self, entity_id: str) -> Any:
        try:
            return await asyncio.wait_for(self.host.read_all(entity_id), HA_TIMEOUT)
        except asyncio.TimeoutError:
            return None  # the decision says which input is missing

    async def _arm(self, wake_at: datetime | None, now: datetime) -> None:
        if self._wake is not None:
            await self.host.cancel(self._wake)
            self._wake = None
        if wake_at is not None:
            self._wake = await self.host.run_later(max(0.0, (wake_at - now).total_seconds()), self._on_wake)

    def _charger_state(self) -> ChargerState:
        charger, charge_point = self.charger, self.charger.charge_point
        session = charger.session
        low, high = charge_point.current_range if charge_point else (None, None)
        return ChargerState(
            plugged_in=charger.evse is not None and charger.evse.car_plugged_in,
            session_open=charger.session_id is not None,
            power_kw=(session.power_kw or 0.0) if session is not None else 0.0,
            current_limit_a=charger.current_limit,
            allowed_min_a=low,
            allowed_max_a=high,
            energy_meter_kwh=charger.memory.total_energy_kwh,
            api_ok=self.account.error is None and charger.problem is None,
        )
