"""Each charger as a Home Assistant device through MQTT discovery, over AppDaemon's MQTT plugin.

Publishes one retained discovery message per charger and one per account (the device the chargers hang
from), then each entity's state with its attributes as retained JSON, only when it changed. The controls
(a switch, a number, two buttons, the smart charging mode) come back as commands on `{base}/{slug}/{key}/set`
and run like the events do.

Entities turn unavailable when the app stops (its own status topic), when AppDaemon dies (AppDaemon's will),
and, for readings, while the charger cannot be read. When Home Assistant or the broker comes back, everything
is published again. The events are the same as without MQTT.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ...config import SMART_MODE_KEY, AppConfig, ChargerConfig
from ...const import entity_id
from ...runtime.hub import Memorised
from ...runtime.logbook import Logbook, one_line
from ...runtime.view import ChargerView
from ...smart.engine import MODES, OFF
from ...smart.sensor import ICON as SMART_ICON
from ...smart.sensor import KEY as SMART_KEY
from ..controls import Controls
from ..entities import ATTRIBUTION, SENSORS, Entity, build_entities, charger_entity
from ..hass import HA_TIMEOUT, HomeAssistant
from ..publisher import EventAnnouncer
from .broker import Broker, MqttUnavailable
from .config import MqttConfig
from .discovery import (
    ACCOUNT_KEY,
    CONTROLS,
    OFFLINE,
    ONLINE,
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
        config: AppConfig,
        mqtt: MqttConfig,
        broker: Broker,
        ha: HomeAssistant,
        logbook: Logbook,
        clock: Callable[[], float],
        save: Callable[[], Awaitable[None]],
        retained: RetainedTopics,
    ) -> None:
        super().__init__(ha, clock, logbook)
        self.mqtt = mqtt
        self.broker = broker
        self.save = save
        self.topics = Topics(mqtt.discovery_prefix, mqtt.base_topic)
        self.retained = retained
        self.controls: dict[str, Controls] = {}  # by slug, given by the assembly
        self.chargers = {c.slug: c for c in config.chargers}
        self.modes = {c.slug: OFF for c in config.chargers if c.smart is not None and c.smart.mode_select}
        self._accounts = _accounts(config.chargers)
        self._views: dict[str, ChargerView] = {}
        self._entities: dict[str, dict[str, Entity]] = {slug: {} for slug in self.chargers}
        for slug, charger in self.chargers.items():
            if charger.smart is not None:  # a component from the start; its state comes with the first decision
                name = charger.name or charger.chargepoint_id
                placeholder = charger_entity(
                    slug, charger.chargepoint_id, name, SMART_KEY, "Smart Charging", SMART_ICON, None, {}
                )
                self._entities[slug][SMART_KEY] = placeholder
        self._options: dict[tuple[str, str], tuple[str, ...]] = {}
        self._sent: dict[str, str] = {}
        self._status: list[Availability] = []
        self._ready = False
        self._lock = asyncio.Lock()

    def mode_memory(self, slug: str) -> Memorised:
        """The smart charging mode chosen on the app's select, kept with the charger's memory."""

        def load(data: object) -> None:
            self.modes[slug] = data if isinstance(data, str) and data in MODES else OFF

        return Memorised("smart_mode", lambda: self.modes[slug], load)

    async def start(self) -> None:
        """Free the entity ids the set_state path held, then take the broker (or keep trying on every update)."""
        status = self.broker.status()
        if self.mqtt.appdaemon_status_topic is not None:
            status = Availability(self.mqtt.appdaemon_status_topic)
        self._status = [Availability(self.topics.app_status), status or Availability(APPDAEMON_STATUS)]
        await self._free_entity_ids()
        await self.broker.on_connected(self._republish)
        await self._prepare()

    async def stop(self) -> None:
        """Entities turn unavailable while the app is not running (their last state stays in the broker)."""
        await super().stop()
        try:
            await self.broker.publish(self.topics.app_status, OFFLINE, retain=True)
            await self.broker.unsubscribe(self.topics.commands)
            await self.broker.unsubscribe(self.topics.home_assistant_status)
        except MqttUnavailable:
            pass  # the broker is gone: AppDaemon's will says so

    async def show(self, view: ChargerView) -> None:
        if view.charge_point is None and view.poll.error is None:
            return  # the very first reading is under way: the device is made with its name and model
        self.remember(view)
        self._views[view.slug] = view
        self._entities[view.slug].update((e.key, e) for e in build_entities(view))
        await self._flush(view.slug)

    async def show_entity(self, entity: Entity) -> None:
        self._entities[entity.slug][entity.key] = entity
        if entity.slug in self._views:
            await self._flush(entity.slug)

    async def _prepare(self) -> bool:
        """Subscribe to the commands and to Home Assistant's status, clear what is no longer configured, and
        say the app is online. False while the broker cannot be reached."""
        if self._ready:
            return True
        try:
            await self.broker.subscribe(self.topics.commands, self._on_command)
            await self.broker.subscribe(self.topics.home_assistant_status, self._on_home_assistant)
            gone = await self.retained.clear(self.broker, self._planned().__contains__)
            self.retained.namespace = self.mqtt.namespace
            await self._send(self.topics.app_status, ONLINE)
        except MqttUnavailable as err:
            self._cannot(err)
            return False
        if devices := [t for t in gone if t.endswith("/config")]:
            self.logbook(
                f"removed {len(devices)} device(s) no longer configured from Home Assistant: {', '.join(devices)}"
            )
        self._ready = True
        return True

    async def _flush(self, slug: str) -> None:
        """Publish what changed of one charger: its device, its account, its availability and its states."""
        async with self._lock:
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
        slug, topics = view.slug, self.topics
        first, host = self._accounts[slug]
        account = account_device(first, host)
        account.components[ACCOUNT_KEY] = account_component(first, topics, self._status)
        device = self._device(view, account.device_id)
        messages = [
            (topics.device(account.device_id), account.payload()),
            (topics.device(device.device_id), device.payload()),
            (account_state_topic(topics, first), _account_state(view, host, self._account_ids(first))),
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
                if not control.stateless
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
        smart = self.chargers[view.slug].smart
        if smart is None:
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

    async def _on_command(self, topic: str, payload: str) -> None:
        parsed = self.topics.parse_command(topic)
        if parsed is None or parsed[0] not in self.controls:
            return
        slug, key = parsed
        if key == SMART_MODE_KEY and slug in self.modes:
            await self._choose_mode(slug, payload)
            return
        control = next((c for c in CONTROLS if c.key == key), None)
        if control is None:
            return
        controls, by = self.controls[slug], entity_id(slug, key, control.domain)
        if key == "charge" and payload in ("on", "off"):
            await controls.charge(payload == "on", by)
        elif key == "current_limit":
            await controls.limit(payload, by)
        elif key == "stop_charging":
            await controls.stop(by)
        elif key == "refresh":
            await controls.refresh(by)

    async def _choose_mode(self, slug: str, mode: str) -> None:
        if mode not in MODES or mode == self.modes[slug]:
            return
        self.modes[slug] = mode
        self.logbook(f"{self.controls[slug].charger.label}: smart charging mode set to {mode}")
        if slug in self._views:
            await self._flush(slug)  # Home Assistant's select follows, and smart charging decides on it
        await self.save()

    def _planned(self) -> set[str]:
        """Every retained topic this configuration publishes: anything else remembered is stale."""
        topics = self.topics
        planned = {topics.app_status}
        for slug, charger in self.chargers.items():
            first, _host = self._accounts[slug]
            planned |= {topics.device(charger_device_id(slug)), topics.availability(slug)}
            planned |= {topics.device(account_device_id(first)), account_state_topic(topics, first)}
            keys = [s.key for s in SENSORS] + [c.key for c in CONTROLS if not c.stateless]
            keys += [SMART_KEY] if charger.smart is not None else []
            keys += [SMART_MODE_KEY] if slug in self.modes else []
            planned |= {topics.state(slug, key) for key in keys}
        return planned

    def _account_ids(self, first: str) -> list[str]:
        return [self.chargers[slug].chargepoint_id for slug, (f, _h) in self._accounts.items() if f == first]

    async def _free_entity_ids(self) -> None:
        """The set_state path's entities (the app's, by their attribution) hold the ids the devices' entities
        must get; Home Assistant would pick `_2` ids instead. They are removed first."""
        freed = []
        for slug, charger in self.chargers.items():
            keys = [(s.key, s.domain) for s in SENSORS] + ([(SMART_KEY, "sensor")] if charger.smart else [])
            for key, domain in keys:
                wanted = entity_id(slug, key, domain)
                try:
                    state = await asyncio.wait_for(self.ha.read_all(wanted), HA_TIMEOUT)
                    if state is not None and state.get("attributes", {}).get("attribution") == ATTRIBUTION:
                        await asyncio.wait_for(self.ha.remove(wanted), HA_TIMEOUT)
                        freed.append(wanted)
                except Exception as err:  # Home Assistant starting or not answering: the id may end in _2
                    self.logbook.once(
                        "free-ids", f"cannot free {wanted} for its MQTT entity: {one_line(err)}", "WARNING"
                    )
        if freed:
            self.logbook(f"removed {len(freed)} set_state entities, so the MQTT entities take their ids")


def _accounts(chargers: tuple[ChargerConfig, ...]) -> dict[str, tuple[str, str]]:
    """Each charger's account as (the slug of its first charger, its host): the account device's identity."""
    first: dict[tuple[str, str], str] = {}
    for charger in chargers:
        first.setdefault(charger.account, charger.slug)
    return {c.slug: (first[c.account], c.api_host) for c in chargers}


def _account_state(view: ChargerView, host: str, chargepoint_ids: list[str]) -> str:
    if view.poll.error is not None:
        state: str | None = "off"
    else:
        state = "on" if view.last_success is not None else None
    attributes: dict[str, Any] = {"api_host": host, "chargers": chargepoint_ids, "last_error": view.poll.error}
    return state_payload(state, attributes)


def _union(seen: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    """An enum's options only grow while the app runs (a state once shown stays valid)."""
    return seen + tuple(option for option in more if option not in seen)
