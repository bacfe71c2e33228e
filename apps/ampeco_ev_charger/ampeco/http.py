"""One account's HTTP to an AMPECO host: requests, bounded answers, and one error class per cause.

Nothing the cloud sends can take more than it should: an answer is read to at most `MAX_ANSWER_BYTES` after
decompression (done here, in bounded steps, never by aiohttp at once), JSON nested deeper than Python can
follow is a payload error, and a server-given wait (`Retry-After`) is clamped to the caller's longest wait.
"""

import asyncio
import json
import math
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

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

API_PATH = "/api/v1/"
# A charge point list of a home account is a few tens of KB; an answer past this is not one we can use.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)
_ENCODINGS = {"gzip": 31, "x-gzip": 31, "deflate": 15}  # zlib's wbits for each


@dataclass(frozen=True)
class RequestRecord:
    """One request, for debug logs and counting; carries no token and no body."""

    method: str
    path: str
    status: int | None
    error: str | None
    seconds: float


class Transport:
    """Requests to one AMPECO host. `longest_wait` bounds any wait the server asks for (`Retry-After`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        timeout: float = 15.0,
        limiter: asyncio.Semaphore | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "ampeco-client",
        longest_wait: float = 1800.0,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._session = session
        self.host = host.rstrip("/")
        self._base = self.host + API_PATH
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._limiter = limiter
        self._on_request = on_request
        self.clock = clock
        self._user_agent = user_agent
        self.longest_wait = longest_wait
        self._max_bytes = max_answer_bytes
        self._blocked_until = 0.0

    def held_for(self) -> float:
        """Seconds the cloud still asks us to wait before the next request (0 when it does not)."""
        return max(0.0, self._blocked_until - self.clock())

    async def send(self, method: str, path: str, body: Mapping[str, Any] | None, token: str | None) -> Any:
        """The answer's JSON (None for an empty success); raises the AmpecoError of its cause."""
        if self._limiter is None:
            return await self._send(method, path, body, token)
        async with self._limiter:
            return await self._send(method, path, body, token)

    async def _send(self, method: str, path: str, body: Mapping[str, Any] | None, token: str | None) -> Any:
        started = self.clock()
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
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "User-Agent": self._user_agent}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                async with self._session.request(
                    method,
                    url,
                    json=body,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                    auto_decompress=False,
                ) as response:
                    if response.status not in _REDIRECTS:
                        return response.status, response.headers, await self._read(response)
                    url = _redirect_target(url, response.headers.get("Location", ""))
            except asyncio.TimeoutError:
                raise TransportError(f"no answer from the AMPECO cloud within {self._timeout.total:g} s") from None
            except aiohttp.ClientConnectorCertificateError:
                raise TransportError("the AMPECO host's TLS certificate did not verify") from None
            except aiohttp.ClientConnectorError as err:
                reason = err.os_error.strerror or err
                raise TransportError(f"cannot connect to {urlsplit(url).netloc}: {reason}") from None
            except aiohttp.ClientError as err:
                raise TransportError(f"connection to the AMPECO cloud failed ({type(err).__name__})") from None
        raise ServerError("the AMPECO cloud redirected too many times; check api_host")

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, decompressed in bounded steps: a small answer that inflates without end is refused."""
        declared = response.content_length
        if declared is not None and declared > self._max_bytes:
            raise PayloadError(f"the AMPECO cloud's answer is too large ({declared} bytes)")
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity") and encoding not in _ENCODINGS:
            raise PayloadError(f"the AMPECO cloud's answer is encoded as {encoding[:20]!r}, which is not supported")
        inflate = zlib.decompressobj(_ENCODINGS[encoding]) if encoding in _ENCODINGS else None
        body = bytearray()
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            if inflate is None:
                body += chunk
            else:
                try:
                    body += inflate.decompress(chunk, self._max_bytes + 1 - len(body))
                except zlib.error:
                    raise PayloadError("the AMPECO cloud's compressed answer is broken") from None
            if len(body) > self._max_bytes or (inflate is not None and inflate.unconsumed_tail):
                raise PayloadError(f"the AMPECO cloud's answer is larger than {self._max_bytes // 1024 // 1024} MB")
        return bytes(body)

    def _answer(self, status: int, headers: Mapping[str, str], raw: bytes, token: str | None) -> Any:
        if 200 <= status < 300:
            if not raw.strip():
                return None
            return parse_json(raw, f"the AMPECO cloud answered HTTP {status} with something that is not JSON")
        message = server_message(raw, token)
        if status in (401, 403) and token is not None:
            raise AuthError(
                f"the AMPECO token was rejected (HTTP {status}{': ' + message if message else ''})", status=status
            )
        if status == 404:
            raise NotFoundError(message or "not found", status=status)
        if status == 406:
            raise RefusedError(message or "the charger refused the command", status=status)
        if status == 429:
            wait = self.retry_after(headers.get("Retry-After"), headers.get("Date"))
            if wait is not None:
                self._blocked_until = self.clock() + wait
            raise RateLimitError(
                "rate limited by the AMPECO cloud" + (f" for {wait:.0f} s" if wait is not None else ""),
                retry_after=wait,
            )
        if status >= 500:
            raise ServerError(f"the AMPECO cloud had an error (HTTP {status})", status=status)
        raise RequestError(
            message or f"the AMPECO cloud refused the request (HTTP {status})", status=status, code=oauth_error(raw)
        )

    def retry_after(self, value: str | None, server_date: str | None) -> float | None:
        """Retry-After as seconds, or as an HTTP date (measured from the answer's own Date, so clock skew does
        not matter), never longer than `longest_wait`; None when absent or unreadable."""
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                now = parsedate_to_datetime(server_date).timestamp() if server_date else time.time()
                seconds = parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError, OverflowError):
                return None
        if math.isnan(seconds):
            return None
        return min(self.longest_wait, max(0.0, seconds))

    def _record(self, method: str, path: str, status: int | None, error: str | None, started: float) -> None:
        if self._on_request is not None:
            self._on_request(RequestRecord(method, path, status, error, self.clock() - started))


def _redirect_target(url: str, location: str) -> str:
    """Follow a redirect only within the same origin: the token must never travel to another host."""
    target = urljoin(url, location)
    old, new = urlsplit(url), urlsplit(target)
    if (old.scheme, old.netloc) != (new.scheme, new.netloc):
        raise ServerError(f"the AMPECO cloud redirected to another host ({new.netloc or '?'}); check api_host")
    return target


def parse_json(raw: bytes | str, problem: str) -> Any:
    """JSON, or a PayloadError saying `problem`: also for numbers too long for Python and nesting too deep."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise PayloadError(problem) from None


def _json_object(raw: bytes) -> Mapping[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, Mapping) else None


def server_message(raw: bytes, token: str | None) -> str:
    """The Laravel `message` (plus the first validation error), short and without the token."""
    data = _json_object(raw)
    if data is None:
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


def oauth_error(raw: bytes) -> str | None:
    """OAuth's error code in a token endpoint's answer (`{"error": "invalid_grant", ...}`), if any."""
    data = _json_object(raw)
    code = data.get("error") if data is not None else None
    return code[:40] if isinstance(code, str) and code else None
