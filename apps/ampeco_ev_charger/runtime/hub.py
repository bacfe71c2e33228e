"""Every configured charger at run time, without AppDaemon or Home Assistant: accounts that read, change
sources that tell them when, commands, and the memory on disk.

The host builds one Hub with a `Publisher` (how the chargers are shown) and a `Scheduler` (time), calls
`start`, hands it typed commands through `run`, and calls `stop` at the end.
"""

import asyncio
import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .. import __version__
from ..ampeco import AmpecoClient, RequestRecord
from ..config import AppConfig, ChargerConfig
from .account import Account, Found
from .charger import Charger
from .commands import Command, CommandRefused, CommandResult, Outcome
from .credential_watch import CredentialWatch
from .credentials import Configured, Credentials
from .execute import Executor
from .landing import LandingCheck
from .lifecycle import describe
from .logbook import Logbook, one_line
from .poller import Poller
from .polling import PollPolicy
from .ports import Publisher
from .push import PushSource
from .secrets_file import SecretsFile
from .store import Store
from .tenant import Tenant
from .timers import Scheduler

# Readings change every poll; lifecycle transitions are saved at once, plain readings this often.
SAVE_EVERY = 300.0
USER_AGENT = f"ampeco-ev-charger-appdaemon/{__version__}"

RoundListener = Callable[[], None]


@dataclass
class Memorised:
    """A part of the app's memory kept by someone else (smart charging's plan), saved with its charger."""

    key: str
    dump: Callable[[], Any]
    load: Callable[[Any], None]


