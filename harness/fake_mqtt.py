"""AppDaemon's MQTT plugin as the app sees it, on a real paho client against a real broker; and a second
client standing in for Home Assistant's MQTT integration.

The plugin behaves as AppDaemon 4.5.13's does where the app can tell: `mqtt/publish` answers paho's message
info (None while disconnected), `mqtt/subscribe` skips a topic already subscribed, birth `online` and will
`offline` are retained on `appdaemon_mqtt_client/status`, and `MQTT_MESSAGE` events carry
`{topic, wildcard, payload}` (or `{state: Connected, topic: None}` after a reconnect), filtered as
AppDaemon filters: a key given that is in the event's data must match (equal, or a callable saying so),
the other keys are handed to the callback.
"""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion

from ampeco_ev_charger.runtime.timers import cancel_and_wait

Callback = Callable[..., Awaitable[None]]
STATUS = "appdaemon_mqtt_client/status"


def _client(client_id: str) -> Client:
    return Client(CallbackAPIVersion.VERSION2, client_id=client_id)


def _connect(client: Client, port: int, what: str) -> None:
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError(f"{what} could not connect to the broker on port {port}")


@dataclass
class Listener:
    callback: Callback
    filters: dict[str, Any]


class FakeMqttPlugin:
    def __init__(self, port: int, namespace: str = "mqtt") -> None:
        self.port = port
        self.namespace = namespace
        self.config = SimpleNamespace(
            will_topic=STATUS, birth_topic=STATUS, birth_payload="online", will_payload="offline"
        )
        self.topics: list[str] = []
        self.listeners: list[Listener] = []
        self.published: list[tuple[str, str, bool]] = []
        self.connected = False
        self._loop = asyncio.get_running_loop()
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._running: set[asyncio.Future[None]] = set()  # the callbacks under way
        self.client = _client("appdaemon_mqtt_client")
        self.client.will_set(STATUS, "offline", qos=0, retain=True)

    async def connect(self) -> None:
        self.client.on_message = self._received
        await asyncio.to_thread(_connect, self.client, self.port, "the fake MQTT plugin")
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.connected = True
        self.client.publish(STATUS, "online", retain=True)
        self._pump = asyncio.ensure_future(self._deliver())

    async def close(self) -> None:
        """A clean AppDaemon shutdown: the will's payload, then disconnect."""
        await cancel_and_wait(self._pump)
        self.client.publish(STATUS, "offline", retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected = False

    def listen(self, callback: Callback, filters: dict[str, Any]) -> None:
        self.listeners.append(Listener(callback, filters))

    async def call(self, service: str, data: dict[str, Any]) -> Any:
        if not self.connected:
            return None
        topic = data["topic"]
        if service == "publish":
            payload, retain = data.get("payload"), bool(data.get("retain", False))
            if not isinstance(payload, (str, bytes, int, float, type(None))):
                return "payload must be a string, bytearray, int, float or None."
            self.published.append((topic, str(payload), retain))
            return self.client.publish(topic, payload, int(data.get("qos", 0)), retain)
        if service == "subscribe" and topic not in self.topics:
            self.topics.append(topic)
            return self.client.subscribe(topic, int(data.get("qos", 0)))
        if service == "unsubscribe" and topic in self.topics:
            self.topics.remove(topic)
            return self.client.unsubscribe(topic)
        return None

    def published_to(self, topic: str) -> list[str]:
        return [payload for t, payload, _retain in self.published if t == topic]

    # --- paho's thread -----------------------------------------------------------------------------------

    def _received(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        data = {"topic": message.topic, "wildcard": None, "payload": message.payload.decode()}
        self._loop.call_soon_threadsafe(self._inbox.put_nowait, data)

    def _connected(self, client: Client, *_args: Any) -> None:
        self.connected = True
        client.publish(STATUS, "online", retain=True)
        for topic in self.topics:
            client.subscribe(topic)
        self._loop.call_soon_threadsafe(self._inbox.put_nowait, {"state": "Connected", "topic": None, "wildcard": None})

    def _disconnected(self, *_args: Any) -> None:
        self.connected = False

    # --- the app's event loop ----------------------------------------------------------------------------

    async def _deliver(self) -> None:
        while True:
            data = await self._inbox.get()
            for listener in self.listeners:
                given = {k: v for k, v in listener.filters.items() if k not in data}
                if all(
                    (value(data[key]) if callable(value) else value == data[key])
                    for key, value in listener.filters.items()
                    if key in data
                ):
                    task = asyncio.ensure_future(
                        listener.callback("MQTT_MESSAGE", dict(data), __thread_id="MainThread", **given)
                    )
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)


class HomeAssistantMqtt:
    """The other end: what Home Assistant's MQTT integration would see (every retained topic's last payload)
    and send (commands, its `online` status)."""

    def __init__(self, port: int, prefix: str = "homeassistant") -> None:
        self.port = port
        self.prefix = prefix
        self.retained: dict[str, str] = {}
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self.client = _client(f"home-assistant-stand-in-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._received

    def connect(self) -> "HomeAssistantMqtt":
        _connect(self.client, self.port, "the Home Assistant stand-in")
        self.client.subscribe("#")
        return self

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _received(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        payload = message.payload.decode()
        with self._lock:
            self.messages.append((message.topic, payload, bool(message.retain)))
            if "/~app/" in message.topic:
                return  # the app's marker to itself: never retained (a live retained message arrives unflagged)
            if payload:
                self.retained[message.topic] = payload
            else:
                self.retained.pop(message.topic, None)

    def send(self, topic: str, payload: str) -> None:
        """A command, as Home Assistant sends it: not retained (an empty payload clears a retained message)."""
        self.client.publish(topic, payload, qos=1, retain=not payload).wait_for_publish(5)

    def json(self, topic: str) -> Any:
        with self._lock:
            return json.loads(self.retained[topic]) if topic in self.retained else None

    def device(self, device_id: str) -> Any:
        return self.json(f"{self.prefix}/device/{device_id}/config")

    def count(self, topic: str) -> int:
        with self._lock:
            return sum(1 for t, _p, _r in self.messages if t == topic)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self.retained)


def fresh_view(port: int, topic_filter: str = "#", quiet: float = 0.5) -> dict[str, str]:
    """The retained messages a client connecting now is given (Home Assistant after a restart)."""
    client = _client(f"late-subscriber-{uuid.uuid4().hex[:8]}")
    seen: dict[str, str] = {}
    client.on_message = lambda _c, _u, m: seen.__setitem__(m.topic, m.payload.decode())
    _connect(client, port, "a late subscriber")
    client.subscribe(topic_filter)
    time.sleep(quiet)
    client.disconnect()
    client.loop_stop()
    return seen
