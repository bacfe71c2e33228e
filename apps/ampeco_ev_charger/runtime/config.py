"""What the runtime is given: the chargers to watch, the accounts they are on, and its cadences.

Plain, validated values (the app's `config.py` makes them from apps.yaml); nothing of Home Assistant here.
"""

from dataclasses import dataclass, field

from ..ampeco import ClientCredentials, Units
from ..const import slugify


@dataclass(frozen=True, kw_only=True)
class AccountConfig:
    """One AMPECO account: its host and token, and the refresh grant where the tenant hands one out."""

    api_host: str
    auth_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client: ClientCredentials | None = None
    # For the chargers found on the account (no `chargers:` list): what they send, and a cap on the current.
    units: Units = Units()
    max_current: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Chargers with the same host and token are one account and share one poll request."""
        return (self.api_host, self.auth_token)


@dataclass(frozen=True, kw_only=True)
class ChargerConfig:
    chargepoint_id: str
    account: AccountConfig
    name: str | None = None
    evse_id: str | None = None
    units: Units = Units()
    max_current: int | None = None  # a cap on every start and current change, below the charger's own range

    @property
    def slug(self) -> str:
        return slugify(self.chargepoint_id)

    @property
    def api_host(self) -> str:
        return self.account.api_host


@dataclass(frozen=True, kw_only=True)
class RuntimeConfig:
    chargers: tuple[ChargerConfig, ...] = ()
    # Accounts whose every home charger is watched, as the cloud lists them (no `chargers:` given).
    discover: tuple[AccountConfig, ...] = ()
    charging_interval: float = 30.0
    idle_interval: float = 300.0
    request_timeout: float = 15.0
    unavailable_after: float = 900.0
    max_concurrent_requests: int = 10
    state_file: str | None = None
    secrets_file: str | None = None
    # Live updates from the tenant's broadcast server where it has one; while they flow, idle polls relax.
    push: bool = True
    push_idle_interval: float = 1800.0

    @property
    def accounts(self) -> tuple[AccountConfig, ...]:
        """Every account, once: those of the configured chargers, then those to discover."""
        found: dict[tuple[str, str], AccountConfig] = {}
        for account in (*(c.account for c in self.chargers), *self.discover):
            found.setdefault(account.key, account)
        return tuple(found.values())

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential given, to be redacted wherever text leaves the app."""
        found = [(a.auth_token, a.refresh_token, a.client.client_secret if a.client else None) for a in self.accounts]
        return tuple(sorted({secret for triple in found for secret in triple if secret}))
