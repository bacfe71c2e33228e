"""apps.yaml -> a validated, typed configuration, or one ConfigError naming the key at fault.

Nothing starts half-configured: the whole configuration is checked before the app does anything.
"""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .ampeco import ENERGY_UNITS, POWER_UNITS, ClientCredentials, Units, canonical_unit
from .const import entity_id, slugify
from .homeassistant.mqtt.config import MqttConfig, parse_mqtt_config
from .smart import SmartConfig, parse_smart_config
from .validate import ConfigError, entity, flag, number, text

DEFAULT_API_HOST = "https://app.ampeco.global"
# The select the app offers for the smart charging mode, with MQTT.
SMART_MODE_KEY = "smart_charging_mode"

# Keys AppDaemon itself puts into (or reads from) an app's arguments.
APPDAEMON_KEYS = frozenset(
    {
        "name",
        "config_path",
        "module",
        "class",
        "dependencies",
        "disable",
        "priority",
        "pin_app",
        "pin_thread",
        "log",
        "log_level",
        "global",
        "plugins",
    }
)
# What a charger entry may hold; the single-charger form may give these (but for the account) at the top.
CHARGER_KEYS = frozenset(
    {
        "chargepoint_id",
        "name",
        "evse_id",
        "units",
        "auth_token",
        "refresh_token",
        "client_id",
        "client_secret",
        "api_host",
        "charging_switch",
        "current_limit",
        "smart_charging",
    }
)
TOP_LEVEL_KEYS = CHARGER_KEYS | {
    "chargers",
    "charging_interval",
    "idle_interval",
    "request_timeout",
    "unavailable_after",
    "max_concurrent_requests",
    "state_file",
    "secrets_file",
    "push",
    "push_idle_interval",
    "mqtt",
}
# The account's credentials: a charger entry may give its own (a charger on another account).
ACCOUNT_KEYS = frozenset({"auth_token", "refresh_token", "client_id", "client_secret", "api_host"})


@dataclass(frozen=True)
class ChargerConfig:
    chargepoint_id: str
    api_host: str
    auth_token: str = field(repr=False)
    # The refresh grant, where the tenant hands out refresh tokens (all three, or none).
    refresh_token: str | None = field(default=None, repr=False)
    client: ClientCredentials | None = None
    name: str | None = None
    evse_id: str | None = None
    units: Units = Units()
    # Dashboard controls the user created as helpers: charging on/off, and the current limit.
    charging_switch: str | None = None
    current_limit: str | None = None
    smart: SmartConfig | None = None

    @property
    def slug(self) -> str:
        return slugify(self.chargepoint_id)

    @property
    def account(self) -> tuple[str, str]:
        """Chargers with the same host and token are one account and share one poll request."""
        return (self.api_host, self.auth_token)


