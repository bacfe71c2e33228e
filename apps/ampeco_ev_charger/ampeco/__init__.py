"""A client library for AMPECO's driver-app API, as white-label tenants (MegaTel, Drivee, Exploren, Elaway and
others) serve it: endpoints, tolerant parsing, units, statuses and typed errors.

It knows nothing of Home Assistant or AppDaemon, and keeps no state beyond what one account's client needs
(a lock, a rate-limit deadline, and what it learnt about its tenant).
"""

from .auth import Authorizer, ClientCredentials, StaticToken, TokenGrant, token_expiry
from .client import API_PATH, AmpecoClient, RequestRecord
from .errors import (
    AmpecoError,
    AuthError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RefusedError,
    RequestError,
    ServerError,
    TransportError,
)
from .models import (
    ChargePoint,
    Evse,
    Oddity,
    Parsed,
    Session,
    charge_point_items,
    item_id,
    parse_charge_point,
    parse_session,
    trimmed,
)
from .status import (
    KNOWN_EVSE_STATUSES,
    canonical_status,
    is_closed_session_status,
    is_drawing_status,
    is_fault_status,
    is_known_status,
    is_plugged_status,
    is_suspended_status,
    status_is,
    suggests_session,
)
from .units import ENERGY_UNITS, POWER_UNITS, Units, as_amps, canonical_unit, rounded, to_number

__all__ = [
    "API_PATH",
    "ENERGY_UNITS",
    "KNOWN_EVSE_STATUSES",
    "POWER_UNITS",
    "AmpecoClient",
    "AmpecoError",
    "AuthError",
    "Authorizer",
    "ChargePoint",
    "ClientCredentials",
    "Evse",
    "NotFoundError",
    "Oddity",
    "Parsed",
    "PayloadError",
    "RateLimitError",
    "RefusedError",
    "RequestError",
    "RequestRecord",
    "ServerError",
    "Session",
    "StaticToken",
    "TokenGrant",
    "TransportError",
    "Units",
    "as_amps",
    "canonical_status",
    "canonical_unit",
    "charge_point_items",
    "is_closed_session_status",
    "is_drawing_status",
    "is_fault_status",
    "is_known_status",
    "is_plugged_status",
    "is_suspended_status",
    "item_id",
    "parse_charge_point",
    "parse_session",
    "rounded",
    "status_is",
    "suggests_session",
    "to_number",
    "token_expiry",
    "trimmed",
]
