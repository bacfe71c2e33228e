"""The AppDaemon entry point: wires AppDaemon's timers, events and states to the app, nothing more.

apps.yaml:  module: ampeco_ev_charger.app   class: AmpecoEvCharger
"""

from pathlib import Path
from typing import Any, cast

import aiohttp
from appdaemon.adapi import ADAPI

from . import __version__, instances, reload_gap
from .appdaemon_api import AsyncAppDaemon
from .appdaemon_host import AppDaemonBroker, AppDaemonHost
from .assembly import EXPORTS_FOLDER, Assembly
from .config import AppConfig, parse_config
from .homeassistant.config_problem import ConfigProblem, chargepoint_ids
from .homeassistant.events import COMMAND_EVENTS, CONFIG_ERROR, DIAGNOSTICS
from .homeassistant.exports import EXPORT_SESSIONS
from .homeassistant.redact import RedactedHomeAssistant
from .runtime.logbook import Logbook
from .runtime.secrets_file import fingerprint
from .runtime.store import Store
from .validate import ConfigError


class AmpecoEvCharger(ADAPI):
    _assembly: Assembly | None = None
    _problem: ConfigProblem | None = None
    _http: aiohttp.ClientSession | None = None
    _host: AppDaemonHost | None = None
    _reload_check: str | None = None  # the timer of the look for removed keys
    _brokers: dict[str, AppDaemonBroker]

    @property
    def _ad(self) -> AsyncAppDaemon:
        return cast(AsyncAppDaemon, self)

    async def initialize(self) -> None:
        """Also runs again after every Home Assistant restart: the stored memory is shown at once."""
        self._brokers = {}
        self._host = host = AppDaemonHost(self._ad, self._on_timer, self._on_state)
        for event in [*COMMAND_EVENTS, EXPORT_SESSIONS, DIAGNOSTICS]:
            await self._ad.listen_event(self._on_command, event)
        if reload_gap.appdaemon_entry(self) is not None:
            self._reload_check = await self._ad.run_in(self._look_for_removed_keys, reload_gap.CHECK_EVERY_S)
        try:
            config = parse_config(self.args)
            self._claim(config)
        except ConfigError as err:
            await self._refuse(err, host)
            return
        for warning in config.warnings:
            self.log(warning, level="WARNING")
        state_file = Path(config.runtime.state_file or self.config_dir / f"{self.name}.state.json")
        self._http = aiohttp.ClientSession()
        logbook = Logbook(host.log, config.runtime.secrets)
        # AppDaemon's secrets.yaml, where a replaced token is looked for (AppDaemon itself reads it only at start).
        secrets = self.config_dir / "secrets.yaml"
        self._assembly = Assembly(
            config,
            host,
            host,
            logbook,
            self._http,
            Store(state_file),
            brokers=self._broker,
            secrets=secrets,
            exports=self.config_dir / EXPORTS_FOLDER,
        )
        self.log(f"AMPECO EV charger app {__version__} starting")
        await self._assembly.start()

    def _claim(self, config: AppConfig) -> None:
        """The chargers (and discovered accounts) of this instance, unless another instance has one already."""
        keys = [f"charger {c.chargepoint_id}" for c in config.chargers]
        keys += [f"account {a.api_host} {fingerprint(a.auth_token)}" for a in config.runtime.discover]
        other = instances.claim(self.name, keys)
        if other is not None:
            raise ConfigError(
                "chargers",
                f"a charger of this app is already watched by the app `{other}`: give each charger to one app",
            )

    async def _refuse(self, err: ConfigError, host: AppDaemonHost) -> None:
        """A mistake in apps.yaml: said once, shown on the chargers' entities, and every command answered."""
        self.log(f"{err}. The app is not started; fix apps.yaml and it reloads by itself.", level="ERROR")
        redact = Logbook(host.log, _given_secrets(self.args)).redact
        self._problem = ConfigProblem(RedactedHomeAssistant(host, redact), redact(str(err)), chargepoint_ids(self.args))
        await self._ad.fire_event(CONFIG_ERROR, key=err.key, error=redact(str(err)))
        await self._problem.show()

    async def terminate(self) -> None:
        """Cancel every timer and request and close the HTTP session (no "Unclosed client session")."""
        instances.release(self.name)
        if self._reload_check is not None:
            await self._ad.cancel_timer(self._reload_check, silent=True)
            self._reload_check = None
        if self._assembly is not None:
            await self._assembly.stop()
            self._assembly = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _on_command(self, event_type: str, data: dict[str, Any], **_kwargs: Any) -> None:
        if self._assembly is not None:
            await self._assembly.handle_event(event_type, data or {})
        elif self._problem is not None:
            await self._problem.answer(event_type, data or {})

    async def _look_for_removed_keys(self, **_kwargs: Any) -> None:
        """A key removed from the app's entry in apps.yaml, which AppDaemon 4.5 does not reload for: the app
        restarts itself with the entry as it is now."""
        entry = reload_gap.appdaemon_entry(self)
        if entry is None:
            return
        model, args = entry
        removed = reload_gap.unnoticed_removals(args, self.args)
        if not removed:
            self._reload_check = await self._ad.run_in(self._look_for_removed_keys, reload_gap.CHECK_EVERY_S)
            return
        self.log(f"apps.yaml no longer has {', '.join(removed)}: restarting the app (AppDaemon 4.5 does not)")
        reload_gap.restart_with(self, model)

    async def _on_timer(self, job_id: str, **_kwargs: Any) -> None:
        if self._host is not None and (job := self._host.jobs.pop(job_id, None)) is not None:
            await job()

    async def _on_state(self, entity: str, _attribute: str, _old: Any, new: Any, **_kwargs: Any) -> None:
        for callback in self._host.watchers.get(entity, []) if self._host is not None else []:
            await callback(new)

    def _broker(self, namespace: str) -> AppDaemonBroker:
        broker = self._brokers.get(namespace)
        if broker is None:
            broker = self._brokers[namespace] = AppDaemonBroker(self._ad, namespace, self._on_mqtt, self._on_mqtt_up)
        return broker

    async def _on_mqtt(self, _event: str, data: dict[str, Any], **kwargs: Any) -> None:
        broker = self._brokers.get(kwargs.get("mqtt", ""))
        if broker is not None and isinstance(data.get("topic"), str):
            await broker.deliver(data["topic"], str(data.get("payload", "")))

    async def _on_mqtt_up(self, _event: str, _data: dict[str, Any], **kwargs: Any) -> None:
        broker = self._brokers.get(kwargs.get("mqtt", ""))
        if broker is not None:
            await broker.reconnected()


def _given_secrets(args: dict[str, Any]) -> list[str]:
    """What looks like a credential in a configuration that could not be read: redacted all the same."""
    names = ("auth_token", "refresh_token", "client_secret")
    entries = [args, *(e for e in args.get("chargers") or [] if isinstance(e, dict))]
    return [str(entry[name]) for entry in entries for name in names if isinstance(entry.get(name), str)]
