"""Smart charging for one charger at run time: reads its inputs from the house, decides, sends the command,
hands the decision over to be shown (sensor.evse_{slug}_smart_charging), and keeps its memory with the
charger's.

Decides after every poll round, whenever one of its input entities changes, and when the last decision
asked to be woken (a cheap slot starts, a surplus has lasted long enough). Decisions run one at a time and
in the background, so neither Home Assistant nor the cloud can hold up polling.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from ..runtime.account import Account
from ..runtime.charger import Charger
from ..runtime.commands import Command, Outcome, SetMaxCurrent, StartCharging, StopCharging
from ..runtime.logbook import Logbook, one_line
from ..runtime.memory_file import Saved
from ..runtime.timers import Scheduler, Timer, cancel_and_wait
from .config import SmartConfig
from .engine import Decision, decide
from .governor import Action, ChargerState
from .inputs import read_inputs
from .memory import SmartMemory
from .ports import House

ORIGIN = "smart_charging"
WAKE_TOLERANCE = 0.5  # seconds: a wake-up time this close to the one already set is left as it is
READ_TIMEOUT = 10.0  # seconds an input's state may take (the house answers at once unless starting or stuck)
Run = Callable[[Command, str], Awaitable[Outcome]]
Show = Callable[[Charger, Decision], Awaitable[None]]


class SmartRunner:
    def __init__(
        self,
        charger: Charger,
        account: Account,
        config: SmartConfig,
        *,
        house: House,
        scheduler: Scheduler,
        logbook: Logbook,
        run: Run,
        show: Show,
    ) -> None:
        self.charger = charger
        self.account = account
        self.config = config
        self.house = house
        self.scheduler = scheduler
        self.logbook = logbook
        self.run = run
        self.show = show
        self.memory = SmartMemory()
        self._task: asyncio.Future[None] | None = None
        self._again = False
        self._wake = Timer(scheduler, self._on_wake)
        self._stopped = False

    def dump(self) -> dict[str, Any]:
        """The plan and timers, kept in the app's memory file so a restart goes on with them."""
        return self.memory.to_dict()

    def load(self, saved: Saved) -> None:
        self.memory = SmartMemory.from_dict(saved.value)

    async def start(self) -> None:
        for entity_id in self.config.entities:
            await self.house.watch(entity_id, self._on_input)

    async def stop(self) -> None:
        self._stopped = True
        await self._wake.cancel()
        await cancel_and_wait(self._task)

    def request(self) -> None:
        """Decide soon; a request while a decision runs makes one more run after it."""
        if self._stopped or self.charger.charge_point is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._run())

    async def _on_input(self, _new: str | None) -> None:
        self.request()

    async def _on_wake(self) -> None:
        self.request()

    async def _run(self) -> None:
        self._again = True
        while self._again and not self._stopped:
            self._again = False
            try:
                await self._decide()
            except Exception as err:  # a bug must never stop polling or the next decision
                self.logbook.once(
                    f"smart:{self.charger.id}",
                    f"{self.charger.label}: smart charging failed: {one_line(err)}. Please report this.",
                    "ERROR",
                )
            else:  # the episode is over: a failure after this one is said again
                self.logbook.forget(f"smart:{self.charger.id}")

    async def _decide(self) -> None:
        now = datetime.fromtimestamp(self.scheduler.now(), self.house.timezone())
        entities = self.config.entities
        states = dict(zip(entities, await asyncio.gather(*(self._read(e) for e in entities)), strict=True))
        decision = decide(self.config, read_inputs(self.config, states, now), self._charger_state(), self.memory, now)
        self.memory = decision.memory
        if decision.notable:
            self.logbook(f"{self.charger.label}: {decision.log_line}")
        await self.show(self.charger, decision)
        await self._arm(decision.wake_at, now)
        if decision.action is not None:
            await self.run(self._command(decision.action), ORIGIN)

    def _command(self, action: Action) -> Command:
        cp = self.charger.id
        if action.name == StartCharging.name:
            return StartCharging(cp, action.amps)
        if action.name == SetMaxCurrent.name:
            assert action.amps is not None
            return SetMaxCurrent(cp, action.amps)
        return StopCharging(cp)

    async def _read(self, entity_id: str) -> Mapping[str, Any] | None:
        """An input's state and attributes; None (the decision says which input is missing) when Home
        Assistant does not answer or cannot give it."""
        try:
            state = await asyncio.wait_for(self.house.read_all(entity_id), READ_TIMEOUT)
        except Exception as err:  # the house starting, stopping or refusing: an input missing for now
            reason = "no answer from Home Assistant" if isinstance(err, asyncio.TimeoutError) else one_line(err)
            self.logbook.once(
                f"smart-input:{entity_id}", f"{self.charger.label}: cannot read {entity_id}: {reason}", "WARNING"
            )
            return None
        self.logbook.forget(f"smart-input:{entity_id}")
        return state

    async def _arm(self, wake_at: datetime | None, now: datetime) -> None:
        if wake_at is None:
            await self._wake.cancel()
        elif self._wake.due is None or abs(self._wake.due - wake_at.timestamp()) > WAKE_TOLERANCE:
            await self._wake.set(max(0.0, (wake_at - now).total_seconds()))

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
