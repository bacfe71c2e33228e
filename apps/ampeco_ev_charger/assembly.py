"""The composition root: the runtime (`runtime.build`), and around it how the chargers are shown (set_state, or
MQTT discovery), their dashboard controls and smart charging, for one configuration, on any host that gives
Home Assistant, a scheduler and, for MQTT, a broker (AppDaemon in production).

Everything is made here, each part given what it needs when it is made; what leaves the app for Home
Assistant or the broker passes the log's redaction on the way (`homeassistant.redact`).
"""

import asyncio
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import aiohttp

from . import diagnostics
from .config import AppConfig
from .const import entity_id
from .homeassistant.command_events import handle_event
from .homeassistant.controls import Controls
from .homeassistant.dashboard_helpers import DashboardHelpers
from .homeassistant.entities import smart_entity
from .homeassistant.events import DIAGNOSTICS, DIAGNOSTICS_WRITTEN
from .homeassistant.exports import EXPORT_SESSIONS, SessionExports
from .homeassistant.hass import HomeAssistant
from .homeassistant.mqtt.broker import Broker
from .homeassistant.mqtt.commands import CommandTopics, MqttCommands
from .homeassistant.mqtt.discovery import Topics
from .homeassistant.mqtt.publisher import MqttPublisher
from .homeassistant.mqtt.retained import RetainedTopics, Retirement
from .homeassistant.publisher import StatePublisher
from .homeassistant.redact import RedactedBroker, RedactedHomeAssistant
from .homeassistant.statistics import HourlyStatistics
from .runtime.build import build_hub
from .runtime.charger import Charger
from .runtime.logbook import Logbook
from .runtime.memory_file import MemoryFile
from .runtime.session_book import SessionBook
from .runtime.session_log import SessionLog, log_path
from .runtime.store import Store
from .runtime.timers import Scheduler
from .smart.engine import Decision
from .smart.runner import SmartRunner

Brokers = Callable[[str], Broker]  # AppDaemon's MQTT plugin of a namespace
EXPORTS_FOLDER = "ampeco_ev_charger_exports"


