"""Home Assistant states -> the inputs of one decision, read tolerantly.

The app passes each configured entity's state as AppDaemon's `get_state(entity_id, attribute="all")`
returns it (`{"state": ..., "attributes": {...}}`), or None. An unavailable entity, or a value that
cannot be used, becomes None (or no prices): the decision then says which input is missing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from ..ampeco import to_number
from .config import SmartConfig
from .prices import PriceSlot, on_calendar, parse_prices

HaState = Mapping[str, Any]
POWER_UNITS = {"w": 1.0, "kw": 1000.0, "mw": 1_000_000.0}
# A house's grid or battery power is kW; past a gigawatt a reading is a glitch (or a unit gone wrong), and
# acting on it would turn the car's current on nonsense.
MAX_POWER_W = 1e9
_MISSING = frozenset({"unavailable", "unknown", "none", ""})  # str(None) is "None"


@dataclass(frozen=True)
class Inputs:
    mode: str | None = None
    grid_power_w: float | None = None
    battery_power_w: float | None = None
    prices: tuple[PriceSlot, ...] = ()
    departure: datetime | None = None
    target_energy_kwh: float | None = None


def read_inputs(config: SmartConfig, states: Mapping[str, HaState | None], now: datetime) -> Inputs:
    """`now` must be local time (AppDaemon's get_now()): a departure of "07:00" is 07:00 where the user is."""

    def read(entity_id: str | None) -> tuple[str, Mapping[str, Any]] | None:
        state = states.get(entity_id) if entity_id is not None else None
        if not isinstance(state, Mapping) or str(state.get("state")).strip().lower() in _MISSING:
            return None
        attributes = state.get("attributes")
        return str(state["state"]).strip(), attributes if isinstance(attributes, Mapping) else {}

    mode, grid, battery = read(config.mode_entity), read(config.grid_power_entity), read(config.battery_power_entity)
    price, departure = read(config.price_entity), read(config.departure_entity)
    target = read(config.target_energy_entity)
    energy = to_number(target[0]) if target else None
    return Inputs(
        mode=mode[0] if mode else None,
        grid_power_w=power_w(*grid) if grid else None,
        battery_power_w=power_w(*battery) if battery else None,
        prices=parse_prices(price[1], config.price_attributes) if price else (),
        departure=next_departure(departure[0], now) if departure else None,
        target_energy_kwh=energy if energy is not None and energy >= 0 else None,
    )


def power_w(state: str, attributes: Mapping[str, Any]) -> float | None:
    """A power sensor's value in W, from W, kW or MW (W when it names no unit); None beyond MAX_POWER_W."""
    factor = POWER_UNITS.get(str(attributes.get("unit_of_measurement") or "W").strip().lower())
    value = to_number(state)
    if factor is None or value is None or abs(value * factor) > MAX_POWER_W:
        return None
    return value * factor


def next_departure(state: str, now: datetime) -> datetime | None:
    """An input_datetime's state as a local time: "07:00:00" (time only) is its next occurrence after
    `now`, "2025-06-01 07:00:00" that moment (even when passed); a date alone has no time to leave by, and
    a moment in the year 1 or 9999 none that can be computed with (like a price's time)."""
    tz = now.tzinfo
    if tz is None:
        return None
    try:
        if " " in state or "T" in state:
            moment = datetime.fromisoformat(state)
            if not on_calendar(moment):
                return None
            return moment if moment.utcoffset() is not None else _local(moment, tz)
        at = time.fromisoformat(state)
    except ValueError:
        return None
    day = now.astimezone(tz).date()
    departure = _local(datetime.combine(day, at), tz)
    return departure if departure > now else _local(datetime.combine(day + timedelta(days=1), at), tz)


def _local(naive: datetime, tz: tzinfo) -> datetime:
    # AppDaemon's get_now() may carry a pytz zone, which needs localize() to get the right offset.
    localize = getattr(tz, "localize", None)
    return localize(naive) if callable(localize) else naive.replace(tzinfo=tz)
