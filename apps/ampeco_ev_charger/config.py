"""apps.yaml -> a validated, typed configuration, or one ConfigError naming the key at fault.

Every key is one row of `KEYS` (its name, where it may stand, its default and limits, what it means): the
parser reads by the rows, and the documentation's configuration table is generated from them. Nothing starts
half-configured: the whole configuration is checked before the app does anything.
"""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from .ampeco import ENERGY_UNITS, POWER_UNITS, ClientCredentials, Units, canonical_unit
from .const import DEFAULT_API_HOST, entity_id, slugify
from .homeassistant.mqtt.config import MqttConfig, parse_mqtt_config
from .homeassistant.mqtt.discovery import SMART_MODE_KEY
from .runtime.commands import MAX_CURRENT_A, MIN_CURRENT_A
from .runtime.config import AccountConfig, ChargerConfig, RuntimeConfig
from .smart import SmartConfig, parse_smart_config
from .validate import ConfigError, entity, flag, has_control_characters, number, path, text, unknown_keys

Where = Literal["top", "charger", "both"]


@dataclass(frozen=True, kw_only=True)
class Key:
    """One apps.yaml key: `where` it may stand (the top level, a `chargers` entry, or both), its default as the
    documentation shows it, its limits where it is a number, and what it means."""

    name: str
    where: Where
    meaning: str
    default: str = "-"
    low: float | None = None
    high: float | None = None
    unit: str = ""

    def number(self, args: Mapping[str, object], value_default: float, *, whole: bool = False, at: str = "") -> float:
        assert self.low is not None
        assert self.high is not None
        return number(args, self.name, at, value_default, self.low, self.high, whole=whole, unit=self.unit)


