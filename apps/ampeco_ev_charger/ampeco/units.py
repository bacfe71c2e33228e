"""Numbers and units as the AMPECO API sends them.

Tenants disagree: the captures show W and Wh, some clients saw kW and kWh. Guessing from the size of a
number breaks on a 900 W trickle or a 120 kWh session, so the unit is a per-charger setting (W/Wh by default)
and is never inferred.
"""

import math
from dataclasses import dataclass

POWER_UNITS: dict[str, float] = {"W": 0.001, "kW": 1.0}
ENERGY_UNITS: dict[str, float] = {"Wh": 0.001, "kWh": 1.0}


def to_number(value: object) -> float | None:
    """A finite float from a JSON number or a numeric string ("11.1"); None for anything else."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):  # not a number, or an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def canonical_unit(value: str, table: dict[str, float]) -> str | None:
    """The table's spelling of a unit given in any case ("kwh" -> "kWh"), or None when unknown."""
    for unit in table:
        if unit.lower() == value.strip().lower():
            return unit
    return None


@dataclass(frozen=True)
class Units:
    """What one charger's API sends; converts to the kW and kWh that Home Assistant shows."""

    power: str = "W"
    energy: str = "Wh"

    def kw(self, value: object) -> float | None:
        number = to_number(value)
        return None if number is None else number * POWER_UNITS[self.power]

    def kwh(self, value: object) -> float | None:
        number = to_number(value)
        return None if number is None else number * ENERGY_UNITS[self.energy]


def as_amps(value: object) -> int | float | None:
    """A current as a person reads it: 16 rather than 16.0 ("16.0" from a number helper too); a value that is
    not whole keeps one decimal."""
    number = to_number(value)
    if number is None:
        return None
    return int(number) if number.is_integer() else round(number, 1)
