"""The AMPECO driver-app API for one account (host + token): endpoints that answer with models.

Answers come back parsed (`models`), envelopes removed, each in the units of the charger it belongs to;
what could not be used is handed to `on_oddity` and never raises. One request at a time per account (the
cloud sees one polite client); a 429 holds back every request but a command's until the server's wait has
passed. A rejected token is renewed through the `Authorizer` once, and the request sent again. What the
client learns about its tenant (how a start names an EVSE, which session endpoints exist, where a session
ends) is kept in its `Tenant`.
"""

import asyncio
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from .auth import Authorizer, ClientCredentials, StaticToken, TokenGrant, token_expiry
from .errors import AmpecoError, AuthError, NotFoundError, PayloadError, RateLimitError, RequestError, ServerError
from .http import Transport
from .models import (
    ChargePoints,
    Evse,
    Oddity,
    Reading,
    Session,
    charge_point_items,
    item_id,
    parse_charge_point,
    parse_session,
    trimmed,
)
from .push import Broadcast, broadcast_of
from .tenant import Tenant
from .units import Units, to_number

UnitsOf = Callable[[str | None], Units]  # a charge point's units, by its id (None: not known)


@dataclass(frozen=True)
class RunningSessions:
    """The account's running sessions, and the endpoints they came from (`active`, `ongoing`)."""

    sessions: list[Session]
    sources: tuple[str, ...] = ("active",)

    @property
    def complete(self) -> bool:
        """False when they came (also) from `app/session/ongoing`, which leaves out the sessions of full cars."""
        return "ongoing" not in self.sources


