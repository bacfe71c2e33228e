"""Tokens: when an access token ends, and how a client gets the one to send.

AMPECO's access tokens are Laravel Passport JWTs whose `exp` claim says when they end (365 days on Drivee,
about 30 on Elaway). The signature is not checked here: the cloud does that; the date only tells the user
when to act. Some tenants also hand out a single-use refresh token that renews the pair.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from typing import Protocol


def _claims(token: str) -> dict[str, object]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


# The last second a date can be shown (9999-12-31): a claim past it is no date anyone can act on.
_LAST = 253402300799.0


def _time(value: object) -> float | None:
    """A claim as a POSIX time; None for anything that is not a time a calendar can show."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= _LAST else None


def token_expiry(token: str) -> float | None:
    """The `exp` of a JWT as a POSIX timestamp; None for a token that is not a JWT or carries no date."""
    return _time(_claims(token).get("exp"))


def token_issued(token: str) -> float | None:
    """The `iat` of a JWT (when it was issued), where it has one."""
    return _time(_claims(token).get("iat"))


@dataclass(frozen=True)
class TokenGrant:
    """What `app/oauth/token` hands out: an access token, and (on some tenants) the refresh token that renews
    it once."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    issued_at: float | None = None  # when the end came from the answer's `expires_in`, not from the token


@dataclass(frozen=True)
class ClientCredentials:
    """The white-label app's OAuth client: needed, with a refresh token, to renew a token."""

    client_id: str
    client_secret: str = field(repr=False)


class Authorizer(Protocol):
    """Where a client gets the token to send, and who may renew it when the cloud rejects it."""

    @property
    def access_token(self) -> str: ...

    async def renew(self, rejected: str, /) -> bool:
        """The cloud rejected `rejected`: get a new token if there is a way; True when there is one to try.
        Called at most once per rejected token."""


class StaticToken:
    """A token that cannot be renewed (the connection check, a tenant without refresh tokens)."""

    def __init__(self, token: str) -> None:
        self._token = token

    @property
    def access_token(self) -> str:
        return self._token

    async def renew(self, _rejected: str, /) -> bool:
        return False
