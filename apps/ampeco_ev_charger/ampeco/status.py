"""EVSE and session status strings: known ones get one spelling, unknown ones are kept as sent.

Tenants spell them differently ("Charging", "CHARGING", "out of order", "OUT_OF_ORDER"): statuses are compared
by their letters only, whatever the case and the spaces, underscores or hyphens between words.
"""

import functools
import re

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
    "out of order",
)


@functools.lru_cache(maxsize=256)
def _key(status: str) -> str:
    return re.sub(r"[\s_-]", "", status.lower())


_BY_KEY = {_key(status): status for status in KNOWN_EVSE_STATUSES}

# A session may be running: poll at the charging cadence. ("occupied" is OCPP 1.5 for a car at the socket.)
SESSION_EVSE_STATUSES = ("preparing", "charging", "suspended", "suspendedEV", "suspendedEVSE", "finishing", "occupied")
# A session is certainly running (not just possible, as while preparing or finishing).
DRAWING_EVSE_STATUSES = ("charging", "suspended", "suspendedEV", "suspendedEVSE")
# The charger cannot charge: worth the problem sensor.
FAULT_EVSE_STATUSES = ("faulted", "unavailable", "out of order")
CLOSED_SESSION_STATUSES = ("finished", "failed")


def status_is(value: str | None, *names: str) -> bool:
    """Whether a status, however it was spelt, is one of `names`."""
    return value is not None and _key(value) in {_key(name) for name in names}


def canonical_status(value: str | None) -> str | None:
    """One spelling per known status ("Charging", "CHARGING" -> "charging"); unknown text is kept."""
    if value is None:
        return None
    return _BY_KEY.get(_key(value), value)


def is_known_status(value: str) -> bool:
    return _key(value) in _BY_KEY


def suggests_session(evse_status: str | None) -> bool:
    """True for the statuses around a session, and for unknown ones: better a faster poll than a lost session."""
    if evse_status is None:
        return False
    return is_plugged_status(evse_status) or not is_known_status(evse_status)


def is_plugged_status(evse_status: str | None) -> bool:
    """A car is at the socket: the statuses around a session."""
    return status_is(evse_status, *SESSION_EVSE_STATUSES)


def is_drawing_status(evse_status: str | None) -> bool:
    return status_is(evse_status, *DRAWING_EVSE_STATUSES)


def is_suspended_status(evse_status: str | None) -> bool:
    """The car or the charger has paused charging (a full car among them): the session stays open."""
    return status_is(evse_status, "suspended", "suspendedEV", "suspendedEVSE")


def is_fault_status(evse_status: str | None) -> bool:
    return status_is(evse_status, *FAULT_EVSE_STATUSES)


def is_closed_session_status(session_status: str | None) -> bool:
    return status_is(session_status, *CLOSED_SESSION_STATUSES)