class TokenEndpoint:
    """`app/oauth/token`, for renewing a token with the refresh grant."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def grant(self, refresh_token: str, client: ClientCredentials) -> TokenGrant:
        """Refresh tokens are single use: the answer carries the next one. A refused grant raises AuthError."""
        body = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }
        try:
            answer = await self._transport.send("POST", "app/oauth/token", body, None)
        except RequestError as err:
            if err.code is None:  # not the token endpoint's verdict (a proxy, a glitch): try again later
                raise ServerError(f"the token endpoint answered HTTP {err.status}", status=err.status) from None
            raise AuthError(
                f"the refresh token was refused (HTTP {err.status}: {err.message})", status=err.status
            ) from None
        fields = answer if isinstance(answer, Mapping) else {}
        access, refresh, expires_in = (fields.get(k) for k in ("access_token", "refresh_token", "expires_in"))
        if not isinstance(access, str) or not access:
            raise PayloadError("the token answer carries no access_token")
        expires_at, issued_at = token_expiry(access), None
        lifetime = to_number(expires_in)
        if expires_at is None and lifetime is not None and lifetime >= _SHORTEST_LIFETIME:
            issued_at = self._transport.clock()
            expires_at = issued_at + min(lifetime, _LONGEST_LIFETIME)
        return TokenGrant(access, refresh if isinstance(refresh, str) and refresh else None, expires_at, issued_at)


# Read from a list at most: a home has a few, and each costs time on the event loop (100 000 took 1.6 s).
MOST_CHARGE_POINTS = 500
# An `expires_in` outside these is no end date: 0, negative or a few seconds would renew on every round.
_SHORTEST_LIFETIME = 300.0
_LONGEST_LIFETIME = 10 * 365 * 86400.0


def _default_units(_chargepoint_id: str | None) -> Units:
    return Units()


def _ignore(_oddity: Oddity) -> None:
    """No one listens for oddities."""


class AmpecoClient:
    def __init__(
        self,
        transport: Transport,
        auth: Authorizer | str,
        *,
        tenant: Tenant | None = None,
        units: UnitsOf = _default_units,
        on_oddity: Callable[[Oddity], None] = _ignore,
    ) -> None:
        self._transport = transport
        self.auth: Authorizer = StaticToken(auth) if isinstance(auth, str) else auth
        self.tenant = tenant or Tenant()
        self._units = units
        self._on_oddity = on_oddity
        self._lock = asyncio.Lock()
        self._owners: dict[str, str] = {}  # EVSE identifier: its charge point (sessions name only the former)

    @property
    def host(self) -> str:
        return self._transport.host

    def held_for(self) -> float:
        """Seconds the cloud still holds polls back (a 429's wait)."""
        return self._transport.held_for()

    async def charge_points(self) -> ChargePoints:
        """Every home charger of the account, each with its EVSEs and their running sessions."""
        items = charge_point_items(await self._request("GET", "app/personal/charge-points"))
        if len(items) > MOST_CHARGE_POINTS:
            self._on_oddity(Oddity("more charge points than a home has", f"{len(items)}: the rest skipped"))
            items = items[:MOST_CHARGE_POINTS]
        readings: dict[str, Reading] = {}
        broken: dict[str, PayloadError] = {}
        for item in items:
            chargepoint_id = item_id(item)
            if chargepoint_id is None:
                self._on_oddity(Oddity("charge point without an id", "skipped"))
                continue
            if chargepoint_id in readings or chargepoint_id in broken:  # the first one listed is the one read
                self._on_oddity(Oddity("charge point listed twice", f"{chargepoint_id}: the later one skipped"))
                continue
            try:
                readings[chargepoint_id] = self._reading(item)
            except PayloadError as err:
                broken[chargepoint_id] = err
        return ChargePoints(readings, broken)

    async def charge_point(self, chargepoint_id: str) -> Reading:
        """One charger by its id; NotFoundError when the id is not on the account."""
        answer = await self._request("GET", f"app/personal/charge-points/{quote(chargepoint_id, safe='')}")
        if not isinstance(answer, Mapping):
            raise PayloadError("the charge point answer is not a JSON object")
        inner = answer.get("data")
        return self._reading(inner if isinstance(inner, Mapping) else answer)

    async def running_sessions(self, *, several: bool = False) -> RunningSessions:
        """The account's running sessions, from `app/session/active` and, where that is missing (a 404 that
        `ongoing` proves wrong) or failing, `app/session/ongoing`; `several`: more than one EVSE wants its
        session, and `active` names one at most. Raises the AmpecoError of the endpoints when none could tell.
        """
        lookup = _Lookup()
        unsure = await self._ask_active(lookup) if self.tenant.active is not False else False
        if lookup.sources and not several and not unsure:
            return lookup.result()
        if self.tenant.ongoing is not False:
            await self._ask_ongoing(lookup, unsure)
        return lookup.result()

    async def _ask_active(self, lookup: "_Lookup") -> bool:
        """Ask `app/session/active`; True when its 404 may mean that this tenant has no such endpoint."""
        try:
            active = await self._active_session()
        except AmpecoError as err:
            lookup.failed.append(_named(err, "app/session/active"))
            return False
        lookup.add("active", [] if active is None else [active])
        if active is not None:
            self.tenant.active = True
        return active is None and self.tenant.active is None and self.tenant.ongoing is not False

    async def _ask_ongoing(self, lookup: "_Lookup", unsure: bool) -> None:
        """Ask `app/session/ongoing`; a 404 there means this tenant has none (learnt)."""
        try:
            ongoing = await self._ongoing_sessions()
        except NotFoundError:
            self.tenant.ongoing = False
            return
        except AmpecoError as err:
            lookup.failed.append(_named(err, "app/session/ongoing"))
            return
        self.tenant.ongoing = True
        if unsure and ongoing:
            self.tenant.active = False  # its 404 did not mean "no session": this tenant has no such endpoint
        lookup.add("ongoing", ongoing)

    async def _active_session(self) -> Session | None:
        """None on 404: no session, or (where a tenant dropped the endpoint) no such endpoint."""
        try:
            answer = await self._request("GET", "app/session/active")
        except NotFoundError:
            return None
        if answer is not None and not isinstance(answer, Mapping):
            raise PayloadError("the active session answer is not a JSON object")
        return self._session(answer, "active session")

    async def _ongoing_sessions(self) -> list[Session]:
        answer = await self._request("GET", "app/session/ongoing")
        items = answer.get("data") if isinstance(answer, Mapping) else answer
        if not isinstance(items, list):
            raise PayloadError("the ongoing sessions answer has no list of sessions")
        return self._sessions(items, "ongoing session")

    async def session(self, session_id: str) -> Session | None:
        """A session's own answer, its power curve included: its final numbers once it has ended."""
        path = f"app/session/{quote(session_id, safe='')}?withPowerHistory=1"
        return self._session(_session_of(await self._request("GET", path)), "session")

    async def session_history(self, start: date, end: date) -> list[Session]:
        """Finished sessions of the account between two days (inclusive)."""
        answer = await self._request("GET", f"app/profile/session_history?start_date={start}&end_date={end}")
        entries = answer.get("session_history") if isinstance(answer, Mapping) else answer
        if not isinstance(entries, list):
            raise PayloadError("the session history answer has no list of sessions")
        return self._sessions(entries, "history session")

    async def start_session(self, evse: Evse, key: str | None = None, max_current: int | None = None) -> Session | None:
        """Start charging on `evse`, named by `key` (its `id`, or on some tenants its printed `identifier`;
        the tenant's lesson when not given); the caller checks where the session landed. None when the cloud
        accepted the start without saying which session (202, empty). Sent even while polls are held back."""
        value = self.tenant.evse_value(evse, key or self.tenant.evse_key)
        if value is None:
            raise RequestError(f"EVSE {evse.id} has no {key or self.tenant.evse_key} to start it by")
        body: dict[str, Any] = {"evseId": value}
        if max_current is not None:
            body["maxCurrent"] = max_current  # unverified: the caller sets the limit first as well
        answer = await self._request("POST", "app/session/start", body, urgent=True)
        return self._session(_session_of(answer), "started session")

    async def stop_session(self, session_id: str) -> Session | None:
        """Stop charging; NotFoundError means the session had already ended. Sent even while polls are held
        back. Tenants end a session at `/end` or at `/stop`; until one has worked, a 404/405 on `/end` tries
        `/stop`."""
        learnt = self.tenant.stop_path
        *fallbacks, last = [learnt] if learnt else ["end", "stop"]
        for path in fallbacks:
            try:
                return await self._stop_with(session_id, path)
            except (NotFoundError, RequestError) as err:
                if isinstance(err, RequestError) and err.status != 405:
                    raise
        try:
            return await self._stop_with(session_id, last)
        except NotFoundError:
            raise NotFoundError("the session had already ended", status=404) from None

    async def _stop_with(self, session_id: str, path: str) -> Session | None:
        answer = await self._request("POST", f"app/session/{quote(session_id, safe='')}/{path}", urgent=True)
        self.tenant.stop_path = path
        return self._session(_session_of(answer), "stopped session")

    async def set_max_current(self, chargepoint_id: str, amps: int) -> None:
        """The charger's current limit; sent even while polls are held back."""
        path = f"app/personal/charge-points/{quote(chargepoint_id, safe='')}"
        await self._request("PATCH", path, {"max_current_a": amps}, urgent=True)

    async def broadcast(self) -> Broadcast | None:
        """Where the user's live updates come from (`app/settings/global` and `app/profile`); None when the
        tenant has none. ValueError for a server the token must not go to."""
        settings = await self._request("GET", "app/settings/global")
        return broadcast_of(settings, await self._request("GET", "app/profile"))

    async def renew_token(self) -> bool:
        """Renew the token ahead of its end, in turn with the account's other requests."""
        async with self._lock:
            return await self.auth.renew(self.auth.access_token)

    def _reading(self, item: Mapping[str, Any]) -> Reading:
        parsed = parse_charge_point(item, self._units(item_id(item)))
        for oddity in parsed.oddities:
            self._on_oddity(oddity)
        for evse in parsed.charge_point.evses:
            if evse.identifier is not None:
                self._owners[evse.identifier] = parsed.charge_point.id
        return Reading(parsed.charge_point, trimmed(item))

    def _session(self, data: Mapping[str, Any] | None, where: str) -> Session | None:
        if data is None:
            return None
        inner = data.get("session")
        fields = inner if isinstance(inner, Mapping) else data  # where `parse_session` reads them too
        owner, evse = fields.get("chargePointId"), fields.get("evseId")
        if not isinstance(owner, str):
            owner = self._owners.get(str(evse)) if isinstance(evse, (str, int)) else None
        oddities: list[Oddity] = []
        session = parse_session(data, self._units(owner), oddities, where)
        for oddity in oddities:
            self._on_oddity(oddity)
        return session

    def _sessions(self, items: list[Any], where: str) -> list[Session]:
        sessions = (self._session(_session_of(item), where) for item in items if isinstance(item, Mapping))
        return [session for session in sessions if session is not None]

    async def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, *, urgent: bool = False
    ) -> Any:
        """`urgent`: a command the user asked for, sent even while the cloud holds polls back (if it refuses
        again, the caller learns for how long)."""
        async with self._lock:
            wait = self._transport.held_for()
            if wait > 0 and not urgent:
                raise RateLimitError(f"rate limited by the AMPECO cloud for another {wait:.0f} s", retry_after=wait)
            token = self.auth.access_token
            try:
                return await self._transport.send(method, path, body, token)
            except AuthError:
                # A rejected token is renewed once (the Authorizer decides how), and the request sent again.
                if not await self.auth.renew(token):
                    raise
            return await self._transport.send(method, path, body, self.auth.access_token)


