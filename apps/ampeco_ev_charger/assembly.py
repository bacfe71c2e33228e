"""How the pieces fit: the hub, its publisher (set_state, or MQTT discovery), the dashboard controls and
smart charging for one configuration, on any host that gives Home Assistant, a scheduler and, for MQTT, a
broker (AppDaemon in production).
"""

import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import aiohttp

from .config import AppConfig
from .const import entity_id
from .homeassistant.command_events import handle_event
from .homeassistant.controls import Controls
from .homeassistant.dashboard_helpers import DashboardHelpers
from .homeassistant.hass import HomeAssistant
from .homeassistant.mqtt.broker import Broker
from .homeassistant.mqtt.publisher import MqttPublisher
from .homeassistant.mqtt.retained import RetainedTopics, Retirement
from .homeassistant.publisher import StatePublisher
from .runtime.hub import Hub
from .runtime.logbook import Logbook
from .runtime.store import Store
from .runtime.timers import Scheduler
from .smart.runner import SmartRunner

Brokers = Callable[[str], Broker]  # AppDaemon's MQTT plugin of a namespace


class Part(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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
        brokers: Brokers | None = None,
        secrets: Path | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        retained = RetainedTopics()
        self.publisher: StatePublisher | MqttPublisher
        if config.mqtt is not None:
            if brokers is None:
                raise ValueError("mqtt is configured, but this host has no MQTT")
            broker = brokers(config.mqtt.namespace)
            self.publisher = MqttPublisher(
                config, config.mqtt, broker, ha, logbook, scheduler.now, self._save, retained
            )
            retirement: list[Part] = []
        else:
            self.publisher = StatePublisher(ha, scheduler.now, logbook)
            first_ids = [entity_id(c.slug, "charger_status") for c in config.chargers]
            retirement = [Retirement(retained, brokers, ha, logbook, scheduler, first_ids)]
        self.hub = hub = Hub(config, scheduler, logbook, http, store, self.publisher, secrets=secrets, rand=rand)
        hub.memorise(None, retained.memorised)
        if isinstance(self.publisher, MqttPublisher):
            for charger in hub.chargers.values():
                controls = Controls(charger, ha, logbook, hub.run, hub.refuse)
                self.publisher.controls[charger.config.slug] = controls
                if charger.config.slug in self.publisher.modes:
                    hub.memorise(charger.id, self.publisher.mode_memory(charger.config.slug))
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
        self._parts: list[Part] = [*retirement, self.publisher, *self.helpers, *self.smart]

    async def start(self) -> None:
        await self.hub.recall()
        for part in self._parts:
            await part.start()
        await self.hub.start()

    async def stop(self) -> None:
        """Cancel every timer, request and background task; save the memory last (smart charging's too)."""
        await self.hub.halt()
        for part in reversed(self._parts):
            await part.stop()
        await self.hub.save()

    async def _save(self) -> None:
        """The memory now (a mode chosen on the dashboard), not at the next round."""
        await self.hub.save()

    async def handle_event(self, event_type: str, data: Mapping[str, object]) -> None:
        await handle_event(self.hub, event_type, data)
