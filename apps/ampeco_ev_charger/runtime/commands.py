"""What can be asked of a charger: the command registry, and what every command gets back.

Each command is one row of `COMMANDS`: its name (the event `ampeco_ev_charger_<name>` and `command_result`'s
`command`), how its payload reads, and whether it is offered as a button. Events, MQTT controls and the
documentation derive from the rows; `execute.Executor` carries each command out (its `match` is checked for
exhaustiveness). Adding a command: a dataclass and a row here, a case there, a test.

Every command gets exactly one `Outcome`, with a stable `Reason` code beside the sentence when it failed.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Final

from ..ampeco import AuthError, NotFoundError, RateLimitError, RefusedError, RequestError, TransportError, sample
from .errors import InternalError, RoundError

Payload = Mapping[str, object]

# Whole amps any AC wallbox accepts; each charger's own allowed range narrows it further.
MIN_CURRENT_A: Final = 6
MAX_CURRENT_A: Final = 32


class Reason(str, Enum):
    """Why a command did not succeed, for automations: stable codes (the sentence beside it may change).
    What each means is in `MEANINGS`, which the documentation's list is generated from."""

    INVALID_VALUE = "invalid_value"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_CHARGER = "unknown_charger"
    CONFIG_ERROR = "config_error"
    NOTHING_TO_STOP = "nothing_to_stop"
    ALREADY_CHARGING = "already_charging"
    REFUSED = "refused"
    NOT_PLUGGED = "not_plugged"
    RATE_LIMITED = "rate_limited"
    TOKEN_REJECTED = "token_rejected"  # noqa: S105 - a reason code, not a token
    UNREACHABLE = "unreachable"
    CLOUD_ERROR = "cloud_error"
    REJECTED = "rejected"
    NOT_LANDED = "not_landed"
    UNAVAILABLE = "unavailable"
    SUPERSEDED = "superseded"
    BUSY = "busy"
    INTERNAL = "internal"


MEANINGS: Final[Mapping[Reason, str]] = {
    Reason.INVALID_VALUE: "a value the command cannot take: not a number, half an amp, a payload the control does "
    "not know",
    Reason.OUT_OF_RANGE: f"a current outside {MIN_CURRENT_A}-{MAX_CURRENT_A} A, the charger's own range, or the "
    "`max_current` configured for it",
    Reason.UNKNOWN_CHARGER: "no watched charger has this `chargepoint_id`, or none was named while several are watched",
    Reason.CONFIG_ERROR: "apps.yaml has a mistake, so the app is not running; `error` names it",
    Reason.NOTHING_TO_STOP: "the app looked: no session runs on the charger",
    Reason.ALREADY_CHARGING: "a session already runs on the charger",
    Reason.REFUSED: "the charger refused (HTTP 406: a session runs, the car is full, ...)",
    Reason.NOT_PLUGGED: "the charger refused to start, and no car is at the socket",
    Reason.RATE_LIMITED: "the cloud asks the app to wait (HTTP 429)",
    Reason.TOKEN_REJECTED: "the token is no longer valid (HTTP 401 or 403)",
    Reason.UNREACHABLE: "no answer from the cloud: network, DNS, TLS, timeout",
    Reason.CLOUD_ERROR: "the cloud failed (HTTP 5xx, a redirect to another host) or answered something unusable",
    Reason.REJECTED: "the cloud did not accept the request (HTTP 404 or another 4xx)",
    Reason.NOT_LANDED: "a start the cloud accepted showed no session on this charger's EVSE within 30 s, or landed "
    "on another EVSE and could not be stopped there",
    Reason.UNAVAILABLE: "the charger cannot be read now (not on the account, its EVSE missing, no reading yet)",
    Reason.SUPERSEDED: "a newer current change for the same charger came before this one ran: the newer one is made",
    Reason.BUSY: "the app is stopping",
    Reason.INTERNAL: "a bug in the app: please report it",
}


def reason_of(error: RoundError) -> Reason:
    """The one mapping of the library's errors (and the app's own bugs) to what a command's result says."""
    if isinstance(error, AuthError):
        return Reason.TOKEN_REJECTED
    if isinstance(error, RateLimitError):
        return Reason.RATE_LIMITED
    if isinstance(error, TransportError):
        return Reason.UNREACHABLE
    if isinstance(error, RefusedError):
        return Reason.REFUSED
    if isinstance(error, (RequestError, NotFoundError)):
        return Reason.REJECTED
    if isinstance(error, InternalError):
        return Reason.INTERNAL
    return Reason.CLOUD_ERROR  # the cloud failed (5xx) or sent something unusable


@dataclass(frozen=True)
class StartCharging:
    name: ClassVar[str] = "start_charging"
    chargepoint_id: str
    max_current: int | None = None  # set as the charger's limit first


@dataclass(frozen=True)
class StopCharging:
    name: ClassVar[str] = "stop_charging"
    chargepoint_id: str


@dataclass(frozen=True)
class SetMaxCurrent:
    name: ClassVar[str] = "set_max_current"
    chargepoint_id: str
    max_current: int


@dataclass(frozen=True)
class UpdateData:
    name: ClassVar[str] = "update_data"
    chargepoint_id: str


@dataclass(frozen=True)
class UpdateAll:
    """update_data without a charger: every account read once (the hub runs it, no charger's executor)."""

    name: ClassVar[str] = "update_data"
    chargepoint_id: ClassVar[None] = None


