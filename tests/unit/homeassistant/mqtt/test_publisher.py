"""The MQTT publisher's order of things Home Assistant depends on: a device's discovery message only once the
set_state entities that held its entity ids are gone (else Home Assistant names the device's entities `_2`)."""

import asyncio
from typing import Any

from ampeco_ev_charger.homeassistant.entities import ATTRIBUTION, SENSORS
from ampeco_ev_charger.homeassistant.mqtt.commands import CommandTopics
from ampeco_ev_charger.homeassistant.mqtt.config import MqttConfig
from ampeco_ev_charger.homeassistant.mqtt.discovery import Topics
from ampeco_ev_charger.homeassistant.mqtt.publisher import MqttPublisher
from ampeco_ev_charger.homeassistant.mqtt.retained import RetainedTopics
from ampeco_ev_charger.runtime.logbook import Logbook

from ..test_entities import view


class Broker:
    def __init__(self, happened: list[str]) -> None:
        self.happened = happened

    async def publish(self, topic: str, payload: str, *, retain: bool) -> None:
        if topic.endswith("/config") and payload:
            self.happened.append(f"config {topic}")

    async def subscribe(self, topic: str, on_message: Any) -> None:
        pass

    async def unsubscribe(self, topic: str) -> None:
        pass

    async def on_connected(self, callback: Any) -> None:
        pass

    def status(self) -> None:
        return None


class SlowHomeAssistant:
    """Home Assistant with the app's set_state entities, whose every read waits until `answering` is set."""

    def __init__(self, entity_ids: list[str], happened: list[str]) -> None:
        self.states = {e: {"state": "1", "attributes": {"attribution": ATTRIBUTION}} for e in entity_ids}
        self.happened = happened
        self.answering = asyncio.Event()

    async def read_all(self, entity_id: str) -> dict[str, Any] | None:
        await self.answering.wait()
        return self.states.get(entity_id)

    async def remove(self, entity_id: str) -> None:
        del self.states[entity_id]
        self.happened.append(f"removed {entity_id}")

    async def fire(self, event: str, data: dict[str, Any]) -> None:
        pass


async def test_a_device_comes_only_once_its_entity_ids_are_free_though_it_is_shown_again_meanwhile(charge_point):
    shown = view(charge_point)
    happened: list[str] = []
    ids = [f"{s.domain}.evse_{shown.slug}_{s.key}" for s in SENSORS]
    ha, broker = SlowHomeAssistant(ids, happened), Broker(happened)
    topics = Topics("homeassistant", "ampeco_ev_charger")
    publisher = MqttPublisher(
        MqttConfig(),
        broker,
        ha,  # type: ignore[arg-type]
        Logbook(lambda _message, _level: None, []),
        lambda: 0.0,
        save=asyncio.sleep,  # type: ignore[arg-type]
        retained=RetainedTopics(),
        command_topics=CommandTopics(broker, topics),
        smart={},
    )
    await publisher.start()
    first = asyncio.create_task(publisher.show(shown))  # the shown-from-memory at the start...
    second = asyncio.create_task(publisher.show(shown))  # ...and the first round's, while the ids are freed
    for _ in range(20):
        await asyncio.sleep(0)  # both as far as they go while Home Assistant does not answer
    assert happened == []
    ha.answering.set()
    await asyncio.gather(first, second)
    device = happened.index(f"config homeassistant/device/ampeco_ev_charger_{shown.slug}/config")
    assert sorted(e for e in happened[:device] if e.startswith("removed")) == sorted(f"removed {e}" for e in ids)
