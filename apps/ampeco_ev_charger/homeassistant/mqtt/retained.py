"""The retained topics the app published, remembered across restarts.

Whatever is no longer configured (a charger, smart charging, a renamed base topic, MQTT itself) still sits in
the broker, and Home Assistant would keep its device. On the next start, its topics are emptied: an empty
retained discovery message removes the device with its entities, an empty state message clears the state.
"""

import asyncio
from collections.abc import Callable, Iterable

from ...runtime.logbook import Logbook
from ...runtime.memory_file import Saved
from ...runtime.timers import Scheduler
from ..hass import HA_TIMEOUT, HomeAssistant
from .broker import Broker, MqttUnavailable

# Seconds Home Assistant may take to remove the devices, checked this often.
REMOVAL_PATIENCE, REMOVAL_CHECK = 10.0, 0.5


class RetainedTopics:
    def __init__(self) -> None:
        self.namespace: str | None = None  # AppDaemon's MQTT namespace they were published through
        self.topics: set[str] = set()

    def dump(self) -> dict[str, object]:
        """For the memory file (kept under `app.mqtt`)."""
        return {"namespace": self.namespace, "topics": sorted(self.topics)}

    def load(self, saved: Saved) -> None:
        self.namespace = saved.text("namespace")
        self.topics = {topic for topic in saved.texts("topics") if topic}

    def published(self, topics: Iterable[str]) -> None:
        self.topics.update(topics)

    async def clear(self, broker: Broker, keep: Callable[[str], bool] = lambda _topic: False) -> list[str]:
        """Empty every remembered topic `keep` refuses, discovery configs first (Home Assistant removes the
        entities before their states go). Returns the emptied topics; raises MqttUnavailable (those left are
        tried again next time)."""
        gone = sorted((t for t in self.topics if not keep(t)), key=lambda t: (not t.endswith("/config"), t))
        for topic in gone:
            await broker.publish(topic, "", retain=True)
            self.topics.discard(topic)
        return gone


class Retirement:
    """MQTT was turned off in apps.yaml: the devices it made leave Home Assistant before the set_state path
    writes the same entity ids (it would otherwise write them into entities about to be removed)."""

    def __init__(
        self,
        retained: RetainedTopics,
        brokers: Callable[[str], Broker] | None,
        ha: HomeAssistant,
        logbook: Logbook,
        scheduler: Scheduler,
        entity_ids: list[str],
    ) -> None:
        self.retained = retained
        self.brokers = brokers
        self.ha = ha
        self.logbook = logbook
        self.scheduler = scheduler
        self.entity_ids = entity_ids

    async def start(self) -> None:
        namespace = self.retained.namespace
        if not self.retained.topics or namespace is None:
            return
        if self.brokers is None:
            self._left(namespace, "this host has no MQTT")
            return
        try:
            gone = await self.retained.clear(self.brokers(namespace))
        except MqttUnavailable as err:
            self._left(namespace, str(err))
            return
        self.logbook(f"MQTT is off: removed {sum(t.endswith('/config') for t in gone)} device(s) it had made")
        await self._until_removed()

    async def stop(self) -> None:
        """Nothing runs after start."""

    def _left(self, namespace: str, reason: str) -> None:
        """Said once: the topics are forgotten, the devices are the user's to delete now."""
        self.logbook(
            f"the devices made through MQTT may still be in Home Assistant and cannot be removed through "
            f"AppDaemon's `{namespace}` plugin ({reason}): delete them under Settings > Devices & services > MQTT",
            "WARNING",
        )
        self.retained.topics.clear()

    async def _until_removed(self) -> None:
        for _ in range(int(REMOVAL_PATIENCE / REMOVAL_CHECK)):
            if all(await asyncio.gather(*(self._gone(e) for e in self.entity_ids))):
                return
            await self.scheduler.sleep(REMOVAL_CHECK)

    async def _gone(self, entity_id: str) -> bool:
        try:
            return await asyncio.wait_for(self.ha.read(entity_id), HA_TIMEOUT) is None
        except Exception:  # not answering: nothing to wait for
            return True
