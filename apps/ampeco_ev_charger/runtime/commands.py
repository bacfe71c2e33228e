"""What can be asked of a charger, as typed values, and what came of it.

Events, dashboard helpers and smart charging all end up here: each builds a `Command` and hands it to
`Hub.run`, which answers every one with exactly one `CommandResult`.
"""

from dataclasses import dataclass
from typing import ClassVar

from ..const import MAX_CURRENT_A, MIN_CURRENT_A, SET_MAX_CURRENT, START, STOP, UPDATE


@dataclass(frozen=True)
class StartCharging:
    name: ClassVar[str] = START
    chargepoint_id: str
    max_current: int | None = None  # set as the charger's limit first


@dataclass(frozen=True)
class StopCharging:
    name: ClassVar[str] = STOP
    chargepoint_id: str


@dataclass(frozen=True)
class SetMaxCurrent:
    name: ClassVar[str] = SET_MAX_CURRENT
    chargepoint_id: str
    max_current: int


@dataclass(frozen=True)
class UpdateData:
    name: ClassVar[str] = UPDATE
    chargepoint_id: str | None = None  # None: every charger


Command = StartCharging | StopCharging | SetMaxCurrent | UpdateData


@dataclass(frozen=True)
class Outcome:
    success: bool
    error: str | None = None
    session_id: str | None = None
    # The cloud's state changed (or was not what we believed): poll at once so sensors follow.
    poll: bool = False
    # What happened on the way, in plain words, when it is worth telling (a start that first landed elsewhere).
    note: str | None = None


@dataclass(frozen=True)
class CommandResult:
    """The one answer to one command; `origin` says who asked when it was not an event."""

    chargepoint_id: str | None
    command: str
    success: bool
    error: str | None = None
    session_id: str | None = None
    origin: str | None = None
    note: str | None = None


class CommandRefused(ValueError):
    """A command refused before any API call; `chargepoint_id` is what was named, if anything."""

    def __init__(self, name: str, chargepoint_id: str | None, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.chargepoint_id = chargepoint_id
        self.message = message


def whole_amps(name: str, chargepoint_id: str | None, value: object) -> int:
    """A current limit from outside (an event, a helper, an MQTT number) as whole amps any wallbox takes;
    raises CommandRefused. Each charger's own range is checked when the command runs."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandRefused(name, chargepoint_id, f"max_current must be a whole number of amps, got {value!r}")
    if not MIN_CURRENT_A <= value <= MAX_CURRENT_A:
        raise CommandRefused(
            name, chargepoint_id, f"max_current must be between {MIN_CURRENT_A} and {MAX_CURRENT_A} A, got {value}"
        )
    return value
