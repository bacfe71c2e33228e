"""The connection check's logic: does the token work, what is on the account, what goes in apps.yaml.

`check.py` is its command line; this module needs aiohttp (AppDaemon has it).
"""

import time
from collections.abc import Sequence
from datetime import datetime, timezone

import aiohttp

from . import __version__
from .ampeco import (
    API_PATH,
    AmpecoClient,
    AmpecoError,
    AuthError,
    ChargePoint,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RequestError,
    Session,
    Transport,
    TransportError,
    Units,
    token_expiry,
)
from .config import normalise_host
from .const import DEFAULT_API_HOST
from .validate import ConfigError

OK, BAD_ARGUMENTS, TOKEN_REJECTED, UNREACHABLE, NOT_ON_ACCOUNT, API_FAILURE = 0, 2, 3, 4, 5, 6
LIST_PATH = "app/personal/charge-points"


async def check(
    host: str, token: str, chargepoint: str | None = None, units: Units = Units(), timeout: float = 15
) -> tuple[int, list[str]]:
    """The verdict as an exit code and the lines to print."""
    try:
        api_host = normalise_host(host, "--host")
    except ConfigError as err:
        return BAD_ARGUMENTS, [f"Problem: --host {err.problem}"]
    if not token:
        return BAD_ARGUMENTS, ["Problem: no token: give --token or set AMPECO_TOKEN"]
    async with aiohttp.ClientSession() as session:
        transport = Transport(session, api_host, timeout=timeout, user_agent=f"ampeco-ev-charger-check/{__version__}")
        try:
            listing = await AmpecoClient(transport, token, units=lambda _cp: units).charge_points()
        except AmpecoError as err:
            return _failure(err, api_host)
    charge_points = [reading.charge_point for reading in listing.readings.values()]
    lines = [
        f"OK: the token works on {api_host}; the account has {len(charge_points)} home charger(s).",
        _token_end(token),
    ]
    for charge_point in charge_points:
        lines += _describe(charge_point)
    ids = [cp.id for cp in charge_points]
    if chargepoint is not None and chargepoint not in ids:
        found = ", ".join(ids) or "none"
        return NOT_ON_ACCOUNT, [
            *lines,
            f"Problem: charge point {chargepoint} is not on this account (it has: {found}).",
        ]
    return OK, [
        *lines,
        "",
        "Put this in apps.yaml (and the token in secrets.yaml as ampeco_token):",
        "",
        *_apps_yaml(api_host, [cp for cp in charge_points if chargepoint in (None, cp.id)]),
    ]


def _token_end(token: str) -> str:
    expires = token_expiry(token)
    if expires is None:
        return "The token carries no end date (it is not a JWT)."
    days = (expires - time.time()) / 86400
    return f"The token ends on {datetime.fromtimestamp(expires, timezone.utc):%Y-%m-%d} ({days:.0f} days from now)."


def _failure(err: AmpecoError, api_host: str) -> tuple[int, list[str]]:
    url = f"{api_host}{API_PATH}{LIST_PATH}"
    if isinstance(err, (NotFoundError, PayloadError, RequestError)):
        problem = (
            f"Problem: {url} answered, but not as an AMPECO driver-app API does ({_answered(err)}). "
            "Check --host: it is the host of your vendor app's requests, such as megatel.eu.charge.ampeco.tech."
        )
        return API_FAILURE, [problem]
    if isinstance(err, AuthError):
        return TOKEN_REJECTED, [
            (
                f"Problem: {api_host} rejected the token (HTTP {err.status}). It may have expired, "
                "been revoked by logging out everywhere, or belong to another vendor's host."
            )
        ]
    if isinstance(err, TransportError):
        return UNREACHABLE, [f"Problem: {err.message}. Check --host (your vendor's AMPECO host) and the network."]
    if isinstance(err, RateLimitError):
        return API_FAILURE, [f"Problem: {err.message}; try again later."]
    return API_FAILURE, [f"Problem: {api_host} did not give a usable answer: {err.message}."]


def _answered(err: AmpecoError) -> str:
    if isinstance(err, PayloadError):
        return err.message
    return f"HTTP {err.status}: {err.message}" if err.status else err.message


def _describe(cp: ChargePoint) -> list[str]:
    low, high = cp.current_range
    limits = (
        f"limit {cp.max_current_a:g} A (allowed {low:g}-{high:g} A)"
        if None not in (cp.max_current_a, low, high)
        else ""
    )
    lines = ["", f'Charge point {cp.id} "{cp.name or ""}": status {cp.status}, {limits}'.rstrip(", ")]
    for evse in cp.evses:
        power = f", {evse.max_power_kw:g} kW" if evse.max_power_kw is not None else ""
        plugs = f", {', '.join(evse.connectors)}" if evse.connectors else ""
        lines.append(f"  EVSE id {evse.id} (printed {evse.identifier}): {evse.status}{power}{plugs}")
        lines.append(f"    {_session_line(evse.session)}")
    return lines


def _session_line(session: Session | None) -> str:
    if session is None:
        return "no session running"
    energy = f"{session.energy_kwh:.2f} kWh" if session.energy_kwh is not None else "energy unknown"
    power = f"{session.power_kw:.2f} kW" if session.power_kw is not None else "power unknown"
    return f"session {session.id}: {session.status}, {energy}, {power}, since {session.started_at}"


def _apps_yaml(api_host: str, charge_points: Sequence[ChargePoint]) -> list[str]:
    lines = ["ampeco_ev_charger:", "  module: ampeco_ev_charger.app", "  class: AmpecoEvCharger"]
    if api_host != DEFAULT_API_HOST:
        lines.append(f"  api_host: {api_host}")
    lines += ["  auth_token: !secret ampeco_token", "  chargers:"]
    for cp in charge_points:
        lines.append(f"    - chargepoint_id: {cp.id}")
        if cp.name:
            lines.append(f"      name: {cp.name}")
        if len(cp.evses) > 1:
            lines.append(f'      evse_id: "{cp.evses[0].id}"   # one of: {", ".join(e.id for e in cp.evses)}')
    return lines
