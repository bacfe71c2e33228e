"""Everything the app does, without AppDaemon: accounts that poll, commands from events, memory on disk.

The AppDaemon class builds one Hub in `initialize`, hands it a `Host`, forwards events to `handle` and
calls `stop` in `terminate`.
"""

import asyncio
import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from . import control
from .account import Account
from .charger import Charger
from .client import AmpecoClient, RequestRecord
from .commands import CommandError, parse_command
from .config import AppConfig
from .controls import Controls
from .events import COMMAND_RESULT, command_result
from .host import Host, Logbook, one_line
from .polling import PollPolicy
from .smart_runner import SmartRunner
from .store import Store

# Readings change every poll; lifecycle transitions are saved at once, plain readings this often.
SAVE_EVERY = 300.0


class Hub:
    def __init__(
        self,
        config: AppConfig,
        host: Host,
        http: aiohttp.ClientSession,
        store: Store,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.host = host
        self.store = store
        self.logbook = Logbook(host.log, config.secrets)
        self.chargers = {c.chargepoint_id: Charger(c) for c in config.chargers}
        policy = PollPolicy(charging_interval=config.charging_interval, idle_interval=config.idle_interval)
        limiter = asyncio.Semaphore(config.max_concurrent_requests)
        groups: dict[tuple[str, str], list[Charger]] = {}
        for charger in self.chargers.values():
            groups.setdefault(charger.config.account, []).append(charger)
        self.accounts = [
            Account(
                AmpecoClient(
                    http, api_host, token, timeout=config.request_timeout, limiter=limiter,
                    on_request=self._log_request, clock=host.now,
                ),
                chargers,
                policy=policy,
                host=host,
                logbook=self.logbook,
                unavailable_after=config.unavailable_after,
                rand=rand,
                after_round=self._after_round,
            )
            for (api_host, token), chargers in groups.items()
        ]
        self._account_of = {c.id: account for account in self.accounts for c in account.chargers}
        self.controls = {
            charger.id: Controls(charger, self._account_of[charger.id], host, self.logbook, self.execute)
            for charger in self.chargers.values()
            if charger.config.charging_switch or charger.config.current_limit
        }
        self.smart = {
            charger.id: SmartRunner(charger, self._account_of[charger.id], charger.config.smart, host, self.logbook,
                                    self.execute)
            for charger in self.chargers.values()
            if charger.config.smart is not None
        }
        self._save_lock = asyncio.Lock()
        self._last_saved = -math.inf
        self._stopped = False

    async def start(self) -> None:
        data, problem = await asyncio.to_thread(self.store.load)
        if problem:
            self.logbook(problem, "WARNING")
        saved = data.get("chargers")
        for charger in self.chargers.values():
            charger.restore(saved.get(charger.id) if isinstance(saved, dict) else None)
        for controls in self.controls.values():
            await controls.start()
        for runner in self.smart.values():
            await runner.start()
        for account in self.accounts:
            await account.start()
        names = ", ".join(c.label for c in self.chargers.values())
        self.logbook(f"watching {len(self.chargers)} charger(s) on {len(self.accounts)} account(s): {names}")

    async def stop(self) -> None:
        self._stopped = True
        for account in self.accounts:
            await account.stop()
        for controls in self.controls.values():
            await controls.stop()
        for runner in self.smart.values():
            await runner.stop()
        await self._save()

    async def handle(self, event_type: str, data: Mapping[str, Any]) -> None:
        """One incoming command event -> exactly one command_result event."""
        if not self._stopped:
            await self.execute(event_type, dict(data or {}))

    async def execute(self, event_type: str, data: dict[str, Any], origin: str | None = None) -> control.Outcome:
        """Validate and run one command (from an event, a dashboard control or smart charging, as `origin`
        says); fires its command_result."""
        try:
            command = parse_command(event_type, data, list(self.chargers))
        except CommandError as err:
            self.logbook(f"{err.name} refused: {err.message}", "WARNING")
            outcome = control.Outcome(False, err.message)
            await self._result(err.chargepoint_id, err.name, outcome, origin)
            return outcome
        if command.chargepoint_id is None:
            errors = await asyncio.gather(*(account.refresh() for account in self.accounts))
            problems = "; ".join(e.message for e in errors if e is not None)
            outcome = control.Outcome(not problems, problems or None)
            await self._result(None, command.name, outcome, origin)
            return outcome
        charger = self.chargers[command.chargepoint_id]
        account = self._account_of[charger.id]
        async with charger.lock:
            try:
                outcome = await control.run(command, account, charger, self.config.charging_interval)
            except Exception as err:  # a bug must still answer the user, once
                outcome = control.Outcome(False, f"internal error: {one_line(err)}")
            by = f" ({origin})" if origin else ""
            if outcome.success:
                self.logbook(f"{charger.label}: {command.name}{by} done")
            else:
                self.logbook(f"{charger.label}: {command.name}{by} failed: {outcome.error}", "WARNING")
            await self._result(charger.id, command.name, outcome, origin)
            if outcome.poll:
                # Inside the lock, so a stop right behind a start sees the session the start made.
                await account.refresh()
        return outcome

    async def _result(self, chargepoint_id: str | None, name: str, outcome: control.Outcome,
                      origin: str | None) -> None:
        """Fire the one command_result; whatever the event echoes back is redacted too."""
        redact = self.logbook.redact
        data = command_result(
            None if chargepoint_id is None else redact(chargepoint_id),
            name,
            outcome.success,
            None if outcome.error is None else redact(outcome.error),
            outcome.session_id,
        )
        if origin is not None:
            data["origin"] = origin
        await self.host.fire(COMMAND_RESULT, data)

    def _log_request(self, record: RequestRecord) -> None:
        outcome = record.error or record.status
        self.logbook(f"{record.method} {record.path} -> {outcome} in {record.seconds * 1000:.0f} ms", "DEBUG")

    async def _after_round(self, account: Account, urgent: bool) -> None:
        """After each poll round: dashboard helpers follow the chargers; memory goes to disk."""
        for charger in account.chargers:
            if (controls := self.controls.get(charger.id)) is not None:
                controls.reflect()
            if (runner := self.smart.get(charger.id)) is not None:
                runner.request()
        if urgent or self.host.now() - self._last_saved >= SAVE_EVERY:
            await self._save()

    async def _save(self) -> None:
        async with self._save_lock:
            snapshot = {"chargers": {c.id: c.snapshot() for c in self.chargers.values()}}
            try:
                await asyncio.to_thread(self.store.save, snapshot)
            except OSError as err:
                self.logbook.once("store", f"cannot save the app's memory to {self.store.path}: {err}", "ERROR")
                return
            self.logbook.forget("store")
            self._last_saved = self.host.now()
