"""Events from Home Assistant -> validated commands, before anything talks to the cloud.

Every problem becomes a sentence a person can act on; the caller answers it with one `command_result`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .events import DOMAIN

START = "start_charging"
STOP = "stop_charging"
SET_MAX_CURRENT = "set_max_current"
UPDATE = "update_data"
COMMAND_EVENTS: dict[str, str] = {f"{DOMAIN}_{name}": name for name in (START, STOP, SET_MAX_CURRENT, UPDATE)}

# Whole amps any AC wallbox accepts; each charger's own allowed range narrows it further.
MIN_CURRENT_A = 6
MAX_CURRENT_A = 32


@dataclass(frozen=True)
class Command:
    name: str
    # None only for update_data without an id: every charger.
    chargepoint_id: str | None
    max_current: int | None = None


class CommandError(ValueError):
    """A command refused before any API call; `chargepoint_id` is what the event named, if anything."""

    def __init__(self, name: str, chargepoint_id: str | None, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.chargepoint_id = chargepoint_id
        self.message = message


def parse_command(event_type: str, data: Mapping[str, object], chargepoint_ids: Sequence[str]) -> Command:
    """Validate one incoming event against the configured chargers; raises CommandError."""
    name = COMMAND_EVENTS[event_type]
    raw_id = data.get("chargepoint_id")
    given = None if raw_id is None else str(raw_id).strip()
    chargepoint_id = _resolve_charger(name, given, chargepoint_ids)
    max_current = None
    if name == SET_MAX_CURRENT and "max_current" not in data:
        raise CommandError(name, chargepoint_id, "max_current is required: give the new limit in whole amps, e.g. 16")
    if name in (START, SET_MAX_CURRENT) and "max_current" in data:
        max_current = _whole_amps(name, chargepoint_id, data["max_current"])
    return Command(name, chargepoint_id, max_current)


def _resolve_charger(name: str, given: str | None, chargepoint_ids: Sequence[str]) -> str | None:
    if given is None or given == "":
        if len(chargepoint_ids) == 1:
            return chargepoint_ids[0]
        if name == UPDATE:
            return None
        raise CommandError(
            name, None, f"chargepoint_id is required when several chargers are configured ({', '.join(chargepoint_ids)})"
        )
    for chargepoint_id in chargepoint_ids:
        if chargepoint_id.lower() == given.lower():
            return chargepoint_id
    raise CommandError(name, given, f"unknown chargepoint_id {given!r}; configured: {', '.join(chargepoint_ids)}")


def _whole_amps(name: str, chargepoint_id: str | None, value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(name, chargepoint_id, f"max_current must be a whole number of amps, got {value!r}")
    if not MIN_CURRENT_A <= value <= MAX_CURRENT_A:
        raise CommandError(
            name, chargepoint_id, f"max_current must be between {MIN_CURRENT_A} and {MAX_CURRENT_A} A, got {value}"
        )
    return value


def check_current(amps: int, allowed: tuple[float | None, float | None]) -> str | None:
    """Why `amps` is outside a charger's allowed range, or None when it fits (or the range is unknown)."""
    low, high = allowed
    if low is not None and amps < low:
        return f"max_current {amps} A is below this charger's minimum of {low:g} A"
    if high is not None and amps > high:
        return f"max_current {amps} A is above this charger's maximum of {high:g} A"
    return None
