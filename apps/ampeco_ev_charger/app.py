"""The AppDaemon entry point: wires AppDaemon's timers, events and states to the app, nothing more.

apps.yaml:  module: ampeco_ev_charger.app   class: AmpecoEvCharger
"""

import itertools
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import aiohttp
from appdaemon.adapi import ADAPI

from . import __version__
from .appdaemon_api import AsyncAppDaemon
from .assembly import Assembly
from .config import parse_config
from .homeassistant.events import COMMAND_EVENTS, CONFIG_ERROR
from .homeassistant.hass import EntityState
from .runtime.logbook import Logbook
from .runtime.store import Store
from .runtime.timers import Job
from .validate import ConfigError


class AmpecoEvCharger(ADAPI):
    _assembly: Assembly | None = None
    _http: aiohttp.ClientSession | None = None
    _host: "_AppDaemonHost | None" = None

    @property
    def _ad(self) -> AsyncAppDaemon:
        return cast(AsyncAppDaemon, self)

    async def initialize(self) -> None:
        """Also runs again after every Home Assistant restart: the stored memory is shown at once."""
        try:
            config = parse_config(self.args)
        except ConfigError as err:
            self.log(f"{err}. The app is not started; fix apps.yaml and it reloads by itself.", level="ERROR")
            await self._ad.fire_event(CONFIG_ERROR, key=err.key, error=str(err))
            return
        for warning in config.warnings:
            self.log(warning, level="WARNING")
        state_file = Path(config.state_file) if config.state_file else self.config_dir / f"{self.name}.state.json"
        self._http = aiohttp.ClientSession()
        self._host = host = _AppDaemonHost(self._ad, self._on_timer, self._on_state)
        logbook = Logbook(host.log, config.secrets)
        # AppDaemon's secrets.yaml, where a replaced token is looked for (AppDaemon itself reads it only at start).
        secrets = self.config_dir / "secrets.yaml"
        self._assembly = Assembly(config, host, host, logbook, self._http, Store(state_file), secrets=secrets)
        for event in COMMAND_EVENTS:
            await self._ad.listen_event(self._on_command, event)
        self.log(f"AMPECO EV charger app {__version__} starting")
        await self._assembly.start()

    async def terminate(self) -> None:
        """Cancel every timer and request and close the HTTP session (no "Unclosed client session")."""
        if self._assembly is not None:
            await self._assembly.stop()
            self._assembly = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _on_command(self, event_type: str, data: dict[str, Any], **_kwargs: Any) -> None:
        if self._assembly is not None:
            await self._assembly.handle_event(event_type, data or {})

    async def _on_timer(self, job_id: str, **_kwargs: Any) -> None:
        if self._host is not None and (job := self._host.jobs.pop(job_id, None)) is not None:
            await job()

    async def _on_state(self, entity: str, _attribute: str, _old: Any, new: Any, **_kwargs: Any) -> None:
        for callback in self._host.watchers.get(entity, []) if self._host is not None else []:
            await callback(new)


class _AppDaemonHost:
    """The scheduler and the Home Assistant the app needs, on top of AppDaemon's API.

    Callbacks stay here, keyed by plain strings: AppDaemon deep-copies the keyword arguments of timers and
    state listeners (and publishes them to its admin namespace), which must never reach the app's objects.
    """

    def __init__(
        self, app: AsyncAppDaemon, on_timer: Callable[..., Awaitable[None]], on_state: Callable[..., Awaitable[None]]
    ) -> None:
        self._app = app
        self._on_timer = on_timer  # the app's own methods: AppDaemon calls back into the app
        self._on_state = on_state
        self.jobs: dict[str, Job] = {}
        self.watchers: dict[str, list[Callable[[str], Awaitable[None]]]] = {}
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
        # Home Assistant keeps states as text; AppDaemon's HTTP layer drops a state of 0 (it equals False).
        await self._app.set_state(
            entity.entity_id,
            state=str(entity.state),
            attributes=entity.attributes,
            replace=True,
            check_existence=False,
        )

    async def fire(self, event: str, data: dict[str, Any]) -> None:
        await self._app.fire_event(event, **data)

    def log(self, message: str, level: str) -> None:
        self._app.log(message, level=level)

    async def watch(self, entity_id: str, callback: Callable[[str], Awaitable[None]]) -> None:
        if entity_id not in self.watchers:
            await self._app.listen_state(self._on_state, entity_id)
        self.watchers.setdefault(entity_id, []).append(callback)

    async def read(self, entity_id: str) -> str | None:
        state = await self._app.get_state(entity_id)
        return None if state is None else str(state)

    async def read_all(self, entity_id: str) -> Mapping[str, Any] | None:
        state = await self._app.get_state(entity_id, attribute="all")
        return state if isinstance(state, Mapping) else None

    def timezone(self) -> tzinfo:
        zone = self._app.get_timezone()  # a pytz zone in AppDaemon 4.5, though documented as a name
        return zone if isinstance(zone, tzinfo) else ZoneInfo(str(zone))

    async def call(self, service: str, data: dict[str, Any]) -> None:
        await self._app.call_service(service, **data)