R = RuntimeConfig  # its defaults are the app's: the rows show them, the parser uses them
KEYS: tuple[Key, ...] = (
    Key(name="auth_token", where="both", default="required", meaning="your AMPECO token; use `!secret ampeco_token`"),
    Key(
        name="api_host",
        where="both",
        default=f"`{DEFAULT_API_HOST}`",
        meaning="your vendor's AMPECO host, e.g. `https://megatel.eu.charge.ampeco.tech` (a bare host name gets "
        "`https://`; `http://` only for loopback; no user or password in it)",
    ),
    Key(
        name="chargers",
        where="top",
        default="every charger on the account",
        meaning="a list of chargers, each a mapping of the per-charger keys; left out, every home charger on the "
        "account is watched (at most 50), one added to the account comes by itself, and one removed goes once "
        "three lists in a row lack it",
    ),
    Key(
        name="chargepoint_id",
        where="both",
        default="required",
        meaning="the charge point's id; at the top level (with `charger_name`, `evse_id`, `units`, ...) instead of "
        "a `chargers` list, for a single charger",
    ),
    Key(
        name="name",
        where="charger",
        default="the name in the vendor app, else `AMPECO Charger <id>`",
        meaning="names the charger's entities: `<name> Charging Energy`",
    ),
    Key(
        name="charger_name",
        where="top",
        default="the name in the vendor app, else `AMPECO Charger <id>`",
        meaning="the single charger's name in the top-level form (AppDaemon keeps a top-level `name` for itself)",
    ),
    Key(
        name="evse_id",
        where="both",
        default="the first EVSE",
        meaning="which socket: its EVSE `id` or printed `identifier`",
    ),
    Key(
        name="units",
        where="both",
        default="`{power: W, energy: Wh}`",
        meaning="what your vendor's API sends; `{power: kW, energy: kWh}` if the sensors show values 1000 times "
        "too small; at the top level, for every charger that does not give its own",
    ),
    Key(
        name="max_current",
        where="both",
        default="the charger's own range",
        low=MIN_CURRENT_A,
        high=MAX_CURRENT_A,
        unit="A",
        meaning="caps every start and current change for the charger (whole amps); at the top level, for every "
        "charger that does not give its own",
    ),
    Key(
        name="refresh_token",
        where="both",
        meaning="with `client_id` and `client_secret` (all three or none): the refresh grant where your vendor hands "
        "out refresh tokens; use `!secret`",
    ),
    Key(name="client_id", where="both", meaning="the vendor app's OAuth client id (with `refresh_token`)"),
    Key(name="client_secret", where="both", meaning="the vendor app's OAuth client secret (with `refresh_token`)"),
    Key(name="charging_switch", where="both", meaning="an `input_boolean` helper that starts and stops charging"),
    Key(name="current_limit", where="both", meaning="an `input_number` helper that sets the current limit"),
    Key(
        name="smart_charging",
        where="both",
        meaning="solar, cheapest-hours and now modes; with `mqtt:` just `true` gives the device a mode select",
    ),
    Key(
        name="charging_interval",
        where="top",
        default=f"`{R.charging_interval:g}`",
        low=5,
        high=3600,
        unit="seconds",
        meaning="seconds between polls while a session may be running",
    ),
    Key(
        name="idle_interval",
        where="top",
        default=f"`{R.idle_interval:g}`",
        low=5,
        high=86400,
        unit="seconds",
        meaning="seconds between polls otherwise (not shorter than `charging_interval`)",
    ),
    Key(
        name="request_timeout",
        where="top",
        default=f"`{R.request_timeout:g}`",
        low=1,
        high=120,
        unit="seconds",
        meaning="seconds before a request to the cloud counts as failed",
    ),
    Key(
        name="unavailable_after",
        where="top",
        default=f"`{R.unavailable_after:g}`",
        low=0,
        high=7 * 86400,
        unit="seconds",
        meaning="while the cloud fails, seconds the last reading is still shown (`stale: true`) before sensors turn "
        "`unavailable`",
    ),
    Key(
        name="max_concurrent_requests",
        where="top",
        default=f"`{R.max_concurrent_requests}`",
        low=1,
        high=100,
        meaning="requests in flight at once across all accounts",
    ),
    Key(
        name="state_file",
        where="top",
        default="`<AppDaemon config>/<app name>.state.json`",
        meaning="where the app keeps its memory across restarts (readable by its owner only: it may hold a renewed "
        "token)",
    ),
    Key(
        name="secrets_file",
        where="top",
        default="`<AppDaemon config>/secrets.yaml`",
        meaning="where the app looks for a token you replaced",
    ),
    Key(
        name="push",
        where="top",
        default="`true`",
        meaning="live updates from your vendor's broadcast server, where it has one; `false` turns them off",
    ),
    Key(
        name="push_idle_interval",
        where="top",
        default=f"`{R.push_idle_interval:g}`",
        low=60,
        high=86400,
        unit="seconds",
        meaning="seconds between polls of an idle charger while live updates flow (not shorter than `idle_interval`)",
    ),
    Key(
        name="mqtt",
        where="top",
        meaning="`true` (or a mapping of options) makes each charger a Home Assistant device through MQTT discovery",
    ),
)
KEY = {key.name: key for key in KEYS}
TOP_LEVEL_KEYS = frozenset(k.name for k in KEYS if k.where in ("top", "both"))
CHARGER_KEYS = frozenset(k.name for k in KEYS if k.where in ("charger", "both"))
# The account's credentials: a charger entry may give its own (a charger on another account).
ACCOUNT_KEYS = frozenset({"auth_token", "refresh_token", "client_id", "client_secret", "api_host"})
# What only a known charger can have: its helpers and smart charging.
NEEDS_A_CHARGER = ("charging_switch", "current_limit", "smart_charging", "evse_id")
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


@dataclass(frozen=True, kw_only=True)
class ChargerExtras:
    """What Home Assistant and smart charging add to a configured charger."""

    charging_switch: str | None = None  # an input_boolean that starts and stops charging
    current_limit: str | None = None  # an input_number for the current limit
    smart: SmartConfig | None = None


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    runtime: RuntimeConfig
    extras: Mapping[str, ChargerExtras] = field(default_factory=dict)  # by chargepoint id
    # Chargers as Home Assistant devices through MQTT discovery, instead of set_state.
    mqtt: MqttConfig | None = None
    warnings: tuple[str, ...] = ()

    @property
    def chargers(self) -> tuple[ChargerConfig, ...]:
        return self.runtime.chargers


