"""`Transport` over a fake aiohttp session, one test per rule of its docstrings: a server's wait clamped, redirects
only within the origin, answers bounded after decompression, one error class per cause, no token in a message."""

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from ampeco_ev_charger.ampeco import (
    AuthError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RefusedError,
    RequestError,
    RequestRecord,
    ServerError,
    Transport,
    TransportError,
)

HOST = "https://tenant.example"
TOKEN = "eyJ.secret-token"
CAP = 64 * 1024  # bytes an answer may have, for these tests


@dataclass
class Answer:
    """What the fake server sends: the body as it travels (compressed or not), in chunks of `chunk` bytes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunk: int = 4096


class Content:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer

    async def iter_chunked(self, _size: int) -> AsyncIterator[bytes]:
        body, step = self._answer.body, self._answer.chunk
        for start in range(0, len(body), step):
            yield body[start : start + step]


class Response:
    def __init__(self, answer: Answer) -> None:
        self.status = answer.status
        self.headers = CIMultiDict(answer.headers)
        length = self.headers.get("Content-Length")
        self.content_length = int(length) if length is not None else None
        self.content = Content(answer)

    async def __aenter__(self) -> "Response":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


class Session:
    """aiohttp's ClientSession as the transport uses it: each request answered in turn, or failing."""

    def __init__(self, *answers: Answer | BaseException) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, **options: Any) -> Response:
        self.requests.append((method, url, options))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return Response(answer)

    @property
    def urls(self) -> list[str]:
        return [url for _method, url, _options in self.requests]


def transport(*answers: Answer | BaseException, **options: Any) -> tuple[Transport, Session]:
    session = Session(*answers)
    made = Transport(session, HOST, clock=lambda: 1000.0, max_answer_bytes=CAP, longest_wait=1800.0, **options)
    return made, session


def json_answer(data: object, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(data).encode(), headers)


async def test_a_request_carries_the_token_and_answers_its_json():
    made, session = transport(json_answer({"data": []}))
    assert await made.send("GET", "app/personal/charge-points", None, TOKEN) == {"data": []}
    ((method, url, options),) = session.requests
    assert (method, url) == ("GET", f"{HOST}/api/v1/app/personal/charge-points")
    assert options["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert options["allow_redirects"] is False and options["auto_decompress"] is False  # both done here


async def test_an_empty_success_is_none():
    made, _session = transport(Answer(202))
    assert await made.send("POST", "app/session/start", {"evseId": "1"}, TOKEN) is None


SERVER_DATE = datetime(2025, 11, 24, 12, 0, tzinfo=timezone.utc)


def http_date(seconds_after: float) -> str:
    return format_datetime(datetime.fromtimestamp(SERVER_DATE.timestamp() + seconds_after, timezone.utc), usegmt=True)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("120", 120.0),
        (http_date(90), 90.0),  # measured from the answer's own Date: our clock's skew does not matter
        ("86400", 1800.0),  # absurd: clamped to the longest wait
        (http_date(10 * 86400), 1800.0),
        ("-5", 0.0),
        (http_date(-60), 0.0),
        ("inf", 1800.0),
        ("nan", None),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date_is_clamped(value, wait):
    made, _session = transport()
    assert made.retry_after(value, format_datetime(SERVER_DATE, usegmt=True)) == wait


async def test_a_429_holds_requests_back_for_the_servers_wait():
    made, _session = transport(Answer(429, headers={"Retry-After": "60"}))
    with pytest.raises(RateLimitError, match="for 60 s") as raised:
        await made.send("GET", "app/personal/charge-points", None, TOKEN)
    assert raised.value.retry_after == 60.0 and made.held_for() == 60.0


async def test_a_redirect_within_the_origin_is_followed_with_the_token():
    made, session = transport(Answer(302, headers={"Location": "/api/v1/app/personal/charge-points/"}), json_answer([]))
    assert await made.send("GET", "app/personal/charge-points", None, TOKEN) == []
    assert session.urls[1] == f"{HOST}/api/v1/app/personal/charge-points/"
    assert session.requests[1][2]["headers"]["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "location", ["https://elsewhere.example/api/v1/x", "http://tenant.example/api/v1/x", "//elsewhere.example/x"]
)
async def test_a_redirect_to_another_origin_is_never_followed(location):
    made, session = transport(Answer(301, headers={"Location": location}))
    with pytest.raises(ServerError, match="redirected to another host"):
        await made.send("GET", "app/profile", None, TOKEN)
    assert len(session.requests) == 1  # the token never went there


async def test_redirects_without_end_are_a_server_error():
    made, session = transport(*[Answer(307, headers={"Location": "/api/v1/loop"}) for _ in range(4)])
    with pytest.raises(ServerError, match="redirected too many times"):
        await made.send("GET", "app/profile", None, TOKEN)
    assert len(session.requests) == 4


def big(size: int) -> bytes:
    return json.dumps({"data": "x" * size}).encode()


GZIP, DEFLATE = {"Content-Encoding": "gzip"}, {"Content-Encoding": "deflate"}
UNUSABLE = {
    "declared-too-large": (Answer(body=big(CAP), headers={"Content-Length": str(len(big(CAP)))}), "too large"),
    "streamed-too-large": (Answer(body=big(CAP)), "larger than"),  # no length said: counted as it comes
    "gzip-bomb": (Answer(body=gzip.compress(big(20 * CAP)), headers=GZIP), "larger than"),
    "deflate-bomb": (Answer(body=zlib.compress(big(20 * CAP)), headers=DEFLATE), "larger than"),
    "broken-gzip": (Answer(body=gzip.compress(big(100))[:-30] + b"\x00" * 30, headers=GZIP), "broken"),
    "not-gzip": (Answer(body=b"\x1f\x8b not gzip at all", headers=GZIP), "broken"),
    "brotli": (Answer(body=big(10), headers={"Content-Encoding": "br"}), "not supported"),
    "html": (Answer(body=b"<html>Bad gateway</html>"), "not JSON"),
    "deep-nesting": (Answer(body=b"[" * 5000 + b"]" * 5000), "not JSON"),  # deeper than Python follows
    "long-number": (Answer(body=b"1" * 5000), "not JSON"),  # more digits than Python reads
}


@pytest.mark.parametrize(("answer", "problem"), UNUSABLE.values(), ids=UNUSABLE.keys())
async def test_an_answer_we_cannot_use_is_a_payload_error(answer, problem):
    made, _session = transport(answer)
    with pytest.raises(PayloadError, match=problem):
        await made.send("GET", "app/personal/charge-points", None, TOKEN)


async def test_a_compressed_answer_within_the_cap_is_read():
    data = {"data": [{"id": "CP1"}] * 10}
    made, _session = transport(
        Answer(body=gzip.compress(json.dumps(data).encode()), headers={"Content-Encoding": "gzip"})
    )
    assert await made.send("GET", "app/personal/charge-points", None, TOKEN) == data


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (401, AuthError, "auth"),
        (403, AuthError, "auth"),
        (404, NotFoundError, "not_found"),
        (406, RefusedError, "refused"),
        (429, RateLimitError, "rate_limit"),
        (500, ServerError, "server"),
        (503, ServerError, "server"),
        (400, RequestError, "rejected"),
        (405, RequestError, "rejected"),
        (422, RequestError, "rejected"),
    ],
)
async def test_each_status_has_its_error_class(status, error, kind):
    records: list[RequestRecord] = []
    made, _session = transport(json_answer({"message": "no"}, status), on_request=records.append)
    with pytest.raises(error) as raised:
        await made.send("GET", "app/profile", None, TOKEN)
    assert type(raised.value) is error and raised.value.kind == kind
    assert records == [RequestRecord("GET", "app/profile", status, kind, 0.0)]