@dataclass(frozen=True)
class AppConfig:
    chargers: tuple[ChargerConfig, ...]
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
    # Chargers as Home Assistant devices through MQTT discovery, instead of set_state.
    mqtt: MqttConfig | None = None
    warnings: tuple[str, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential given, to be redacted wherever text leaves the app."""
        found = [(c.auth_token, c.refresh_token, c.client.client_secret if c.client else None) for c in self.chargers]
        return tuple({secret for triple in found for secret in triple if secret})


def normalise_host(value: object, key: str) -> str:
    """`https://host[:port][/path]` without a trailing slash; http only on loopback (tokens travel in it)."""
    host = text(value, key, required=True) or ""
    if "://" not in host:
        host = f"https://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, f"must be an https:// URL such as {DEFAULT_API_HOST}, got {host!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            key, "must use https:// (http:// would send your token in clear text; only loopback hosts may use http)"
        )
    path = re.sub(r"/api/v1/?$", "", parts.path.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _units(value: object, key: str) -> Units:
    if value is None:
        return Units()
    if not isinstance(value, Mapping):
        raise ConfigError(key, "must be a mapping like {power: W, energy: Wh}")
    unknown = set(value) - {"power", "energy"}
    if unknown:
        raise ConfigError(f"{key}.{min(unknown)}", "is not a unit setting (use power and energy)")
    power = canonical_unit(str(value.get("power", "W")), POWER_UNITS)
    if power is None:
        raise ConfigError(f"{key}.power", f"must be W or kW, got {value.get('power')!r}")
    energy = canonical_unit(str(value.get("energy", "Wh")), ENERGY_UNITS)
    if energy is None:
        raise ConfigError(f"{key}.energy", f"must be Wh or kWh, got {value.get('energy')!r}")
    return Units(power=power, energy=energy)


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _charger(
    entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any], warnings: list[str], mqtt: bool
) -> ChargerConfig:
    """One charger; `where` is its apps.yaml path ("chargers[0]", or "" for the top-level form)."""
    if where:
        warnings.extend(f"unknown key `{where}.{key}` ignored" for key in sorted(set(entry) - CHARGER_KEYS))
    token_key = _key(where, "auth_token") if "auth_token" in entry else "auth_token"
    token = text(entry.get("auth_token", defaults.get("auth_token")), token_key)
    if token is None:
        raise ConfigError(token_key, "is missing: put `auth_token: !secret ampeco_token` in apps.yaml")
    host_key = _key(where, "api_host") if "api_host" in entry else "api_host"
    refresh_token, client = _refresh_grant(entry, where, defaults)
    chargepoint_id = text(entry.get("chargepoint_id"), _key(where, "chargepoint_id"), required=True) or ""
    own_select = entity_id(slugify(chargepoint_id), SMART_MODE_KEY, "select") if mqtt else None
    return ChargerConfig(
        chargepoint_id=chargepoint_id,
        api_host=normalise_host(entry.get("api_host", defaults.get("api_host", DEFAULT_API_HOST)), host_key),
        auth_token=token,
        refresh_token=refresh_token,
        client=client,
        name=text(entry.get("name"), _key(where, "name")),
        evse_id=text(entry.get("evse_id"), _key(where, "evse_id")),
        units=_units(entry.get("units"), _key(where, "units")),
        charging_switch=entity(entry.get("charging_switch"), _key(where, "charging_switch"), ("input_boolean",)),
        current_limit=entity(entry.get("current_limit"), _key(where, "current_limit"), ("input_number",)),
        smart=parse_smart_config(entry.get("smart_charging"), _key(where, "smart_charging"), warnings, own_select),
    )


def _refresh_grant(
    entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any]
) -> tuple[str | None, ClientCredentials | None]:
    """refresh_token, client_id and client_secret: all three, or none. They go with the token: from the charger's
    entry when it gives a token or any of them, else from the top level."""
    names = ("refresh_token", "client_id", "client_secret")
    source = entry if any(name in entry for name in (*names, "auth_token")) else defaults
    keys = {name: _key(where, name) if source is entry else name for name in names}
    values = {name: text(source.get(name), keys[name]) for name in names}
    if not any(values.values()):
        return None, None
    for name in names:
        if values[name] is None:
            given = ", ".join(f"`{n}`" for n in names if values[n])
            raise ConfigError(
                keys[name],
                f"is missing: {given} renew the token only together with all three "
                "(refresh_token, client_id and client_secret)",
            )
    refresh, client_id, secret = (values[name] or "" for name in names)
    return refresh, ClientCredentials(client_id, secret)


def _charger_entries(args: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    chargers = args.get("chargers")
    if chargers is not None and "chargepoint_id" in args:
        raise ConfigError("chargepoint_id", "give either a top-level chargepoint_id or a `chargers` list, not both")
    if chargers is None:
        if "chargepoint_id" not in args:
            raise ConfigError("chargers", "no charger configured: add `chargers:` with at least one `chargepoint_id`")
        return [("", {k: args[k] for k in CHARGER_KEYS - ACCOUNT_KEYS if k in args})]
    if not isinstance(chargers, list) or not chargers:
        raise ConfigError("chargers", "must be a list with at least one entry like `- chargepoint_id: QNG0C18010`")
    entries = []
    for index, entry in enumerate(chargers):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"chargers[{index}]", "must be a mapping with at least `chargepoint_id`")
        entries.append((f"chargers[{index}]", entry))
    return entries


def parse_config(args: Mapping[str, Any]) -> AppConfig:
    """Validate AppDaemon's `self.args`; raises ConfigError on the first mistake."""
    warnings = [f"unknown key `{key}` ignored" for key in sorted(set(args) - TOP_LEVEL_KEYS - APPDAEMON_KEYS)]
    mqtt = parse_mqtt_config(args.get("mqtt"), str(args.get("name") or ""), warnings)
    chargers = [_charger(entry, where, args, warnings, mqtt is not None) for where, entry in _charger_entries(args)]
    _check_unique(chargers)
    charging = number(args, "charging_interval", "", 30, 5, 3600, unit="seconds")
    idle = number(args, "idle_interval", "", 300, 5, 86400, unit="seconds")
    if idle < charging:
        raise ConfigError("idle_interval", f"must not be shorter than charging_interval ({charging:g} s)")
    state_file = text(args.get("state_file"), "state_file")
    secrets_file = text(args.get("secrets_file"), "secrets_file")
    relaxed = number(args, "push_idle_interval", "", max(1800, idle), 60, 86400, unit="seconds")
    if relaxed < idle:
        raise ConfigError("push_idle_interval", f"must not be shorter than idle_interval ({idle:g} s)")
    return AppConfig(
        chargers=tuple(chargers),
        charging_interval=charging,
        idle_interval=idle,
        request_timeout=number(args, "request_timeout", "", 15, 1, 120, unit="seconds"),
        unavailable_after=number(args, "unavailable_after", "", 900, 0, 7 * 86400, unit="seconds"),
        max_concurrent_requests=int(number(args, "max_concurrent_requests", "", 10, 1, 100, whole=True)),
        state_file=state_file,
        secrets_file=secrets_file,
        push=flag(args, "push", True),
        push_idle_interval=relaxed,
        mqtt=mqtt,
        warnings=tuple(warnings),
    )


def _check_unique(chargers: list[ChargerConfig]) -> None:
    seen: dict[str, str] = {}
    for index, charger in enumerate(chargers):
        previous = seen.get(charger.slug)
        if previous is not None:
            problem = (
                f"{charger.chargepoint_id!r} is configured twice"
                if previous == charger.chargepoint_id
                else f"{charger.chargepoint_id!r} and {previous!r} would share the entity ids of slug {charger.slug!r}"
            )
            raise ConfigError(f"chargers[{index}].chargepoint_id", problem)
        seen[charger.slug] = charger.chargepoint_id
