"""EVSE and session status strings: known ones get one spelling, unknown ones are kept as sent."""

KNOWN_EVSE_STATUSES: tuple[str, ...] = (
    "available",
    "preparing",
    "charging",
    "suspended",
    "suspendedEV",
    "suspendedEVSE",
    "finishing",
    "faulted",
    "unavailable",
    "occupied",
    "reserved",
    "pending",
    "ready",
)
_BY_LOWER = {status.lower(): status for status in KNOWN_EVSE_STATUSES}

# A session may be running: poll at the charging cadence. ("occupied" is OCPP 1.5 for a car at the socket.)
SESSION_EVSE_STATUSES = frozenset(
    {"preparing", "charging", "suspended", "suspendedev", "suspendedevse", "finishing", "occupied"}
)
# A session is certainly running (not just possible, as while preparing or finishing).
DRAWING_EVSE_STATUSES = frozenset({"charging", "suspended", "suspendedev", "suspendedevse"})
CLOSED_SESSION_STATUSES = frozenset({"finished", "failed"})


def canonical_status(value: str | None) -> str | None:
    """One spelling per known status ("Charging", "CHARGING" -> "charging"); unknown text is kept."""
    if value is None:
        return None
    return _BY_LOWER.get(value.lower(), value)


def is_known_status(value: str) -> bool:
    return value.lower() in _BY_LOWER


def suggests_session(evse_status: str | None) -> bool:
    """True for the statuses around a session, and for unknown ones: better a faster poll than a lost session."""
    if evse_status is None:
        return False
    return is_plugged_status(evse_status) or not is_known_status(evse_status)


def is_plugged_status(evse_status: str | None) -> bool:
    """A car is at the socket: the statuses around a session."""
    return evse_status is not None and evse_status.lower() in SESSION_EVSE_STATUSES


def is_drawing_status(evse_status: str | None) -> bool:
    return evse_status is not None and evse_status.lower() in DRAWING_EVSE_STATUSES


def is_closed_session_status(session_status: str | None) -> bool:
    return session_status is not None and session_status.lower() in CLOSED_SESSION_STATUSES


def status_is(value: str | None, *names: str) -> bool:
    """Whether a status, in whatever case it was sent, is one of `names`."""
    return value is not None and value.lower() in {name.lower() for name in names}


def is_suspended_status(evse_status: str | None) -> bool:
    """The car or the charger has paused charging (a full car among them): the session stays open."""
    return status_is(evse_status, "suspended", "suspendedEV", "suspendedEVSE")
