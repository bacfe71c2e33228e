"""What the MQTT side needs from a broker connection: AppDaemon's MQTT plugin in production, paho in tests."""

from collections.abc import Awaitable, Callable
from typing import Protocol

from .discovery import Availability

OnMessage = Callable[[str, str], Awaitable[None]]  # topic, payload
OnConnected = Callable[[], Awaitable[None]]


class MqttUnavailable(Exception):
    """The broker cannot take a message now (AppDaemon's MQTT plugin is not connected, or not configured)."""


class Broker(Protocol):
    async def publish(self, topic: str, payload: str, *, retain: bool) -> None:
        """Raises MqttUnavailable."""

    async def subscribe(self, topic: str, on_message: OnMessage) -> None:
        """Messages on `topic` (MQTT wildcards allowed) from now on; raises MqttUnavailable."""

    async def unsubscribe(self, topic: str) -> None: ...

    async def on_connected(self, callback: OnConnected) -> None:
        """Call `callback` whenever the connection to the broker is made again (its retained messages may be gone)."""

    def status(self) -> Availability | None:
        """AppDaemon's own birth and will topic, when it can be known."""


def topic_matches(subscription: str, topic: str) -> bool:
    """MQTT's wildcard rules: `+` is one level, a final `#` any number of them (none included)."""
    wanted, given = subscription.split("/"), topic.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(given) or (level != "+" and level != given[index]):
            return False
    return len(wanted) == len(given)
