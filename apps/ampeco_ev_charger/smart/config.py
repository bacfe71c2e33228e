"""A charger's `smart_charging:` entry in apps.yaml -> a validated SmartConfig, or a ConfigError naming the key.

Only the shape is checked here. Which inputs a mode needs is known only once the user picks that mode in
Home Assistant, so a mode chosen without its inputs is a reason on the smart charging sensor, not a
configuration error that would keep the whole app from starting.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from ..runtime.commands import MAX_CURRENT_A, MIN_CURRENT_A
from ..validate import ConfigError, entity, number, unknown_keys

# The custom Nordpool integration keeps today's and tomorrow's prices in these two attributes.
NORDPOOL_ATTRIBUTES = ("raw_today", "raw_tomorrow")

# Entity domains each key accepts: the helper the issue names, and its integration-made twin.
ENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "mode_entity": ("input_select", "select"),
    "grid_power_entity": ("sensor",),
    "battery_power_entity": ("sensor",),
    "price_entity": ("sensor", "event"),  # Octopus Energy puts its rates on event entities
    "departure_entity": ("input_datetime",),
    "target_energy_entity": ("input_number", "number"),
}
KEYS = frozenset(ENTITY_KEYS) | {
    "price_attribute",
    "voltage",
    "phases",
    "start_delay",
    "stop_delay",
    "min_change_interval",
    "max_current",
}


@dataclass(frozen=True)
class SmartConfig:
    mode_entity: str
    grid_power_entity: str | None = None
    battery_power_entity: str | None = None
    price_entity: str | None = None
    price_attributes: tuple[str, ...] = NORDPOOL_ATTRIBUTES
    departure_entity: str | None = None
    target_energy_entity: str | None = None
    voltage: float = 230.0
    phases: int = 3
    start_delay: float = 60.0
    stop_delay: float = 180.0
    min_change_interval: float = 300.0
    # A cap below the charger's own maximum (a weak house connection, a 16 A car).
    max_current: int | None = None
    # The mode is the app's own select (MQTT discovery), which `mode_entity` names.
    mode_select: bool = False

    @property
    def entities(self) -> tuple[str, ...]:
        """Every entity the decisions read: the app decides again whenever one of them changes."""
        return tuple(getattr(self, key) for key in ENTITY_KEYS if getattr(self, key) is not None)

    @property
    def watts_per_amp(self) -> float:
        return self.voltage * self.phases


def parse_smart_config(
    value: object, key: str, warnings: list[str], own_select: str | None = None
) -> SmartConfig | None:
    """Validate one charger's `smart_charging` (`key` is its apps.yaml path); None when it is not set.
    `own_select`: the select the app offers for the mode (with MQTT), used unless `mode_entity` names another."""
    if value is None:
        return None
    if value is True and own_select is not None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError(key, "must be a mapping with at least `mode_entity: input_select.ev_mode`")
    warnings.extend(unknown_keys(value, KEYS, key))

    def entity_of(name: str) -> str | None:
        return entity(value.get(name), f"{key}.{name}", ENTITY_KEYS[name])

    mode_entity = entity_of("mode_entity") or own_select
    if mode_entity is None:
        raise ConfigError(f"{key}.mode_entity", "is missing: name the input_select that chooses the mode")
    return SmartConfig(
        mode_entity=mode_entity,
        mode_select=mode_entity == own_select,
        grid_power_entity=entity_of("grid_power_entity"),
        battery_power_entity=entity_of("battery_power_entity"),
        price_entity=entity_of("price_entity"),
        departure_entity=entity_of("departure_entity"),
        target_energy_entity=entity_of("target_energy_entity"),
        price_attributes=_attributes(value.get("price_attribute"), f"{key}.price_attribute"),
        voltage=number(value, "voltage", key, 230, 100, 400),
        phases=int(number(value, "phases", key, 3, 1, 3, whole=True)),
        start_delay=number(value, "start_delay", key, 60, 0, 3600),
        stop_delay=number(value, "stop_delay", key, 180, 0, 3600),
        min_change_interval=number(value, "min_change_interval", key, 300, 0, 3600),
        max_current=(
            None
            if value.get("max_current") is None
            else int(number(value, "max_current", key, MAX_CURRENT_A, MIN_CURRENT_A, MAX_CURRENT_A, whole=True))
        ),
    )


def _attributes(value: object, key: str) -> tuple[str, ...]:
    """One attribute name, or a list of them read one after the other (like `[today, tomorrow]`)."""
    if value is None:
        return NORDPOOL_ATTRIBUTES
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(key, f"must be an attribute name, or a list of them, like raw_today; got {value!r}")
    return tuple(n.strip() for n in names)