class Part(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ControlsBook:
    """Each watched charger's controls, made when first used (chargers found on the account included)."""

    def __init__(self, chargers: Callable[[], Mapping[str, Charger]], make: Callable[[Charger], Controls]) -> None:
        self._chargers = chargers
        self._make = make
        self._made: dict[str, Controls] = {}

    def of(self, charger: Charger) -> Controls:
        if charger.id not in self._made:
            self._made[charger.id] = self._make(charger)
        return self._made[charger.id]

    def by_slug(self, slug: str) -> Controls | None:
        charger = next((c for c in self._chargers().values() if c.config.slug == slug), None)
        return None if charger is None else self.of(charger)


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
        exports: Path | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`exports`: the folder the session exports are written into (beside the memory file's by default)."""
        self.config, self.logbook = config, logbook
        self.ha = ha = RedactedHomeAssistant(ha, logbook.redact)
        self.memory = memory = MemoryFile(store, logbook, scheduler.now)
        self.log = log = SessionLog(log_path(store.path))
        book = SessionBook(log, logbook, ha.timezone)
        retained = RetainedTopics()
        memory.keep(("app", "mqtt"), retained.dump, retained.load)
        smart = {cp: extras.smart for cp, extras in config.extras.items() if extras.smart is not None}
        slugs = {c.chargepoint_id: c.slug for c in config.chargers}
        self.publisher: StatePublisher | MqttPublisher
        before: list[Part] = []
        command_topics: CommandTopics | None = None
        if config.mqtt is not None:
            if brokers is None:
                raise ValueError("mqtt is configured, but this host has no MQTT")
            broker = RedactedBroker(brokers(config.mqtt.namespace), logbook.redact)
            command_topics = CommandTopics(broker, Topics(config.mqtt.discovery_prefix, config.mqtt.base_topic))
            self.publisher = publisher = MqttPublisher(
                config.mqtt,
                broker,
                ha,
                logbook,
                scheduler.now,
                save=memory.save,
                retained=retained,
                command_topics=command_topics,
                smart={slugs[cp]: s.mode_select for cp, s in smart.items()},
            )
            for cp, s in smart.items():
                if s.mode_select:
                    memory.keep(("chargers", cp, "smart_mode"), *publisher.mode_part(slugs[cp]))
        else:
            self.publisher = StatePublisher(ha, scheduler.now, logbook)
            first_ids = [entity_id(c.slug, "charger_status") for c in config.chargers]
            before.append(Retirement(retained, brokers, ha, logbook, scheduler, first_ids))
        before.append(self.publisher)
        self.hub = hub = build_hub(
            config.runtime,
            self.publisher,
            http=http,
            scheduler=scheduler,
            logbook=logbook,
            memory=memory,
            book=book,
            secrets=secrets,
            rand=rand,
        )
        statistics = HourlyStatistics(ha, log, logbook, lambda cp: _named(hub.chargers.get(cp)))
        book.after_keep(statistics.imported)
        folder = exports or store.path.parent / EXPORTS_FOLDER
        self.exports = SessionExports(ha, log, folder, lambda: list(hub.chargers))
        controls = ControlsBook(lambda: hub.chargers, lambda c: Controls(c, ha, logbook, hub.run, hub.refuse))
        after: list[Part] = []
        if command_topics is not None and isinstance(self.publisher, MqttPublisher):
            after.append(
                MqttCommands(command_topics, logbook, controls=controls.by_slug, choose_mode=self.publisher.choose_mode)
            )
        chargers = hub.chargers
        for cp, extras in config.extras.items():
            charger = chargers[cp]
            if extras.charging_switch or extras.current_limit:
                helpers = DashboardHelpers(
                    charger,
                    controls.of(charger),
                    switch=extras.charging_switch,
                    number=extras.current_limit,
                    confirming=lambda c: hub.poller(c).confirming(c),
                )
                hub.after_each_round(cp, helpers.reflect)
                after.append(helpers)
            if extras.smart is not None:
                runner = SmartRunner(
                    charger,
                    hub.account(charger),
                    extras.smart,
                    house=ha,
                    scheduler=scheduler,
                    logbook=logbook,
                    run=hub.run,
                    show=self._show_decision,
                )
                hub.after_each_round(cp, runner.request)
                memory.keep(("chargers", cp, "smart"), runner.dump, runner.load)
                after.append(runner)
        self._before, self._after = before, after

    async def start(self) -> None:
        """Take up the memory, show what there is, read the cloud; then listen to the controls."""
        await self.memory.recall()
        for part in self._before:
            await part.start()
        await self.hub.start()
        for part in self._after:
            await part.start()

    async def stop(self) -> None:
        """Cancel every timer, request and background task; save the memory last (smart charging's too)."""
        await self.hub.halt()
        for part in reversed([*self._before, *self._after]):
            await part.stop()
        await self.memory.save()
        await asyncio.to_thread(self.log.close)

    async def _show_decision(self, charger: Charger, decision: Decision) -> None:
        await self.publisher.show_entity(smart_entity(charger.config.slug, charger.id, charger.name, decision))

    async def handle_event(self, event_type: str, data: Mapping[str, object]) -> None:
        """An event from Home Assistant: a command, an export of the session log, or a diagnostics dump."""
        if event_type == EXPORT_SESSIONS:
            await self.exports.handle(data)
        elif event_type == DIAGNOSTICS:
            await self._diagnose()
        else:
            await handle_event(self.hub, event_type, data)

    async def _diagnose(self) -> None:
        """The diagnostics dump, written beside the exports; answered with its file (or why not)."""
        loaded = await asyncio.to_thread(self.memory.store.load_copy)
        report = diagnostics.live_report(
            self.config, self.hub, self.memory, loaded, self.log, self.logbook, self.hub.scheduler.now()
        )
        try:
            path = await asyncio.to_thread(diagnostics.write, self.exports.folder, report, self.logbook.redact)
        except OSError as err:
            answer = {"success": False, "error": f"cannot write into {self.exports.folder} ({err.strerror or err})"}
        else:
            answer = {"success": True, "file": str(path)}
        await self.ha.fire(DIAGNOSTICS_WRITTEN, answer)


def _named(charger: Charger | None) -> tuple[str, str] | None:
    return None if charger is None else (charger.config.slug, charger.name)