@dataclass
class _Lookup:
    """What the session endpoints said so far."""

    found: list[Session] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    failed: list[AmpecoError] = field(default_factory=list)

    def add(self, source: str, sessions: list[Session]) -> None:
        known = {session.id for session in self.found}
        self.found += [session for session in sessions if session.id not in known]
        self.sources.append(source)

    def result(self) -> RunningSessions:
        if not self.sources and self.failed:
            raise _named(self.failed[-1], "; ".join(err.message for err in self.failed), prefix=False)
        return RunningSessions(self.found, tuple(self.sources))


def _session_of(answer: Any) -> Mapping[str, Any] | None:
    """`{"session": {...}}` (with `carBatteryPercent` beside it on some tenants) or a bare session; None for
    an empty (202) answer."""
    if answer is None:
        return None
    if not isinstance(answer, Mapping):
        raise PayloadError("the session answer is not a JSON object")
    if "session" in answer and not isinstance(answer["session"], Mapping):
        return None  # {"session": null}: no session
    return answer


def _named(err: AmpecoError, text: str, *, prefix: bool = True) -> AmpecoError:
    """The same error, its message naming where it came from (or replaced by `text`)."""
    named = copy.copy(err)
    named.message = f"{text}: {err.message}" if prefix else text
    named.args = (named.message,)
    return named
