"""Nothing secret leaves the app: every text on its way to Home Assistant or the broker (states,
attributes, events, logbook entries, notifications, MQTT payloads) passes the same redaction as the log.

One wrapper around each way out, made once by the assembly; nothing else has to remember to redact.
"""

from collections.abc import Awaitable, Callable, Mapping
from datetime import tzinfo
from typing import Any

from .hass import EntityState, HomeAssistant
from .mqtt.broker import Broker, OnConnected, OnMessage
from .mqtt.discovery import Availability

Redact = Callable[[str], str]


def redacted(value: Any, redact: Redact) -> Any:
    """`value` with every string in it (keys included) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redacted(k, redact): redacted(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(item, redact) for item in value]
    return value


class RedactedHomeAssistant:
    """A `HomeAssistant` whose writes carry no secret."""

    def __init__(self, ha: HomeAssistant, redact: Redact) -> None:
        self._ha = ha
        self._redact = redact

    async def set_state(self, entity: EntityState) -> None:
        await self._ha.set_state(
            EntityState(
                entity.entity_id, redacted(entity.state, self._redact), redacted(entity.attributes, self._redact)
            )
        )

    async def remove(self, entity_id: str) -> None:
        await self._ha.remove(entity_id)

    async def fire(self, event: str, data: dict[str, Any]) -> None:
        await self._ha.fire(event, redacted(data, self._redact))

    async def watch(self, entity_id: str, callback: Callable[[str | None], Awaitable[None]]) -> None:
        await self._ha.watch(entity_id, callback)

    async def read(self, entity_id: str) -> str | None:
        return await self._ha.read(entity_id)

    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        return await self._ha.read_all(entity_id)

    async def call(self, service: str, data: dict[str, Any]) -> None:
        await self._ha.call(service, redacted(data, self._redact))

    def timezone(self) -> tzinfo:
        return self._ha.timezone()

    async def import_statistics(self, metadata: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        await self._ha.import_statistics(redacted(metadata, self._redact), rows)


class RedactedBroker:
    """A `Broker` whose messages carry no secret."""

    def __init__(self, broker: Broker, redact: Redact) -> None:
        self._broker = broker
        self._redact = redact

    async def publish(self, topic: str, payload: str, *, retain: bool) -> None:
        await self._broker.publish(topic, self._redact(payload), retain=retain)

    async def subscribe(self, topic: str, on_message: OnMessage) -> None:
        await self._broker.subscribe(topic, on_message)

    async def unsubscribe(self, topic: str) -> None:
        await self._broker.unsubscribe(topic)

    async def on_connected(self, callback: OnConnected) -> None:
        await self._broker.on_connected(callback)

    def status(self) -> Availability | None:
        return self._broker.status()
