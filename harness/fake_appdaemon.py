"""A stand-in for the little of AppDaemon the app uses, with timers on a virtual clock.

Only the methods the app calls are faked (run_in, cancel_timer, set_state, listen_event, fire_event, log,
args; and for dashboard helpers and smart charging listen_state, get_state, call_service, which behave like
Home Assistant's input_boolean and input_number, and get_timezone, which gives a pytz zone as AppDaemon 4.5 does
though typed as a name); ADAPI's constructor is never run. HTTP stays real: the app talks to the simulator over
loopback.
"""

import asyncio
import itertools
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytz

from ampeco_ev_charger.runtime.push import LISTENER

START = 1_764_000_000.0  # a fixed "now" for the virtual clock (2025-11-24)
_NO_CODE = (lambda: None).__code__


@dataclass(order=True)
class Timer:
    due: float
    seq: int
    handle: str = field(compare=False)
    callback: Callable[..., Awaitable[None]] = field(compare=False)
    kwargs: dict[str, Any] = field(compare=False)


def app_tasks() -> list[asyncio.Task[Any]]:
    """The app's tasks still running on this event loop."""
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and "ampeco_ev_charger" in getattr(t.get_coro(), "cr_code", _NO_CODE).co_filename
    ]


@dataclass
class HeldCall:
    """The app's next write to Home Assistant, kept in flight until released (Home Assistant going away under it)."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    swallowed: int = 0  # cancellations it answered with None, as AppDaemon 4.5 does


@dataclass
class FakeRecorder:
    """Home Assistant's `recorder/import_statistics` as AppDaemon 4.5's hass plugin sends it
    (`websocket_send_json`): the rows of each statistic by their hour, overwritten when imported again, and
    refused as Home Assistant refuses them (a source other than the id's domain, a start not on the hour)."""

    statistics: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    connected: bool = True

    async def websocket_send_json(self, timeout: float = 10, silent: bool = False, **request: Any) -> Any:
        if not self.connected:
            return None
        if request.get("type") != "recorder/import_statistics":
            return {"type": "result", "success": False, "error": {"code": "unknown_command"}}
        metadata, rows = request["metadata"], request["stats"]
        domain = metadata["statistic_id"].split(":", 1)[0]
        if metadata["source"] != domain or metadata.get("name") is None:
            return {"type": "result", "success": False, "error": {"code": "invalid_format", "message": "source"}}
        kept = self.statistics.setdefault(metadata["statistic_id"], {})
        for row in rows:
            start = datetime.fromisoformat(row["start"])
            if start.utcoffset() is None or start.minute or start.second or start.microsecond:
                return {"type": "result", "success": False, "error": {"code": "invalid_format", "message": "start"}}
            kept[start.astimezone(timezone.utc).isoformat()] = dict(row)
        self.metadata[metadata["statistic_id"]] = dict(metadata)
        return {"type": "result", "success": True, "result": None, "ad_status": "OK"}

    def changes(self, statistic_id: str) -> dict[str, float]:
        """Each hour's energy as the Energy dashboard shows it: the sum's change from the hour before."""
        rows = sorted(self.statistics.get(statistic_id, {}).items())
        changes, before = {}, 0.0
        for hour, row in rows:
            changes[hour] = round(row["sum"] - before, 6)
            before = row["sum"]
        return changes


class FakeAppDaemon:
    def __init__(self, start: float = START, time_zone: str = "Europe/Copenhagen") -> None:
        self.clock = start
        self.time_zone = time_zone
        self.timers: dict[str, Timer] = {}
        self.states: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.listeners: dict[str, Callable[..., Awaitable[None]]] = {}
        self.logs: list[tuple[str, str]] = []
        self.watchers: dict[str, list[tuple[Callable[..., Awaitable[None]], dict[str, Any]]]] = {}
        self.services: list[tuple[str, dict[str, Any]]] = []
        self.mqtt: Any = None  # a FakeMqttPlugin, when a test gives AppDaemon an MQTT plugin
        self.recorder = FakeRecorder()  # Home Assistant's long-term statistics, over AppDaemon's websocket
        self._seq = itertools.count()
        self._sleeping: set[asyncio.Task[Any]] = set()  # tasks waiting for virtual time to pass
        self._dozed = asyncio.Event()  # set whenever a task starts such a wait
        self._held: HeldCall | None = None
        self.writes = 0  # states written (Home Assistant's recorder stores a row for each)
        self.delays: list[float] = []  # every delay handed to run_in, in order

    def now(self) -> float:
        return self.clock

    # --- the faked AppDaemon API ------------------------------------------------------------------------

    async def run_in(self, callback: Callable[..., Awaitable[None]], delay: float, **kwargs: Any) -> str:
        """As AppDaemon 4.5.13's: the delay becomes a timedelta added to now, so a delay it cannot schedule
        raises there (OverflowError for inf or past the year 9999, ValueError for NaN)."""
        datetime.fromtimestamp(self.clock, timezone.utc) + timedelta(seconds=float(delay))
        self.delays.append(float(delay))
        handle = f"timer-{next(self._seq)}"
        self.timers[handle] = Timer(self.clock + float(delay), next(self._seq), handle, callback, kwargs)
        return handle

    async def cancel_timer(self, handle: str, silent: bool = False) -> bool:
        return self.timers.pop(handle, None) is not None

    async def sleep(self, seconds: float) -> None:
        """Wait until the virtual clock has moved on by `seconds` (someone must move it: `advance`, `send`)."""
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def wake() -> None:
            if not woken.done():
                woken.set_result(None)

        handle = await self.run_in(wake, seconds)
        task = asyncio.current_task()
        assert task is not None
        self._sleeping.add(task)
        self._dozed.set()
        try:
            await woken
        finally:
            self._sleeping.discard(task)
            self.timers.pop(handle, None)

    async def set_state(
        self,
        entity_id: str,
        state: Any = None,
        attributes: dict[str, Any] | None = None,
        replace: bool = False,
        check_existence: bool = True,
        **kwargs: Any,
    ) -> None:
        assert replace, "the app must replace attributes, or stale ones linger"
        if (held := self._held) is not None:
            self._held = None
            held.arrived.set()
            try:
                await held.released.wait()
            except asyncio.CancelledError:  # AppDaemon 4.5's Home Assistant calls swallow it and answer None
                held.swallowed += 1
                return
        self.states[entity_id] = (state, dict(attributes or {}))
        self.writes += 1

    def hold_next_write(self) -> HeldCall:
        """Keep the app's next set_state in flight, as when Home Assistant stops answering in the middle of it."""
        self._held = HeldCall()
        return self._held

    async def listen_event(
        self, callback: Callable[..., Awaitable[None]], event: str, namespace: str | None = None, **kwargs: Any
    ) -> str:
        if namespace is not None and self.mqtt is not None and namespace == self.mqtt.namespace:
            self.mqtt.listen(callback, kwargs)
        else:
            self.listeners[event] = callback
        return f"listener-{event}"

    async def fire_event(self, event: str, **data: Any) -> None:
        self.events.append((event, data))

    def log(self, msg: str, level: str = "INFO", **kwargs: Any) -> None:
        self.logs.append((level, msg))

    async def listen_state(self, callback: Callable[..., Awaitable[None]], entity_id: str, **kwargs: Any) -> str:
        self.watchers.setdefault(entity_id, []).append((callback, kwargs))
        return f"state-{entity_id}"

    async def get_state(self, entity_id: str, attribute: str | None = None, **kwargs: Any) -> Any:
        if entity_id not in self.states:
            return None
        state, attributes = self.states[entity_id]
        return {"state": state, "attributes": dict(attributes)} if attribute == "all" else state

    async def remove_entity(self, entity_id: str, namespace: str | None = None) -> None:
        self.states.pop(entity_id, None)

    def get_plugin_object(self, namespace: str) -> Any:
        """AppDaemon's plugin of a namespace: the MQTT one when given; else Home Assistant's, as far as its
        websocket goes (no HTTP session of its own, as in a standalone AppDaemon: set_state keeps all)."""
        return self.mqtt if self.mqtt is not None and namespace == self.mqtt.namespace else self.recorder

    def get_timezone(self) -> Any:
        return pytz.timezone(self.time_zone)

    async def call_service(self, service: str, namespace: str | None = None, **data: Any) -> Any:
        """input_boolean/turn_on|off and input_number/set_value change the helper as Home Assistant would;
        mqtt/... go to the MQTT plugin of that namespace (AppDaemon raises for a namespace without it)."""
        if namespace is not None:
            if self.mqtt is None or namespace != self.mqtt.namespace:
                raise ValueError(f"DomainException: namespace {namespace!r} has no service {service!r}")
            return await self.mqtt.call(service.split("/", 1)[1], data)
        self.services.append((service, data))
        entity_id = data.get("entity_id", "")
        if service in ("input_boolean/turn_on", "input_boolean/turn_off"):
            await self._change(entity_id, service.rsplit("_", 1)[1])
        elif service == "input_number/set_value":
            await self._change(entity_id, str(float(data["value"])))
        return None

    async def _change(self, entity_id: str, state: str | None) -> None:
        old = self.states.get(entity_id, (None, {}))
        self.states[entity_id] = (state, old[1])
        if old[0] != state:
            for callback, kwargs in self.watchers.get(entity_id, []):
                await callback(entity_id, "state", old[0], state, **kwargs)

    async def user_sets(self, entity_id: str, state: str) -> None:
        """A person changes a helper: its state listeners run, then whatever they set going."""
        await self._change(entity_id, state)
        await self.settle()

    async def user_deletes(self, entity_id: str) -> None:
        """A person deletes a helper: AppDaemon calls its state listeners with the new state None."""
        await self._change(entity_id, None)
        self.states.pop(entity_id, None)
        await self.settle()

    # --- driving it --------------------------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Move the clock forward, running every timer that falls due, in order (each to completion)."""
        target = self.clock + seconds
        while True:
            due = sorted(t for t in self.timers.values() if t.due <= target)
            if not due:
                break
            timer = due[0]
            del self.timers[timer.handle]
            self.clock = max(self.clock, timer.due)
            await timer.callback(**timer.kwargs)
            await self.settle()
        self.clock = target
        await self.settle()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for the app's background work to finish or to wait for virtual time: helper updates,
        smart charging decisions and the commands they send over HTTP."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await asyncio.sleep(0)
            pending = [
                t
                for t in app_tasks()
                if t is not asyncio.current_task()
                and t not in self._sleeping
                and not t.get_name().startswith(LISTENER)  # listens for the app's whole life
            ]
            if not pending or loop.time() >= deadline:
                return
            self._dozed.clear()
            dozing = asyncio.ensure_future(self._dozed.wait())
            await asyncio.wait([*pending, dozing], timeout=deadline - loop.time(), return_when=FIRST_COMPLETED)
            dozing.cancel()

    async def send(self, event: str, data: dict[str, Any] | None = None, *, patience: float = 600) -> None:
        """Home Assistant fires `event`: the app's listener runs to completion. While it waits for the cloud to
        show something (a start looking for its session), the virtual clock moves on, up to `patience`."""
        await self.send_many(event, [data or {}], patience=patience)

    async def send_many(self, event: str, datas: list[dict[str, Any]], *, patience: float = 600) -> None:
        """Home Assistant fires `event` once for each of `datas`, all at once (an automation in a loop): the
        app's listeners run side by side to completion, the virtual clock moving on while they wait."""
        callback = self.listeners[event]
        listeners = [asyncio.ensure_future(callback(event, dict(data), __thread_id="MainThread")) for data in datas]
        until = self.clock + patience
        while True:
            await self.settle()
            if all(listener.done() for listener in listeners) or not self._sleeping or not self.timers:
                break
            due = min(t.due for t in self.timers.values())
            if due > until:
                break
            await self.advance(max(0.0, due - self.clock))
        await asyncio.gather(*listeners)
        await self.settle()

    async def run_until(self, what: str, done: Callable[[], bool], *, patience: float = 600) -> None:
        """Wait until `done()`, for messages on their way through the broker (however long a busy machine takes:
        the test's own timeout is the bound, never a guessed number of seconds); while the app waits for
        virtual time (a command watching for its effect), the clock moves on, up to `patience` virtual seconds.
        `what` names the wait in the traceback of a test that timed out here."""
        until = self.clock + patience
        while not done():
            await self.settle()
            if done():
                return
            if self._sleeping and self.timers and (due := min(t.due for t in self.timers.values())) <= until:
                await self.advance(max(0.0, due - self.clock))
            else:
                await asyncio.sleep(0.02)

    def state(self, entity_id: str) -> Any:
        """An entity's state; a sensor's with a unit read as a number (Home Assistant keeps states as text)."""
        state, attributes = self.states[entity_id]
        if "unit_of_measurement" not in attributes:
            return state
        try:
            number = float(state)
        except (TypeError, ValueError):
            return state
        return int(number) if number.is_integer() and "." not in state else number

    def attributes(self, entity_id: str) -> dict[str, Any]:
        return self.states[entity_id][1]

    def fired(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]

    def lines(self, level: str | None = None) -> Iterator[str]:
        return (msg for lvl, msg in self.logs if level is None or lvl == level)