async def test_a_401_without_a_token_is_the_token_endpoints_verdict_with_its_code():
    made, _session = transport(json_answer({"error": "invalid_grant", "message": "The refresh token is invalid."}, 401))
    with pytest.raises(RequestError) as raised:
        await made.send("POST", "app/oauth/token", {"grant_type": "refresh_token"}, None)
    assert raised.value.code == "invalid_grant" and raised.value.message == "The refresh token is invalid."


async def test_the_servers_message_is_kept_short_and_never_carries_the_token():
    answer = {"message": f"Token {TOKEN} is not valid.", "errors": {"evseId": ["The selected evse id is invalid."]}}
    made, _session = transport(json_answer(answer, 422))
    with pytest.raises(RequestError) as raised:
        await made.send("POST", "app/session/start", {"evseId": "1"}, TOKEN)
    assert raised.value.message == "Token *** is not valid. The selected evse id is invalid."


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (asyncio.TimeoutError(), "no answer from the AMPECO cloud within 15 s"),
        (aiohttp.ServerDisconnectedError(), "connection to the AMPECO cloud failed (ServerDisconnectedError)"),
        (aiohttp.ClientPayloadError("cut"), "connection to the AMPECO cloud failed (ClientPayloadError)"),
    ],
    ids=["timeout", "disconnected", "cut-short"],
)
async def test_no_answer_at_all_is_a_transport_error(failure, says):
    made, _session = transport(failure)
    with pytest.raises(TransportError) as raised:
        await made.send("GET", "app/profile", None, TOKEN)
    assert raised.value.message == says and TOKEN not in raised.value.message


async def test_requests_of_accounts_sharing_a_limit_wait_their_turn():
    limiter = asyncio.Semaphore(1)
    made, session = transport(json_answer([]), limiter=limiter)
    async with limiter:
        waiting = asyncio.ensure_future(made.send("GET", "app/profile", None, TOKEN))
        await asyncio.sleep(0)
        assert session.requests == []
    assert await waiting == []