def normalise_host(value: object, key: str) -> str:
    """`https://host[:port][/path]` without a trailing slash; http only on loopback (tokens travel in it)."""
    host = text(value, key, required=True) or ""
    if " " in host or has_control_characters(host):
        raise ConfigError(key, "must be a URL without spaces or control characters")
    if "://" not in host:
        host = f"https://{host}"
    parts = _split(host, key)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(key, "must not hold a user name or password (the token is the only credential sent)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, f"must be an https:// URL such as {DEFAULT_API_HOST}, got {host[:80]!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            key, "must use https:// (http:// would send your token in clear text; only loopback hosts may use http)"
        )
    path = re.sub(r"/api/v1/?$", "", parts.path.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{path}"


def _split(host: str, key: str) -> SplitResult:
    """The URL's parts; a bad port is refused here, where it would otherwise be retried for ever as unreachable.
    Neither error repeats the URL: it may hold a password."""
    try:
        parts = urlsplit(host)
    except ValueError:
        raise ConfigError(key, "must be an https:// URL; its [IPv6 address] is not closed with `]`") from None
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        port = 0
    if port == 0:
        raise ConfigError(key, "has a port that is not a number from 1 to 65535")
    return parts


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
        raise ConfigError(f"{key}.{min(map(str, unknown))}", "is not a unit setting (use power and energy)")
    power = canonical_unit(str(value.get("power", "W")), POWER_UNITS)
    if power is None:
        raise ConfigError(f"{key}.power", f"must be W or kW, got {value.get('power')!r}")
    energy = canonical_unit(str(value.get("energy", "Wh")), ENERGY_UNITS)
    if energy is None:
        raise ConfigError(f"{key}.energy", f"must be Wh or kWh, got {value.get('energy')!r}")
    return Units(power=power, energy=energy)


def _max_current(entry: Mapping[str, Any], where: str) -> int | None:
    if entry.get("max_current") is None:
        return None
    return int(KEY["max_current"].number(entry, MAX_CURRENT_A, whole=True, at=where))


def _own_or_default(
    entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any], key: str
) -> tuple[Mapping[str, Any], str]:
    """Where a charger's `key` is read: its own entry when it gives one, else the top level (for every charger)."""
    return (entry, where) if key in entry else (defaults, "")


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _account(entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any]) -> AccountConfig:
    """The account a charger is on: its own `auth_token`/`api_host` where it gives them, else the top level's."""
    token_key = _key(where, "auth_token") if "auth_token" in entry else "auth_token"
    token = text(entry.get("auth_token", defaults.get("auth_token")), token_key)
    if token is None:
        raise ConfigError(token_key, "is missing: put `auth_token: !secret ampeco_token` in apps.yaml")
    host_key = _key(where, "api_host") if "api_host" in entry else "api_host"
    refresh_token, client = _refresh_grant(entry, where, defaults)
    return AccountConfig(
        api_host=normalise_host(entry.get("api_host", defaults.get("api_host", DEFAULT_API_HOST)), host_key),
        auth_token=token,
        refresh_token=refresh_token,
        client=client,
    )


