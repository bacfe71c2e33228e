"""The AMPECO driver-app API for one account (host + token): endpoints, auth, timeouts, typed errors.

Knows nothing of Home Assistant or AppDaemon. Answers come back as plain JSON mappings with their envelopes removed;
`models` turns them into dataclasses. One request at a time per account (the cloud sees one polite
client), a shared semaphore bounds requests across accounts, and a 429 blocks every request until the
server's `Retry-After` has passed. A rejected token is renewed through the `Authorizer` once, and the
request sent again with the new one.
"""

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import aiohttp

from .auth import Authorizer, ClientCredentials, StaticToken, TokenGrant, token_expiry
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
from .models import charge_point_items

API_PATH = "/api/v1/"
_MAX_REDIRECTS = 3


@dataclass(frozen=True)
class RequestRecord:
    """One request, for debug logs and counting; carries no token and no body."""

    method: str
    path: str
    status: int | None
    error: str | None
    seconds: float


class AmpecoClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        auth: Authorizer | str,
        *,
        timeout: float = 15.0,
        limiter: asyncio.Semaphore | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "ampeco-client",
    ) -> None:
        self._session = session
        self.host = host.rstrip("/")
        self._base = self.host + API_PATH
        self.auth: Authorizer = StaticToken(auth) if isinstance(auth, str) else auth
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._limiter = limiter
        self._on_request = on_request
        self._clock = clock
        self._user_agent = user_agent
        self._lock = asyncio.Lock()
        self._blocked_until = 0.0
        # Tenants differ in which path ends a session; learnt on first use.
        self._stop_path: str | None = None

    # --- endpoints -----------------------------------------------------------------------------------

    async def charge_points(self) -> list[Mapping[str, Any]]:
        """Every home charger of the account, each with its EVSEs and their running sessions."""
        return charge_point_items(await self._request("GET", "app/personal/charge-points"))

    async def charge_point(self, chargepoint_id: str) -> Mapping[str, Any]:
        answer = await self._request("GET", f"app/personal/charge-points/{quote(chargepoint_id, safe='')}")
        if not isinstance(answer, Mapping):
            raise PayloadError("the charge point answer is not a JSON object")
        return answer

    async def global_settings(self) -> Any:
        """`app/settings/global`: the tenant's settings, the live-update server among them."""
        return await self._request("GET", "app/settings/global")

    async def profile(self) -> Any:
        """`app/profile`: the user, with the `id` their live-update channel is named after."""
        return await self._request("GET", "app/profile")

    async def set_max_current(self, chargepoint_id: str, amps: int) -> Mapping[str, Any] | None:
        path = f"app/personal/charge-points/{quote(chargepoint_id, safe='')}"
        answer = await self._request("PATCH", path, body={"max_current_a": amps})
        return answer if isinstance(answer, Mapping) else None

    async def active_session(self) -> Mapping[str, Any] | None:
        """`app/session/active` as it answers: `{"session": {...}}` (with `carBatteryPercent` beside it on some
        tenants); None on 404, which means no session, or (where a tenant dropped it) no such endpoint."""
        try:
            answer = await self._request("GET", "app/session/active")
        except NotFoundError:
            return None
        if answer is not None and not isinstance(answer, Mapping):
            raise PayloadError("the active session answer is not a JSON object")
        return answer

    async def ongoing_sessions(self) -> list[Mapping[str, Any]]:
        """`app/session/ongoing`: the account's running sessions (empty while the car is full)."""
        answer = await self._request("GET", "app/session/ongoing")
        items = answer.get("data") if isinstance(answer, Mapping) else answer
        if not isinstance(items, list):
            raise PayloadError("the ongoing sessions answer has no list of sessions")
        return [_session_of(item) or {} for item in items if isinstance(item, Mapping)]

    async def session(self, session_id: str) -> Mapping[str, Any] | None:
        return _session_of(await self._request("GET", f"app/session/{quote(session_id, safe='')}"))

    async def session_history(self, start: date, end: date) -> list[Mapping[str, Any]]:
        """Finished sessions of the account between two days (inclusive), each unwrapped from its entry."""
        answer = await self._request("GET", f"app/profile/session_history?start_date={start}&end_date={end}")
        entries = answer.get("session_history") if isinstance(answer, Mapping) else answer
        if not isinstance(entries, list):
            raise PayloadError("the session history answer has no list of sessions")
        return [_session_of(entry) or {} for entry in entries if isinstance(entry, Mapping)]

    async def start_session(self, evse: str, max_current: int | None = None) -> Mapping[str, Any] | None:
        """Start charging on the EVSE this tenant knows as `evse` (its id, or on some tenants its printed
        identifier: the caller decides, and checks where the session landed). None when the cloud accepted
        the start without saying which session (202, empty)."""
        body: dict[str, Any] = {"evseId": evse}
        if max_current is not None:
            body["maxCurrent"] = max_current
        return _session_of(await self._request("POST", "app/session/start", body=body))

    async def stop_session(self, session_id: str) -> Mapping[str, Any] | None:
        """Stop charging. NotFoundError means the session had already ended.

        Tenants end a session at `/end` or at `/stop`; until one has worked, a 404/405 on `/end` tries `/stop`.
        """
        *fallbacks, last = [self._stop_path] if self._stop_path else ["end", "stop"]
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

    async def _stop_with(self, session_id: str, path: str) -> Mapping[str, Any] | None:
        answer = await self._request("POST", f"app/session/{quote(session_id, safe='')}/{path}")
        self._stop_path = path
        return _session_of(answer)

    async def renew_token(self) -> bool:
        """Renew the token ahead of its end, in turn with the account's other requests."""
        async with self._lock:
            return await self.auth.renew(self.auth.access_token)

    async def grant(self, refresh_token: str, client: ClientCredentials) -> TokenGrant:
        """`app/oauth/token` with the refresh grant, for the Authorizer while it renews (the account's requests
        wait meanwhile). Refresh tokens are single use: the answer carries the next one. A refused grant
        raises AuthError."""
        body = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }
        try:
            answer = await self._limited("POST", "app/oauth/token", body, None)
        except RequestError as err:
            if err.code is None:  # not the token endpoint's verdict (a proxy, a glitch): try again later
                raise ServerError(f"the token endpoint answered HTTP {err.status}", status=err.status) from None
            raise AuthError(
                f"the refresh token was refused (HTTP {err.status}: {err.message})", status=err.status
            ) from None
        access = answer.get("access_token") if isinstance(answer, Mapping) else None
        if not isinstance(access, str) or not access:
            raise PayloadError("the token answer carries no access_token")
        refresh = answer.get("refresh_token") if isinstance(answer, Mapping) else None
        expires_in = answer.get("expires_in") if isinstance(answer, Mapping) else None
        expires_at = token_expiry(access)
        if expires_at is None and isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            expires_at = self._clock() + float(expires_in)
        return TokenGrant(access, refresh if isinstance(refresh, str) and refresh else None, expires_at)

    # --- transport -----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None) -> Any:
        async with self._lock:
            wait = self._blocked_until - self._clock()
            if wait > 0:
                raise RateLimitError(f"rate limited by the AMPECO cloud for another {wait:.0f} s", retry_after=wait)
            token = self.auth.access_token
            try:
                return await self._limited(method, path, body, token)
            except AuthError:
                # A rejected token is renewed once (the Authorizer decides how), and the request sent again.
                if not await self.auth.renew(token):
                    raise
            return await self._limited(method, path, body, self.auth.access_token)

    async def _limited(self, method: str, path: str, body: Mapping[str, Any] | None, token: str | None) -> Any:
        if self._limiter is None:
            return await self._send(method, path, body, token)
        async with self._limiter:
            return await self._send(method, path, body, token)

    async def _send(self, method: str, path: str, body: Mapping[str, Any] | None, token: str | None) -> Any:
        started = self._clock()
        status: int | None = None
        try:
            status, headers, raw = await self._exchange(method, self._base + path, body, token)
            answer = self._answer(status, headers, raw, token)
        except AmpecoError as err:
            self._record(method, path, status, err.kind, started)
            raise
        self._record(method, path, status, None, started)
        return answer

    async def _exchange(
        self, method: str, url: str, body: Mapping[str, Any] | None, token: str | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                async with self._session.request(
                    method, url, json=body, headers=headers, timeout=self._timeout, allow_redirects=False
                ) as response:
                    raw = await response.read()
                    if response.status not in (301, 302, 303, 307, 308):
                        return response.status, response.headers, raw
                    url = self._redirect_target(url, response.headers.get("Location", ""))
            except asyncio.TimeoutError:
                raise TransportError(f"no answer from the AMPECO cloud within {self._timeout.total:g} s") from None
            except aiohttp.ClientConnectorCertificateError:
                raise TransportError("the AMPECO host's TLS certificate did not verify") from None
            except aiohttp.ClientConnectorError as err:
                raise TransportError(
                    f"cannot connect to {urlsplit(url).netloc}: {err.os_error.strerror or err}"
                ) from None
            except aiohttp.ClientError as err:
                raise TransportError(f"connection to the AMPECO cloud failed ({type(err).__name__})") from None
        raise ServerError("the AMPECO cloud redirected too many times; check api_host")

    def _redirect_target(self, url: str, location: str) -> str:
        """Follow a redirect only within the same origin: the token must never travel to another host."""
        target = urljoin(url, location)
        old, new = urlsplit(url), urlsplit(target)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise ServerError(f"the AMPECO cloud redirected to another host ({new.netloc or '?'}); check api_host")
        return target

    def _answer(self, status: int, headers: Mapping[str, str], raw: bytes, token: str | None) -> Any:
        if 200 <= status < 300:
            if not raw.strip():
                return None
            try:
                return json.loads(raw)
            except ValueError:
                raise PayloadError(f"the AMPECO cloud answered HTTP {status} with something that is not JSON") from None
        message = _server_message(raw, token)
        if status in (401, 403) and token is not None:
            raise AuthError(
                f"the AMPECO token was rejected (HTTP {status}{': ' + message if message else ''})", status=status
            )
        if status == 404:
            raise NotFoundError(message or "not found", status=status)
        if status == 406:
            raise RefusedError(message or "the charger refused the command", status=status)
        if status == 429:
            retry_after = _retry_after(headers.get("Retry-After"), headers.get("Date"))
            if retry_after is not None:
                self._blocked_until = self._clock() + retry_after
            raise RateLimitError(
                "rate limited by the AMPECO cloud" + (f" for {retry_after:.0f} s" if retry_after is not None else ""),
                retry_after=retry_after,
            )
        if status >= 500:
            raise ServerError(f"the AMPECO cloud had an error (HTTP {status})", status=status)
        raise RequestError(
            message or f"the AMPECO cloud refused the request (HTTP {status})", status=status, code=_oauth_error(raw)
        )

    def _record(self, method: str, path: str, status: int | None, error: str | None, started: float) -> None:
        if self._on_request is not None:
            self._on_request(RequestRecord(method, path, status, error, self._clock() - started))


def _session_of(answer: Any) -> Mapping[str, Any] | None:
    """`{"session": {...}}` or a bare session; None for an empty (202) answer."""
    if answer is None:
        return None
    if isinstance(answer, Mapping):
        inner = answer.get("session", answer)
        return inner if isinstance(inner, Mapping) else None
    raise PayloadError("the session answer is not a JSON object")


def _retry_after(value: str | None, server_date: str | None) -> float | None:
    """Retry-After as seconds, or as an HTTP date (measured from the answer's own Date, so clock skew does
    not matter); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        now = parsedate_to_datetime(server_date).timestamp() if server_date else time.time()
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _server_message(raw: bytes, token: str | None) -> str:
    """The Laravel `message` (plus the first validation error), short and without the token."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts: list[str] = []
    message = data.get("message")
    if isinstance(message, str) and message.strip():
        parts.append(message.strip())
    errors = data.get("errors")
    if isinstance(errors, Mapping):
        first = next(iter(errors.values()), None)
        detail = first[0] if isinstance(first, list) and first else first
        if isinstance(detail, str) and detail.strip() and detail.strip() not in parts:
            parts.append(detail.strip())
    text = " ".join(parts)
    return (text.replace(token, "***") if token else text)[:200]


def _oauth_error(raw: bytes) -> str | None:
    """OAuth's error code in a token endpoint's answer (`{"error": "invalid_grant", ...}`), if any."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    code = data.get("error") if isinstance(data, Mapping) else None
    return code if isinstance(code, str) and code else None
