"""Each charger as a Home Assistant device through MQTT discovery, over AppDaemon's MQTT plugin.

Publishes one retained discovery message per charger and one per account (the device the chargers hang
from), then each entity's state with its attributes as retained JSON, only when it changed. The controls'
commands come back through `commands.MqttCommands`.

Entities turn unavailable when the app stops (its own status topic), when AppDaemon dies (AppDaemon's will),
and, for readings, while the charger cannot be read. When Home Assistant or the broker comes back, everything
is published again. What is no longer watched (a charger, smart charging, MQTT itself) leaves Home Assistant.
The events are the same as without MQTT.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ...const import entity_id
from ...runtime.logbook import Logbook, one_line
from ...runtime.memory_file import Saved
from ...runtime.view import ChargerView
from ...smart.engine import MODES, OFF
from ..entities import ATTRIBUTION, SENSORS, SMART_KEY, Entity, build_entities, smart_entity
from ..hass import HA_TIMEOUT, HomeAssistant
from ..publisher import EventAnnouncer
from .broker import Broker, MqttUnavailable
from .commands import CommandTopics
from .config import MqttConfig
from .discovery import (
    ACCOUNT_KEY,
    CONTROLS,
    OFFLINE,
    ONLINE,
    SMART_MODE_KEY,
    Availability,
    Device,
    Topics,
    account_component,
    account_device,
    account_device_id,
    account_state_topic,
    charger_device,
    charger_device_id,
    control_component,
    entity_component,
    select_component,
    state_payload,
    tombstone,
)
from .retained import RetainedTopics

# AppDaemon's MQTT plugin's birth and will topic when nothing else is known (its client id's default).
APPDAEMON_STATUS = "appdaemon_mqtt_client/status"
LOG_KEY = "mqtt"


class MqttPublisher(EventAnnouncer):
    def __init__(
        self,
        mqtt: MqttConfig,
        broker: Broker,
        ha: HomeAssistant,
        logbook: Logbook,
        clock: Callable[[], float],
        *,
        save: Callable[[], Awaitable[object]],
        retained: RetainedTopics,
        command_topics: CommandTopics,
        smart: Mapping[str, bool],
    ) -> None:
        """`smart`: the slugs of the chargers with smart charging, and whether each has the app's mode select."""
        super().__init__(ha, clock, logbook)
        self.mqtt = mqtt
        self.broker = broker
        self.save = save
        self.topics = Topics(mqtt.discovery_prefix, mqtt.base_topic)
        self.retained = retained
        self.command_topics = command_topics
        self.smart = dict(smart)
        self.modes = {slug: OFF for slug, select in smart.items() if select}
        self._views: dict[str, ChargerView] = {}
        self._entities: dict[str, dict[str, Entity]] = {}
        self._freed: set[str] = set()  # slugs whose set_state entities were removed for the devices' entities
        self._options: dict[tuple[str, str], tuple[str, ...]] = {}
        self._sent: dict[str, str] = {}
        self._status: list[Availability] = []
        self._ready = False
        # The last lineup (its slugs, and the topics it plans), until what it no longer plans is emptied.
        self._lineup: tuple[list[str], set[str]] | None = None
        self._lock = asyncio.Lock()
        self._freeing = asyncio.Lock()

    def mode_part(self, slug: str) -> tuple[Callable[[], object], Callable[[Saved], None]]:
        """The smart charging mode chosen on the app's select, for the memory file: (dump, load)."""

        def load(saved: Saved) -> None:
            mode = saved.value
            self.modes[slug] = mode if isinstance(mode, str) and mode in MODES else OFF

        return (lambda: self.modes[slug]), load

    async def start(self) -> None:
        """Take the broker (or keep trying on every update), and say the app is online."""
        status = self.broker.status()
        if self.mqtt.appdaemon_status_topic is not None:
            status = Availability(self.mqtt.appdaemon_status_topic)
        self._status = [Availability(self.topics.app_status), status or Availability(APPDAEMON_STATUS)]
        await self.broker.on_connected(self._republish)
        await self._prepare()

    async def stop(self) -> None:
        """Entities turn unavailable while the app is not running (their last state stays in the broker)."""
        await super().stop()
        try:
            await self.broker.publish(self.topics.app_status, OFFLINE, retain=True)
            await self.broker.unsubscribe(self.topics.home_assistant_status)
        except MqttUnavailable:
            pass  # the broker is gone: AppDaemon's will says so

    async def show(self, view: ChargerView) -> None:
        if view.charge_point is None and view.poll.error is None:
            return  # the very first reading is under way: the device is made with its name and model
        async with self._freeing:  # a show that comes meanwhile waits until the ids are free
            if view.slug not in self._freed:
                await self._free_entity_ids(view.slug)
        self.remember(view)
        self._views[view.slug] = view
        entities = self._entities.setdefault(view.slug, {})
        if view.slug in self.smart and SMART_KEY not in entities:  # a component from the start
            entities[SMART_KEY] = smart_entity(view.slug, view.chargepoint_id, view.name, None)
        entities.update((e.key, e) for e in build_entities(view))
        await self._flush(view.slug)

    async def show_entity(self, entity: Entity) -> None:
        self._entities.setdefault(entity.slug, {})[entity.key] = entity
        if entity.slug in self._views:
            await self._flush(entity.slug)

    async def settled(self, lineup: list[ChargerView]) -> None:
        """Every charger watched now: the retained topics of anything else are emptied (a device whose
        discovery message goes empty leaves Home Assistant with its entities)."""
        watched = {view.slug for view in lineup}
        for slug in [slug for slug in self._views if slug not in watched]:
            del self._views[slug]
            self._entities.pop(slug, None)
        planned = self._planned(lineup)
        self._lineup = ([view.slug for view in lineup], planned)
        self._sent = {topic: payload for topic, payload in self._sent.items() if topic in planned}
        async with self._lock:
            await self._tidy()

    async def _tidy(self) -> None:
        """Empty the retained topics the last lineup did not plan, and its chargers' command topics (no
        retained command may ever act); tried again with every update until done."""
        if self._lineup is None or not await self._prepare():
            return
        slugs, planned = self._lineup
        try:
            gone = await self.retained.clear(self.broker, planned.__contains__)
            await self.command_topics.clear(slugs)
        except MqttUnavailable as err:
            self._cannot(err)
            return
        self._lineup = None
        if devices := [t for t in gone if t.endswith("/config")]:
            self.logbook(
                f"removed {len(devices)} device(s) no longer watched from Home Assistant: {', '.join(devices)}"
            )

    async def choose_mode(self, slug: str, mode: str) -> None:
        """The smart charging mode chosen on the app's select: shown, kept, and decided on."""
        if slug not in self.modes or mode == self.modes[slug]:
            return
        if mode not in MODES:
            self.logbook(f"{slug}: smart charging mode {mode[:40]!r} is not one of {', '.join(MODES)}", "WARNING")
            return
        self.modes[slug] = mode
        self.logbook(f"{slug}: smart charging mode set to {mode}")
        if slug in self._views:
            await self._flush(slug)  # Home Assistant's select follows, and smart charging decides on it
        await self.save()

    async def _prepare(self) -> bool:
        """Subscribe to Home Assistant's status and say the app is online. False while the broker cannot be
        reached."""
        if self._ready:
            return True
        try:
            await self.broker.subscribe(self.topics.home_assistant_status, self._on_home_assistant)
            self.retained.namespace = self.mqtt.namespace
            await self._send(self.topics.app_status, ONLINE)
        except MqttUnavailable as err:
            self._cannot(err)
            return False
        self._ready = True
        return True

    async def _flush(self, slug: str) -> None:
        """Publish what changed of one charger: its device, its account, its availability and its states."""
        async with self._lock:
            await self._tidy()
            if not await self._prepare():
                return
            view = self._views[slug]
            try:
                for topic, payload in self._messages(view):
                    await self._send(topic, payload)
            except MqttUnavailable as err:
                self._cannot(err)
                return
        self.logbook.forget(LOG_KEY)

    def _messages(self, view: ChargerView) -> list[tuple[str, str]]:
        slug, topics, (first, host, ids) = view.slug, self.topics, _account(view)
        account = account_device(first, host)
        account.components[ACCOUNT_KEY] = account_component(first, topics, self._status)
        device = self._device(view, account.device_id)
        messages = [
            (topics.device(account.device_id), account.payload()),
            (topics.device(device.device_id), device.payload()),
            (account_state_topic(topics, first), _account_state(view, host, ids)),
            (topics.availability(slug), ONLINE if view.available else OFFLINE),
        ]
        messages += [
            (topics.state(slug, e.key), state_payload(e.state, {"chargepoint_id": e.chargepoint_id} | e.attributes))
            for e in self._entities[slug].values()
            if e.available
        ]
        if view.available:
            messages += [
                (topics.state(slug, control.key), state_payload(control.state(view)))
                for control in CONTROLS
                if control.state is not None
            ]
        if slug in self.modes:
            messages.append((topics.state(slug, SMART_MODE_KEY), state_payload(self.modes[slug])))
        return messages

    def _device(self, view: ChargerView, via: str) -> Device:
        device = charger_device(view, via)
        reading = [*self._status, Availability(self.topics.availability(view.slug))]
        for key, entity in self._entities[view.slug].items():
            options = self._options[(view.slug, key)] = _union(self._options.get((view.slug, key), ()), entity.options)
            availability = self._status if entity.always_available else reading
            device.components[key] = entity_component(entity, self.topics, availability, options)
        for control in CONTROLS:
            availability = reading if control.needs_reading else self._status
            device.components[control.key] = control_component(control, view, self.topics, availability)
        if view.slug not in self.smart:
            device.components[SMART_KEY] = tombstone("sensor")
        if view.slug in self.modes:
            device.components[SMART_MODE_KEY] = select_component(
                view.slug, SMART_MODE_KEY, "Smart Charging Mode", MODES, self.topics, self._status
            )
        else:
            device.components[SMART_MODE_KEY] = tombstone("select")
        return device

    async def _send(self, topic: str, payload: str) -> None:
        if self._sent.get(topic) == payload:
            return
        await self.broker.publish(topic, payload, retain=True)
        self._sent[topic] = payload
        if topic not in self.retained.topics:
            self.retained.published([topic])

    def _cannot(self, err: MqttUnavailable) -> None:
        self.logbook.once(
            LOG_KEY,
            f"cannot publish to MQTT through AppDaemon's `{self.mqtt.namespace}` plugin: {err}; "
            "trying again with every update",
            "WARNING",
        )

    async def _republish(self) -> None:
        """The broker or Home Assistant came back: their retained messages may be gone, so send everything."""
        self._sent.clear()
        if self._ready:
            try:
                await self._send(self.topics.app_status, ONLINE)
            except MqttUnavailable as err:
                self._cannot(err)
                return
        for slug in list(self._views):
            await self._flush(slug)

    async def _on_home_assistant(self, _topic: str, payload: str) -> None:
        if payload == ONLINE:
            await self._republish()

    def _planned(self, lineup: list[ChargerView]) -> set[str]:
        """Every retained topic the chargers watched now are published on: anything else remembered is stale."""
        topics = self.topics
        planned = {topics.app_status}
        for view in lineup:
            slug, (first, _host, _ids) = view.slug, _account(view)
            planned |= {topics.device(charger_device_id(slug)), topics.availability(slug)}
            planned |= {topics.device(account_device_id(first)), account_state_topic(topics, first)}
            keys = [s.key for s in SENSORS] + [c.key for c in CONTROLS if c.state is not None]
            keys += [SMART_KEY] if slug in self.smart else []
            keys += [SMART_MODE_KEY] if slug in self.modes else []
            planned |= {topics.state(slug, key) for key in keys}
        return planned

    async def _free_entity_ids(self, slug: str) -> None:
        """The set_state path's entities (the app's, by their attribution) hold the ids the devices' entities
        must get; Home Assistant would pick `_2` ids instead. They are removed first."""
        freed = []
        keys = [(s.key, s.domain) for s in SENSORS] + ([(SMART_KEY, "sensor")] if slug in self.smart else [])
        for key, domain in keys:
            wanted = entity_id(slug, key, domain)
            try:
                state = await asyncio.wait_for(self.ha.read_all(wanted), HA_TIMEOUT)
                if state is not None and state.get("attributes", {}).get("attribution") == ATTRIBUTION:
                    await asyncio.wait_for(self.ha.remove(wanted), HA_TIMEOUT)
                    freed.append(wanted)
            except Exception as err:  # Home Assistant starting or not answering: the id may end in _2
                self.logbook.once("free-ids", f"cannot free {wanted} for its MQTT entity: {one_line(err)}", "WARNING")
        self._freed.add(slug)
        if freed:
            self.logbook(f"removed {len(freed)} set_state entities, so the MQTT entities take their ids")


def _account(view: ChargerView) -> tuple[str, str, tuple[str, ...]]:
    """The account device's identity (the slug of the account's first charger), its host and its chargers."""
    if view.account is None or not view.account.slug:
        return view.slug, "", (view.chargepoint_id,)
    return view.account.slug, view.account.host, view.account.chargepoint_ids


def _account_state(view: ChargerView, host: str, chargepoint_ids: tuple[str, ...]) -> str:
    if view.poll.error is not None:
        state: str | None = "off"
    else:
        state = "on" if view.last_success is not None else None
    attributes: dict[str, Any] = {"api_host": host, "chargers": list(chargepoint_ids), "last_error": view.poll.error}
    return state_payload(state, attributes)


def _union(seen: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    """An enum's options only grow while the app runs (a state once shown stays valid)."""
    return seen + tuple(option for option in more if option not in seen)
