"""Where the runtime is made: every object of every account, in one place, each given what it needs when it
is made (nothing is finished later by assignment). The app's `assembly` builds Home Assistant's side around
what this returns.
"""

import asyncio
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from .. import __version__
from ..ampeco import AmpecoClient, RequestRecord, Tenant, TokenEndpoint, Transport
from .account import Account, note_oddity
from .charger import Charger
from .config import AccountConfig, ChargerConfig, RuntimeConfig
from .credentials import Configured, Credentials
from .execute import Executor
from .hub import AccountParts, Hub
from .landing import LandingCheck
from .logbook import Logbook
from .memory_file import MemoryFile, Saved
from .poller import Poller
from .polling import PollPolicy
from .ports import Publisher
from .push import PushSource
from .secrets_file import SecretsFile, fingerprint
from .session_book import SessionBook
from .timers import Scheduler

USER_AGENT = f"ampeco-ev-charger-appdaemon/{__version__}"


@dataclass(frozen=True)
class Shared:
    """What every account is made with."""

    config: RuntimeConfig
    hub: Hub
    http: aiohttp.ClientSession
    scheduler: Scheduler
    logbook: Logbook
    memory: MemoryFile
    limiter: asyncio.Semaphore
    policy: PollPolicy
    secrets: SecretsFile | None
    rand: Callable[[], float]


def build_hub(
    config: RuntimeConfig,
    publisher: Publisher,
    *,
    http: aiohttp.ClientSession,
    scheduler: Scheduler,
    logbook: Logbook,
    memory: MemoryFile,
    book: SessionBook,
    secrets: Path | None = None,
    rand: Callable[[], float] = random.random,
) -> Hub:
    """The hub with every account of `config`; `secrets`: the host's secrets file (apps.yaml may name another)."""
    hub = Hub(
        publisher,
        memory=memory,
        book=book,
        scheduler=scheduler,
        logbook=logbook,
        unavailable_after=config.unavailable_after,
    )
    secrets_path = Path(config.secrets_file) if config.secrets_file else secrets
    shared = Shared(
        config=config,
        hub=hub,
        http=http,
        scheduler=scheduler,
        logbook=logbook,
        memory=memory,
        limiter=asyncio.Semaphore(config.max_concurrent_requests),
        policy=PollPolicy(
            charging_interval=config.charging_interval,
            idle_interval=config.idle_interval,
            relaxed_interval=config.push_idle_interval,
        ),
        secrets=SecretsFile(secrets_path) if secrets_path is not None else None,
        rand=rand,
    )
    # What the app learnt about each tenant (host), shared by its accounts and kept across restarts.
    tenants: dict[str, Tenant] = {}
    for account in config.accounts:
        tenant = tenants.get(account.api_host)
        if tenant is None:
            tenant = tenants[account.api_host] = Tenant()
            memory.keep(("tenants", account.api_host), tenant.to_dict, functools.partial(_restore_tenant, tenant))
        chargers = [c for c in config.chargers if c.account.key == account.key]
        hub.add(build_account(account, chargers, tenant, shared))
    return hub


def build_account(config: AccountConfig, chargers: list[ChargerConfig], tenant: Tenant, shared: Shared) -> AccountParts:
    """One account's client, credentials, chargers, poller, live updates, landing check and executor."""
    scheduler, logbook, memory = shared.scheduler, shared.logbook, shared.memory
    transport = Transport(
        shared.http,
        config.api_host,
        timeout=shared.config.request_timeout,
        limiter=shared.limiter,
        on_request=functools.partial(_log_request, logbook),
        clock=scheduler.now,
        user_agent=USER_AGENT,
        longest_wait=shared.policy.max_backoff,
    )
    credentials = Credentials(
        Configured(config.auth_token, config.refresh_token, config.client),
        logbook,
        scheduler.now,
        grant=TokenEndpoint(transport).grant,
        saved=memory.save,
        secrets=shared.secrets,
    )
    units = {c.chargepoint_id: c.units for c in chargers}
    client = AmpecoClient(
        transport,
        credentials,
        tenant=tenant,
        units=lambda chargepoint_id: units.get(chargepoint_id or "", config.units),
        on_oddity=functools.partial(note_oddity, logbook),
    )
    key = _account_key(config, chargers)
    memory.keep(("accounts", key), credentials.snapshot, credentials.restore)
    discover = None if chargers else functools.partial(_discovered, config, memory)
    account = Account(
        client,
        [_charger(c, memory) for c in chargers],
        credentials=credentials,
        logbook=logbook,
        clock=scheduler.now,
        discover=discover,
    )
    memory.keep(("accounts", key, "session_log"), lambda: account.log_filled, functools.partial(_filled, account))
    poller = Poller(
        account,
        shared.policy,
        scheduler,
        unavailable_after=shared.config.unavailable_after,
        on_expiry=shared.hub.show,
        rand=shared.rand,
    )
    push = None
    if shared.config.push:
        push = PushSource(
            account,
            poller,
            shared.http,
            logbook,
            on_change=functools.partial(shared.hub.show, account),
            wall=scheduler.now,
            rand=shared.rand,
        )
    landing = LandingCheck(account, scheduler)
    executor = Executor(
        client, account, poller, landing, fresh_within=shared.config.charging_interval, learnt=memory.save
    )
    return AccountParts(account, poller, landing, executor, push)


def _charger(config: ChargerConfig, memory: MemoryFile) -> Charger:
    """A charger, and its part of the memory file."""
    charger = Charger(config)
    memory.keep(("chargers", charger.id), charger.snapshot, charger.restore)
    return charger


def _discovered(account: AccountConfig, memory: MemoryFile, chargepoint_id: str) -> Charger:
    """A charger found on an account whose chargers are not listed in apps.yaml: the account's defaults."""
    config = ChargerConfig(
        chargepoint_id=chargepoint_id, account=account, units=account.units, max_current=account.max_current
    )
    return _charger(config, memory)


def _filled(account: Account, saved: Saved) -> None:
    account.log_filled = saved.value is True


def _restore_tenant(tenant: Tenant, saved: Saved) -> None:
    tenant.restore(saved.value)


def _account_key(config: AccountConfig, chargers: list[ChargerConfig]) -> str:
    """An account as the memory file knows it: its host and chargers (its token changes when renewed); an
    account whose chargers are discovered, by its host and the token it was given."""
    if chargers:
        return " ".join([config.api_host, *sorted(c.chargepoint_id for c in chargers)])
    return f"{config.api_host} {fingerprint(config.auth_token)}"


def _log_request(logbook: Logbook, record: RequestRecord) -> None:
    outcome = record.error or record.status
    logbook(f"{record.method} {record.path} -> {outcome} in {record.seconds * 1000:.0f} ms", "DEBUG")
