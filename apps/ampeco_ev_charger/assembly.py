"""How the pieces fit: the hub, its publisher, the dashboard helpers and smart charging for one
configuration, on any host that gives Home Assistant and a scheduler (AppDaemon in production).
"""

import random
from collections.abc import Callable, Mapping
from pathlib import Path

import aiohttp

from .config import AppConfig
from .homeassistant.command_events import handle_event
from .homeassistant.dashboard_helpers import DashboardHelpers
from .homeassistant.hass import HomeAssistant
from .homeassistant.publisher import StatePublisher
from .runtime.hub import Hub
from .runtime.logbook import Logbook
from .runtime.store import Store
from .runtime.timers import Scheduler
from .smart.runner import SmartRunner


class Assembly:
    def __init__(
        self,
        config: AppConfig,
        ha: HomeAssistant,
        scheduler: Scheduler,
        logbook: Logbook,
        http: aiohttp.ClientSession,
        store: Store,
        *,
        secrets: Path | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.publisher = StatePublisher(ha, scheduler.now)
        self.hub = hub = Hub(config, scheduler, logbook, http, store, self.publisher, secrets=secrets, rand=rand)
        self.helpers = [
            DashboardHelpers(charger, ha, logbook, hub.run, hub.refuse, lambda c: hub.poller(c).confirming(c))
            for charger in hub.chargers.values()
            if charger.config.charging_switch or charger.config.current_limit
        ]
        self.smart = [
            SmartRunner(
                charger,
                hub.account(charger),
                charger.config.smart,
                ha=ha,
                scheduler=scheduler,
                logbook=logbook,
                run=hub.run,
                show=self.publisher.show_entity,
            )
            for charger in hub.chargers.values()
            if charger.config.smart is not None
        ]
        for helpers in self.helpers:
            hub.after_each_round(helpers.charger.id, helpers.reflect)
        for runner in self.smart:
            hub.after_each_round(runner.charger.id, runner.request)
            hub.memorise(runner.charger.id, runner.memorised)

    async def start(self) -> None:
        for part in self._parts:
            await part.start()
        await self.hub.start()

    async def stop(self) -> None:
        """Cancel every timer, request and background task; save the memory last (smart charging's too)."""
        await self.hub.halt()
        for part in self._parts:
            await part.stop()
        await self.hub.save()

    @property
    def _parts(self) -> "list[DashboardHelpers | SmartRunner]":
        return [*self.helpers, *self.smart]

    async def handle_event(self, event_type: str, data: Mapping[str, object]) -> None:
        await handle_event(self.hub, event_type, data)