class Hub:
    def __init__(
        self,
        config: AppConfig,
        scheduler: Scheduler,
        logbook: Logbook,
        http: aiohttp.ClientSession,
        store: Store,
        publisher: Publisher,
        *,
        secrets: Path | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.scheduler = scheduler
        self.logbook = logbook
        self.store = store
        self.publisher = publisher
        self.chargers = {c.chargepoint_id: Charger(c) for c in config.chargers}
        policy = PollPolicy(
            charging_interval=config.charging_interval,
            idle_interval=config.idle_interval,
            relaxed_interval=config.push_idle_interval,
        )
        limiter = asyncio.Semaphore(config.max_concurrent_requests)
        # Where the user keeps the tokens (apps.yaml's secrets_file, else the host's), for replaced ones.
        secrets_path = Path(config.secrets_file) if config.secrets_file else secrets
        secrets_file = SecretsFile(secrets_path) if secrets_path is not None else None
        groups: dict[tuple[str, str], list[Charger]] = {}
        for charger in self.chargers.values():
            groups.setdefault(charger.config.account, []).append(charger)
        # What the app learnt about each tenant (host), shared by its accounts and kept across restarts.
        self.tenants = {host: Tenant() for host, _ in groups}
        self.accounts: list[Account] = []
        self.pollers: dict[Account, Poller] = {}
        self.landings: dict[Account, LandingCheck] = {}
        self.pushes: dict[Account, PushSource] = {}  # live updates, where turned on
        self._executors: dict[str, Executor] = {}
        for (api_host, _), chargers in groups.items():
            settings = chargers[0].config
            credentials = Credentials(_configured(settings), logbook, scheduler.now, secrets_file)
            client = AmpecoClient(
                http,
                api_host,
                credentials,
                timeout=config.request_timeout,
                limiter=limiter,
                on_request=self._log_request,
                clock=scheduler.now,
                user_agent=USER_AGENT,
            )
            credentials.grant, credentials.on_renewed = client.grant, self.save
            account = Account(
                client,
                chargers,
                credentials=credentials,
                tenant=self.tenants[api_host],
                logbook=logbook,
                clock=scheduler.now,
                on_round=self._after_round,
            )
            poller = Poller(
                account, policy, scheduler, unavailable_after=config.unavailable_after, on_expiry=self.show, rand=rand
            )
            self.accounts.append(account)
            self.pollers[account] = poller
            if config.push:
                self.pushes[account] = PushSource(
                    account,
                    poller,
                    http,
                    logbook,
                    on_change=functools.partial(self.show, account),
                    wall=scheduler.now,
                    rand=rand,
                )
            self.landings[account] = landing = LandingCheck(account, scheduler)
            executor = Executor(
                client, account, poller, landing, fresh_within=config.charging_interval, learnt=self.save
            )
            self._executors.update({charger.id: executor for charger in chargers})
        self.watch = CredentialWatch(self.accounts, scheduler, logbook)
        self._listeners: dict[str, list[RoundListener]] = {}
        self._memorised: dict[str | None, list[Memorised]] = {}  # None: the app's own, not a charger's
        self._save_lock = asyncio.Lock()
        self._last_saved = -math.inf
        self._stopped = False

    def account(self, charger: Charger) -> Account:
        return self._executors[charger.id].account

    def poller(self, charger: Charger) -> Poller:
        return self.pollers[self.account(charger)]

    def after_each_round(self, chargepoint_id: str, listener: RoundListener) -> None:
        """Call `listener()` after every round that read the charger's account (dashboard helpers, smart
        charging follow it); it must not block: slow work goes to the background."""
        self._listeners.setdefault(chargepoint_id, []).append(listener)

    def memorise(self, chargepoint_id: str | None, part: Memorised) -> None:
        """Keep `part` in the memory file with the charger's own, or the app's (None); restored by `recall`."""
        self._memorised.setdefault(chargepoint_id, []).append(part)

    async def recall(self) -> None:
        """Take up what the last run saved: what was learnt of tenants and tokens, each charger's last reading
        and sessions, and every memorised part."""
        data, problem = await asyncio.to_thread(self.store.load)
        if problem:
            self.logbook(problem, "WARNING")
        tenants, accounts = _dict(data.get("tenants")), _dict(data.get("accounts"))
        for host in self.tenants:
            self.tenants[host] = tenant = Tenant.from_dict(tenants.get(host))
            for account in self.accounts:
                if account.client.host == host:
                    account.lookup.tenant = tenant
        for account in self.accounts:
            account.credentials.restore(accounts.get(_account_key(account)))
        saved = data.get("chargers")
        for charger in self.chargers.values():
            entry = saved.get(charger.id) if isinstance(saved, dict) else None
            charger.restore(entry)
            for part in self._memorised.get(charger.id, []):
                part.load(entry.get(part.key) if isinstance(entry, dict) else None)
        own = _dict(data.get("app"))
        for part in self._memorised.get(None, []):
            part.load(own.get(part.key))

    async def start(self) -> None:
        """Show what the last run saw (if anything) at once, then read every account at once."""
        for account in self.accounts:
            account.recall()
            await self.pollers[account].start()
            await self.show(account)
        names = ", ".join(c.label for c in self.chargers.values())
        self.logbook(f"watching {len(self.chargers)} charger(s) on {len(self.accounts)} account(s): {names}")

    async def halt(self) -> None:
        """No more reading, commands or round listeners: timers and requests under way are cancelled."""
        self._stopped = True
        await self.watch.stop()
        for push in self.pushes.values():
            await push.stop()
        for account in self.accounts:
            await self.pollers[account].stop()
            await account.stop()
            await account.credentials.settle()

    async def stop(self) -> None:
        await self.halt()
        await self.save()

    async def run(self, command: Command, origin: str | None = None) -> Outcome:
        """Carry out one command (from an event, a dashboard control or smart charging, as `origin` says) and
        answer it with its one result."""
        if self._stopped:
            return Outcome(False, "the app is stopping")
        if command.chargepoint_id is None:
            errors = await asyncio.gather(*(account.refresh() for account in self.accounts))
            problems = "; ".join(e.message for e in errors if e is not None)
            outcome = Outcome(not problems, problems or None)
            await self._answer(None, command.name, outcome, origin)
            return outcome
        charger = self.chargers[command.chargepoint_id]
        executor = self._executors[charger.id]
        async with charger.lock:
            try:
                outcome = await executor.run(command, charger)
            except Exception as err:  # a bug must still answer the user, once
                outcome = Outcome(False, f"internal error: {one_line(err)}")
            by = f" ({origin})" if origin else ""
            if outcome.success:
                self.logbook(f"{charger.label}: {command.name}{by} done")
            else:
                self.logbook(f"{charger.label}: {command.name}{by} failed: {outcome.error}", "WARNING")
            await self._answer(charger.id, command.name, outcome, origin)
            if outcome.poll:
                # Inside the lock, so a stop right behind a start sees the session the start made.
                await executor.account.refresh()
        return outcome

    async def refuse(self, refusal: CommandRefused, origin: str | None = None) -> Outcome:
        """A command refused before it could be run (a bad event, a helper set to half an amp): said once,
        answered once."""
        outcome = Outcome(False, refusal.message)
        if not self._stopped:
            self.logbook(f"{refusal.name} refused: {refusal.message}", "WARNING")
            await self._answer(refusal.chargepoint_id, refusal.name, outcome, origin)
        return outcome

    async def show(self, account: Account) -> None:
        """Hand every charger of `account` to the publisher as it is now."""
        now, poller, push = self.scheduler.now(), self.pollers[account], self.pushes.get(account)
        for charger in account.chargers:
            view = charger.view(
                poller.status(charger), now, self.config.unavailable_after, None if push is None else push.status
            )
            await self.publisher.show(view)

    async def _answer(self, chargepoint_id: str | None, name: str, outcome: Outcome, origin: str | None) -> None:
        """Whatever the answer echoes back is redacted too."""
        redact = self.logbook.redact
        await self.publisher.answer(
            CommandResult(
                None if chargepoint_id is None else redact(chargepoint_id),
                name,
                outcome.success,
                None if outcome.error is None else redact(outcome.error),
                outcome.session_id,
                origin,
                None if outcome.note is None else redact(outcome.note),
            )
        )

    def _log_request(self, record: RequestRecord) -> None:
        outcome = record.error or record.status
        self.logbook(f"{record.method} {record.path} -> {outcome} in {record.seconds * 1000:.0f} ms", "DEBUG")

    async def _after_round(self, account: Account, found: Found) -> None:
        """After each round: the next poll is set, the chargers are shown, what happened is told, dashboard
        helpers and smart charging follow, and the memory goes to disk."""
        await self.pollers[account].after_round()
        try:
            await self.show(account)
            for charger, transitions in found:
                for transition in transitions:
                    self.logbook(f"{charger.label}: {describe(transition)}")
                    await self.publisher.announce(charger.id, transition)
            if (warning := self.watch.expiring(account)) is not None:
                await self.publisher.warn(warning)
        except Exception as err:
            self.logbook.once("host-error", f"cannot update Home Assistant: {one_line(err)}", "ERROR")
        else:
            self.logbook.forget("host-error")
        if not self._stopped:
            await self.watch.watch()
            push = self.pushes.get(account)
            if push is not None and not push.started and account.error is None:
                await push.start()
            if account.error is None:  # what a start of ours left elsewhere is stopped, round after round
                await self.landings[account].tidy()
        for charger in account.chargers:
            for listener in self._listeners.get(charger.id, []) if not self._stopped else []:
                listener()
        if any(transitions for _, transitions in found) or self.scheduler.now() - self._last_saved >= SAVE_EVERY:
            await self.save()

    async def save(self) -> None:
        async with self._save_lock:
            snapshot = {
                "chargers": {c.id: self._snapshot(c) for c in self.chargers.values()},
                "tenants": {host: tenant.to_dict() for host, tenant in self.tenants.items()},
                "accounts": {_account_key(a): a.credentials.snapshot() for a in self.accounts},
                "app": {part.key: part.dump() for part in self._memorised.get(None, [])},
            }
            try:
                await asyncio.to_thread(self.store.save, snapshot)
            except OSError as err:
                self.logbook.once("store", f"cannot save the app's memory to {self.store.path}: {err}", "ERROR")
                return
            self.logbook.forget("store")
            self._last_saved = self.scheduler.now()

    def _snapshot(self, charger: Charger) -> dict[str, Any]:
        return charger.snapshot() | {part.key: part.dump() for part in self._memorised.get(charger.id, [])}


def _configured(charger: ChargerConfig) -> Configured:
    return Configured(charger.auth_token, charger.refresh_token, charger.client)


def _account_key(account: Account) -> str:
    """An account as the memory file knows it: its host and chargers (its token changes when renewed)."""
    return " ".join([account.client.host, *sorted(c.id for c in account.chargers)])


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