ChargerCommand = StartCharging | StopCharging | SetMaxCurrent | UpdateData  # what a charger's executor runs
Command = ChargerCommand | UpdateAll


class CommandRefused(ValueError):
    """A command refused before any API call; `chargepoint_id` is what was named, if anything."""

    def __init__(self, name: str, chargepoint_id: str | None, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.name = name
        self.chargepoint_id = chargepoint_id
        self.message = message
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class Button:
    """A command offered as a press-only control (an MQTT button) of each charger's device."""

    key: str
    name: str
    icon: str
    doc: str  # what a press does, for the documentation
    needs_reading: bool = True  # unavailable while the charger cannot be read


@dataclass(frozen=True, kw_only=True)
class CommandRow:
    name: str
    # The payload (an event's data) read into the command, for the charger it names (None only where
    # `every_charger`); raises CommandRefused.
    parse: Callable[[str | None, Payload], Command]
    summary: str  # what it does, for the documentation
    every_charger: bool = False  # may be asked without a charger: then it runs for every one
    button: Button | None = None


def amps(name: str, chargepoint_id: str | None, value: object) -> int:
    """A current limit from outside (an event, a helper, an MQTT number; Home Assistant templates often render
    numbers as text) as whole amps any wallbox takes; raises CommandRefused. Each charger's own range is
    checked when the command runs."""
    given = value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise CommandRefused(
                name,
                chargepoint_id,
                f"max_current must be a whole number of amps, got the text {sample(given)}",
                Reason.INVALID_VALUE,
            ) from None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandRefused(
            name,
            chargepoint_id,
            f"max_current must be a whole number of amps, got {sample(given)}",
            Reason.INVALID_VALUE,
        )
    if not MIN_CURRENT_A <= value <= MAX_CURRENT_A:
        raise CommandRefused(
            name,
            chargepoint_id,
            f"max_current must be between {MIN_CURRENT_A} and {MAX_CURRENT_A} A, got {sample(value)}",
            Reason.OUT_OF_RANGE,
        )
    return value


def _charger(name: str, chargepoint_id: str | None) -> str:
    if chargepoint_id is None:
        raise CommandRefused(name, None, "chargepoint_id is required", Reason.UNKNOWN_CHARGER)
    return chargepoint_id


def _start(chargepoint_id: str | None, data: Payload) -> StartCharging:
    name = StartCharging.name
    limit = amps(name, chargepoint_id, data["max_current"]) if data.get("max_current") is not None else None
    return StartCharging(_charger(name, chargepoint_id), limit)


def _set_max_current(chargepoint_id: str | None, data: Payload) -> SetMaxCurrent:
    name = SetMaxCurrent.name
    if data.get("max_current") is None:
        raise CommandRefused(
            name,
            chargepoint_id,
            "max_current is required: give the new limit in whole amps, e.g. 16",
            Reason.INVALID_VALUE,
        )
    return SetMaxCurrent(_charger(name, chargepoint_id), amps(name, chargepoint_id, data["max_current"]))


COMMANDS: tuple[CommandRow, ...] = (
    CommandRow(
        name=StartCharging.name,
        parse=_start,
        summary="start charging; `max_current` (optional, whole amps) is set as the charger's limit first",
    ),
    CommandRow(
        name=StopCharging.name,
        parse=lambda chargepoint_id, _data: StopCharging(_charger(StopCharging.name, chargepoint_id)),
        summary="stop the running session (also while the car is full)",
        button=Button(
            key="stop_charging",
            name="Stop Charging",
            icon="mdi:stop-circle-outline",
            doc="stops the running session (also while the car is full)",
        ),
    ),
    CommandRow(
        name=SetMaxCurrent.name,
        parse=_set_max_current,
        summary="change the charger's current limit (`max_current`, whole amps), also during a session",
    ),
    CommandRow(
        name=UpdateData.name,
        parse=lambda chargepoint_id, _data: UpdateAll() if chargepoint_id is None else UpdateData(chargepoint_id),
        summary="read the charger now (without `chargepoint_id`: every charger)",
        every_charger=True,
        button=Button(
            key="refresh",
            name="Refresh",
            icon="mdi:refresh",
            doc="reads the charger now",
            needs_reading=False,
        ),
    ),
)
COMMAND_ROWS: Final = {row.name: row for row in COMMANDS}


@dataclass(frozen=True)
class Outcome:
    success: bool
    error: str | None = None
    reason: Reason | None = None  # set exactly when it failed
    session_id: str | None = None
    # The cloud's state changed (or was not what we believed): poll at once so sensors follow.
    poll: bool = False
    # What happened on the way, in plain words, when it is worth telling (a start that first landed elsewhere).
    note: str | None = None

    @classmethod
    def failed(
        cls, reason: Reason, error: str, *, session_id: str | None = None, poll: bool = False, note: str | None = None
    ) -> "Outcome":
        return cls(False, error, reason, session_id, poll, note)


@dataclass(frozen=True)
class CommandResult:
    """The one answer to one command; `origin` says who asked when it was not an event."""

    chargepoint_id: str | None
    command: str
    success: bool
    error: str | None = None
    reason: Reason | None = None
    session_id: str | None = None
    origin: str | None = None
    note: str | None = None