def _charger(
    entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any], warnings: list[str], mqtt: bool
) -> tuple[ChargerConfig, ChargerExtras]:
    """One charger; `where` is its apps.yaml path ("chargers[0]", or "" for the top-level form)."""
    if where:
        warnings.extend(unknown_keys(entry, CHARGER_KEYS, where))
    chargepoint_id = text(entry.get("chargepoint_id"), _key(where, "chargepoint_id"), required=True) or ""
    own_select = entity_id(slugify(chargepoint_id), SMART_MODE_KEY, "select") if mqtt else None
    name_key = "name" if where else "charger_name"
    units_in, units_at = _own_or_default(entry, where, defaults, "units")
    config = ChargerConfig(
        chargepoint_id=chargepoint_id,
        account=_account(entry, where, defaults),
        name=text(entry.get(name_key), _key(where, name_key)),
        evse_id=text(entry.get("evse_id"), _key(where, "evse_id")),
        units=_units(units_in.get("units"), _key(units_at, "units")),
        max_current=_max_current(*_own_or_default(entry, where, defaults, "max_current")),
    )
    extras = ChargerExtras(
        charging_switch=entity(entry.get("charging_switch"), _key(where, "charging_switch"), ("input_boolean",)),
        current_limit=entity(entry.get("current_limit"), _key(where, "current_limit"), ("input_number",)),
        smart=parse_smart_config(entry.get("smart_charging"), _key(where, "smart_charging"), warnings, own_select),
    )
    return config, extras


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
    """The configured chargers' entries; none when the account's chargers are to be discovered."""
    chargers = args.get("chargers")
    if chargers is None:
        return _top_level_entry(args)
    if "chargepoint_id" in args:
        raise ConfigError("chargepoint_id", "give either a top-level chargepoint_id or a `chargers` list, not both")
    for key in (*NEEDS_A_CHARGER, "charger_name"):
        if key in args:
            raise ConfigError(key, "belongs to one charger: with a `chargers` list, put it in that charger's entry")
    if not isinstance(chargers, list) or not chargers:
        raise ConfigError(
            "chargers", "must be a list with at least one entry like `- chargepoint_id: QNG0C18010` (or leave it out)"
        )
    entries = []
    for index, entry in enumerate(chargers):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"chargers[{index}]", "must be a mapping with at least `chargepoint_id`")
        entries.append((f"chargers[{index}]", entry))
    return entries


def _top_level_entry(args: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The single charger of the top-level form; none (every charger found) without a `chargepoint_id`."""
    if "chargepoint_id" in args:
        return [("", {k: args[k] for k in CHARGER_KEYS - ACCOUNT_KEYS | {"charger_name"} if k in args})]
    for key in NEEDS_A_CHARGER:
        if key in args:
            raise ConfigError(key, "belongs to a charger: give `chargepoint_id` (or a `chargers` list) with it")
    return []


def parse_config(args: Mapping[str, Any]) -> AppConfig:
    """Validate AppDaemon's `self.args`; raises ConfigError on the first mistake."""
    warnings = unknown_keys(args, TOP_LEVEL_KEYS | APPDAEMON_KEYS)
    mqtt = parse_mqtt_config(args.get("mqtt"), str(args.get("name") or ""), warnings)
    parsed = [_charger(entry, where, args, warnings, mqtt is not None) for where, entry in _charger_entries(args)]
    chargers = [config for config, _extras in parsed]
    _check_unique(chargers)
    discover: tuple[AccountConfig, ...] = ()
    if not chargers:
        account = _account(args, "", args)
        discover = (
            AccountConfig(
                api_host=account.api_host,
                auth_token=account.auth_token,
                refresh_token=account.refresh_token,
                client=account.client,
                units=_units(args.get("units"), "units"),
                max_current=_max_current(args, ""),
            ),
        )
    charging = KEY["charging_interval"].number(args, R.charging_interval)
    idle = KEY["idle_interval"].number(args, R.idle_interval)
    if idle < charging:
        raise ConfigError("idle_interval", f"must not be shorter than charging_interval ({charging:g} s)")
    relaxed = KEY["push_idle_interval"].number(args, max(R.push_idle_interval, idle))
    if relaxed < idle:
        raise ConfigError("push_idle_interval", f"must not be shorter than idle_interval ({idle:g} s)")
    runtime = RuntimeConfig(
        chargers=tuple(chargers),
        discover=discover,
        charging_interval=charging,
        idle_interval=idle,
        request_timeout=KEY["request_timeout"].number(args, R.request_timeout),
        unavailable_after=KEY["unavailable_after"].number(args, R.unavailable_after),
        max_concurrent_requests=int(KEY["max_concurrent_requests"].number(args, R.max_concurrent_requests, whole=True)),
        state_file=path(args.get("state_file"), "state_file"),
        secrets_file=path(args.get("secrets_file"), "secrets_file"),
        push=flag(args, "push", R.push),
        push_idle_interval=relaxed,
    )
    extras = {config.chargepoint_id: extra for config, extra in parsed}
    return AppConfig(runtime=runtime, extras=extras, mqtt=mqtt, warnings=tuple(warnings))


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
