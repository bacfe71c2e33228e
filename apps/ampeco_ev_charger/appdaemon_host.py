"""What the app needs from its host, on top of AppDaemon's API: a scheduler, Home Assistant, and MQTT brokers.

Callbacks stay here, keyed by plain strings: AppDaemon deep-copies the keyword arguments of timers and state
listeners (and publishes them to its admin namespace), which must never reach the app's objects.
"""

import itertools
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

import aiohttp

from .appdaemon_api import AsyncAppDaemon
from .homeassistant.hass import HA_TIMEOUT, EntityState
from .homeassistant.mqtt.broker import MqttUnavailable, OnConnected, OnMessage, topic_matches
from .homeassistant.mqtt.discovery import Availability
from .runtime.logbook import one_line
from .runtime.timers import Job

# Home Assistant's REST API through AppDaemon's own session (see `AppDaemonHost.set_state`).
HA_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=HA_TIMEOUT)


class AppDaemonHost:
    """The scheduler and the Home Assistant the app needs, on top of AppDaemon's API."""

    def __init__(
        self, app: AsyncAppDaemon, on_timer: Callable[..., Awaitable[None]], on_state: Callable[..., Awaitable[None]]
    ) -> None:
        self._app = app
        self._on_timer = on_timer  # the app's own methods: AppDaemon calls back into the app
        self._on_state = on_state
        self.jobs: dict[str, Job] = {}
        self.watchers: dict[str, list[Callable[[str | None], Awaitable[None]]]] = {}
        self._ids = itertools.count()

    async def run_later(self, delay: float, job: Job) -> object:
        job_id = f"job-{next(self._ids)}"
        self.jobs[job_id] = job
        return job_id, await self._app.run_in(self._on_timer, delay, job_id=job_id)

    async def cancel(self, handle: object) -> None:
        job_id, timer = cast(tuple[str, str], handle)
        self.jobs.pop(job_id, None)
        await self._app.cancel_timer(timer, silent=True)

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await self._app.sleep(seconds)

    async def set_state(self, entity: EntityState) -> None:
        """Home Assistant keeps states as text. AppDaemon 4.5's set_state drops attributes that are 0, false or
        null (and sends true as "true"), so the state goes through AppDaemon's own authenticated session to
        Home Assistant as it is; without one (no Home Assistant plugin) through set_state, which then keeps all."""
        http = self._home_assistant()
        if http is None:
            await self._app.set_state(
                entity.entity_id,
                state=str(entity.state),
                attributes=entity.attributes,
                replace=True,
                check_existence=False,
            )
            return
        session, url = http
        body = {"state": str(entity.state), "attributes": entity.attributes}
        async with session.post(f"{url}/api/states/{entity.entity_id}", json=body, timeout=HA_HTTP_TIMEOUT) as response:
            if response.status >= 400:
                raise RuntimeError(f"Home Assistant answered HTTP {response.status} to the state of {entity.entity_id}")

    def _home_assistant(self) -> tuple[aiohttp.ClientSession, str] | None:
        """AppDaemon's Home Assistant plugin's session (it carries the token) and address, while connected."""
        plugin = self._app.AD.plugins.get_plugin_object(self._app.namespace)
        session, config = getattr(plugin, "session", None), getattr(plugin, "config", None)
        url = getattr(config, "ha_url", None)
        if not isinstance(session, aiohttp.ClientSession) or session.closed or url is None:
            return None
        return session, str(url).rstrip("/")

    async def remove(self, entity_id: str) -> None:
        await self._app.remove_entity(entity_id)

    async def fire(self, event: str, data: dict[str, Any]) -> None:
        await self._app.fire_event(event, **data)

    def log(self, message: str, level: str) -> None:
        self._app.log(message, level=level)

    async def watch(self, entity_id: str, callback: Callable[[str | None], Awaitable[None]]) -> None:
        if entity_id not in self.watchers:
            await self._app.listen_state(self._on_state, entity_id)
        self.watchers.setdefault(entity_id, []).append(callback)

    async def read(self, entity_id: str) -> str | None:
        state = await self.read_all(entity_id)
        return None if state is None or state.get("state") is None else str(state["state"])

    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        """AppDaemon's copy of the state, else Home Assistant's own: AppDaemon 4.5 leaves entities made after it
        connected out of its copy until its next full refresh (10 min), MQTT entities among them."""
        state = await self._app.get_state(entity_id, attribute="all")
        if isinstance(state, Mapping):
            return state
        http = self._home_assistant()
        if http is None:
            return None
        session, url = http
        async with session.get(f"{url}/api/states/{entity_id}", timeout=HA_HTTP_TIMEOUT) as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            found = await response.json()
        return found if isinstance(found, Mapping) else None

    def timezone(self) -> tzinfo:
        zone = self._app.get_timezone()  # a pytz zone in AppDaemon 4.5, though documented as a name
        return zone if isinstance(zone, tzinfo) else ZoneInfo(str(zone))

    async def call(self, service: str, data: dict[str, Any]) -> None:
        await self._app.call_service(service, **data)

    async def import_statistics(self, metadata: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """Over AppDaemon's own websocket to Home Assistant: there is no service for it (HA 2025.4), only the
        admin's websocket command `recorder/import_statistics` (AppDaemon's token is an admin's)."""
        plugin = self._app.AD.plugins.get_plugin_object(self._app.namespace)
        send = getattr(plugin, "websocket_send_json", None)
        if send is None:
            raise RuntimeError("AppDaemon has no Home Assistant plugin here")
        answer = await send(
            timeout=HA_TIMEOUT, silent=True, type="recorder/import_statistics", metadata=metadata, stats=rows
        )
        if answer is None:
            raise RuntimeError("Home Assistant is not connected")
        if not isinstance(answer, Mapping) or not answer.get("success"):
            error = answer.get("error") or answer.get("ad_status") or "no reason given"
            raise RuntimeError(f"Home Assistant refused the statistic: {error}")


class AppDaemonBroker:
    """AppDaemon's MQTT plugin of one namespace. The app's namespace stays Home Assistant's: an app whose own
    namespace is the MQTT plugin's is stopped for good by a broker outage (AppDaemon 4.5)."""

    def __init__(
        self,
        app: AsyncAppDaemon,
        namespace: str,
        on_message: Callable[..., Awaitable[None]],
        on_connected: Callable[..., Awaitable[None]],
    ) -> None:
        self._app = app
        self.namespace = namespace
        self._on_message = on_message  # the app's own methods: AppDaemon calls back into the app
        self._on_connected = on_connected
        self._subscriptions: dict[str, OnMessage] = {}
        self._reconnected: list[OnConnected] = []
        self._listening = False

    async def publish(self, topic: str, payload: str, *, retain: bool) -> None:
        result = await self._service("publish", topic=topic, payload=payload, retain=retain, qos=1)
        code = getattr(result, "rc", None)
        if isinstance(result, str) or (isinstance(code, int) and code != 0):
            raise MqttUnavailable(f"the message was refused ({result})")

    async def subscribe(self, topic: str, on_message: OnMessage) -> None:
        if not self._listening:
            subscriptions = self._subscriptions

            def wanted(topic: object) -> bool:  # a plain function: AppDaemon copies the filters it is given
                return isinstance(topic, str) and any(topic_matches(s, topic) for s in subscriptions)

            await self._app.listen_event(
                self._on_message, "MQTT_MESSAGE", namespace=self.namespace, topic=wanted, mqtt=self.namespace
            )
            self._listening = True
        self._subscriptions[topic] = on_message
        await self._service("subscribe", topic=topic)

    async def unsubscribe(self, topic: str) -> None:
        if self._subscriptions.pop(topic, None) is not None:
            await self._service("unsubscribe", topic=topic)

    async def on_connected(self, callback: OnConnected) -> None:
        if not self._reconnected:
            await self._app.listen_event(
                self._on_connected,
                "MQTT_MESSAGE",
                namespace=self.namespace,
                state="Connected",
                topic=None,
                mqtt=self.namespace,  # not in the event's data, so handed to the callback: which plugin it was
            )
        self._reconnected.append(callback)

    def status(self) -> Availability | None:
        """The plugin's birth and will topic, when they are one topic (AppDaemon's default)."""
        plugin = self._app.AD.plugins.get_plugin_object(self.namespace)
        config = getattr(plugin, "config", None)
        topic, birth = getattr(config, "will_topic", None), getattr(config, "birth_topic", None)
        online, offline = getattr(config, "birth_payload", None), getattr(config, "will_payload", None)
        if not (isinstance(topic, str) and topic == birth and isinstance(online, str) and isinstance(offline, str)):
            return None
        return Availability(topic, online, offline)

    async def deliver(self, topic: str, payload: str) -> None:
        for subscription, on_message in list(self._subscriptions.items()):
            if topic_matches(subscription, topic):
                await on_message(topic, payload)

    async def reconnected(self) -> None:
        for callback in self._reconnected:
            await callback()

    async def _service(self, service: str, **data: Any) -> Any:
        try:
            result = await self._app.call_service(f"mqtt/{service}", namespace=self.namespace, **data)
        except Exception as err:  # no such namespace or service: AppDaemon has no MQTT plugin there
            raise MqttUnavailable(
                f"AppDaemon has no MQTT plugin in namespace {self.namespace!r}: {one_line(err)}"
            ) from err
        if service == "publish" and result is None:
            raise MqttUnavailable("AppDaemon's MQTT plugin is not connected to the broker")
        return result
