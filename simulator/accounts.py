"""Accounts and their tokens, as Laravel Passport hands them out: access tokens (JWTs) that end, and
single-use refresh tokens that rotate with every renewal.

An account's name is also a token that never ends, so tests and the demo can use a fixed one.
"""

import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SimError

# The white-label app's OAuth client (per tenant, not public in real life).
CLIENT_ID, CLIENT_SECRET = "sim-app", "sim-app-secret-5e1d"


@dataclass(frozen=True)
class Grant:
    account: str
    access_token: str
    refresh_token: str | None
    expires_at: float | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Accounts:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.chargers: dict[str, list[str]] = {}  # account -> charger ids
        self._access: dict[str, tuple[str, float | None]] = {}  # access token -> (account, expires_at)
        self._refresh: dict[str, str] = {}  # refresh token not used yet -> account
        self._used: set[str] = set()
        self.reused: list[str] = []  # refresh tokens presented again after they were used: must stay empty
        self.renewals = 0
        self._serial = itertools.count(1)
        self._users: dict[str, int] = {}

    def add(self, account: str) -> None:
        self.chargers.setdefault(account, [])
        self._access.setdefault(account, (account, None))
        self._users.setdefault(account, 1000 + len(self._users))

    def user_id(self, account: str) -> int:
        return self._users[account]

    def account_of(self, token: str | None) -> str | None:
        """The account a bearer token opens, while it has not ended or been revoked."""
        found = self._access.get(token or "")
        if found is None:
            return None
        account, expires_at = found
        return account if expires_at is None or self.clock() < expires_at else None

    def issue(self, account: str, lifetime: float, *, refresh: bool = True) -> Grant:
        """A new access token (ending after `lifetime` seconds) and, on a tenant that has them, a refresh token."""
        self.add(account)
        now, serial = self.clock(), next(self._serial)
        expires_at = float(int(now + lifetime))
        header = _b64(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
        claims = {
            "aud": "1",
            "jti": f"{serial:040x}",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(expires_at),
            "sub": str(self.user_id(account)),
            "scopes": ["*"],
        }
        access = f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(f'signature-{serial}'.encode() * 4)}"
        self._access[access] = (account, expires_at)
        refresh_token = f"def50200{serial:032x}{account.encode().hex()[:16]}" if refresh else None
        if refresh_token is not None:
            self._refresh[refresh_token] = account
        return Grant(account, access, refresh_token, expires_at)

    def revoke(self, token: str) -> None:
        self._access.pop(token, None)

    def renew(self, refresh_token: str, client_id: str, client_secret: str, lifetime: float) -> Grant:
        """The refresh grant: the refresh token is used up and a new pair handed out."""
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            raise SimError(401, "Client authentication failed", error="invalid_client")
        account = self._refresh.pop(refresh_token, None)
        if account is None:
            if refresh_token in self._used:
                self.reused.append(refresh_token)
            raise SimError(400, "The refresh token is invalid.", error="invalid_grant")
        self._used.add(refresh_token)
        self.renewals += 1
        for token, (owner, expires_at) in list(self._access.items()):  # Passport revokes the old access tokens
            if owner == account and expires_at is not None:
                del self._access[token]
        return self.issue(account, lifetime)
