"""One account's credentials at run time: the token sent, how it is renewed, and when it ends.

- A token the cloud rejects is renewed at most once per rejection: with a new value the user put in the
  secrets file, else with the refresh grant where one is configured.
- Refresh tokens are single use and rotate: each new pair is saved at once (the memory file is the owner's
  alone) and the old refresh token is never sent again.
- Before the token ends, the refresh grant renews it ahead of time; without one (or when the grant is
  refused), the user is told 14 days before.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from ..ampeco import AmpecoError, AuthError, ClientCredentials, TokenGrant, token_expiry, token_issued
from .logbook import Logbook
from .memory_file import Saved
from .secrets_file import SecretsFile, fingerprint

DAY = 86400.0
WARN_BEFORE = 14 * DAY
# Renew this long before the end (or, for short-lived tokens, once half their life has passed).
RENEW_AHEAD = 15 * DAY

Grant = Callable[[str, ClientCredentials], Awaitable[TokenGrant]]
# Refresh tokens the app has sent, remembered (as fingerprints) so that none is ever sent twice.
_SPENT_KEPT = 20


@dataclass(frozen=True)
class Configured:
    """What apps.yaml gave: the token, and the refresh grant where there is one."""

    access_token: str
    refresh_token: str | None = None
    client: ClientCredentials | None = None


class Credentials:
    def __init__(
        self,
        configured: Configured,
        logbook: Logbook,
        clock: Callable[[], float],
        *,
        grant: Grant,
        saved: Callable[[], Awaitable[object]],
        secrets: SecretsFile | None = None,
    ) -> None:
        self.logbook = logbook
        self.clock = clock
        self.secrets = secrets
        self.grant = grant  # `app/oauth/token` with the refresh grant
        self.on_renewed = saved  # the memory file, saved at once: a renewed refresh token is the only valid one
        self._lock = asyncio.Lock()
        self._renewing: asyncio.Future[bool] | None = None
        self._spent: list[str] = []
        # Where the user keeps them in the secrets file, so a replaced value can be found there (`locate`).
        self._names: tuple[str | None, str | None] = (None, None)
        self._adopt(configured)

    async def locate(self) -> None:
        """Find under which names the secrets file holds the tokens given (off the event loop: it is a file)."""
        secrets, configured = self.secrets, self.configured
        if secrets is None:
            return
        token = await asyncio.to_thread(secrets.name_of, configured.access_token)
        refresh = (
            await asyncio.to_thread(secrets.name_of, configured.refresh_token) if configured.refresh_token else None
        )
        self._names = (token, refresh)
        if secrets.problem:
            self.logbook.once(
                f"secrets:{secrets.path}",
                f"a token replaced in {secrets.path} cannot be taken up while the app runs ({secrets.problem}); "
                "a new token takes effect when AppDaemon reloads the app",
                "WARNING",
            )

    def _adopt(self, configured: Configured) -> None:
        """Start afresh from what the user gave."""
        self.configured = configured
        self.seed = fingerprint(configured.access_token, configured.refresh_token)
        self._use(TokenGrant(configured.access_token, configured.refresh_token, token_expiry(configured.access_token)))
        self.refused: str | None = None  # why the refresh grant was refused (it is not tried again)

    def _use(self, grant: TokenGrant) -> None:
        self.current = grant
        self.logbook.add_secret(grant.access_token)
        if grant.refresh_token:
            self.logbook.add_secret(grant.refresh_token)

    # --- what the client needs (ampeco.Authorizer) -----------------------------------------------------

    @property
    def access_token(self) -> str:
        return self.current.access_token

    async def renew(self, rejected: str, /) -> bool:
        async with self._lock:
            if rejected != self.current.access_token:
                return True  # already renewed while this request waited
            if await self.take_new_secrets():
                return True
            return await self._refresh()

    # --- renewal -----------------------------------------------------------------------------------------

    @property
    def expires_at(self) -> float | None:
        return self.current.expires_at

    @property
    def can_refresh(self) -> bool:
        return bool(self.current.refresh_token and self.configured.client and self.refused is None)

    def renewal_due(self) -> bool:
        """Time to renew ahead of the end (only where there is a refresh grant)."""
        if not self.can_refresh or self.expires_at is None:
            return False
        issued = token_issued(self.current.access_token)
        if issued is None:
            issued = self.current.issued_at
        ahead = RENEW_AHEAD if issued is None else min(RENEW_AHEAD, (self.expires_at - issued) / 2)
        return self.expires_at - self.clock() <= ahead

    async def take_new_secrets(self) -> bool:
        """A token (and refresh token) the user put in the secrets file since: taken up, True."""
        token_name, refresh_name = self._names
        if self.secrets is None or token_name is None:
            return False
        secrets = self.secrets
        token = await asyncio.to_thread(secrets.value, token_name)
        if not token or token == self.configured.access_token:
            return False
        refresh = await asyncio.to_thread(secrets.value, refresh_name) if refresh_name else None
        self._adopt(Configured(token, refresh or None, self.configured.client))
        self.logbook(
            f"a new AMPECO token was found in {secrets.path.name} (under `{token_name}`) and is used from now on"
        )
        await self._saved()
        return True

    async def _refresh(self) -> bool:
        refresh, client = self.current.refresh_token, self.configured.client
        if not self.can_refresh or refresh is None or client is None:
            return False
        if fingerprint(refresh) in self._spent:  # sending it again can revoke every token of the account
            self.refused = (
                f"the refresh token was already used once; capture a new token and refresh token, and {self.advice}"
            )
            self.logbook.once("refresh", f"renewing the AMPECO token is not possible: {self.refused}", "ERROR")
            return False
        # The grant runs to its end even when the request that asked for it is cancelled (AppDaemon stopping
        # the app): a refresh token the cloud has used up must never be lost with the pair it bought.
        self._renewing = asyncio.ensure_future(self._renew_with(refresh, client, self.grant))
        return await asyncio.shield(self._renewing)

    async def _renew_with(self, refresh: str, client: ClientCredentials, grant: Grant) -> bool:
        try:
            renewed = await grant(refresh, client)
        except AuthError as err:
            self._spend(refresh)
            self.refused = f"{err.message}; capture a new token and refresh token, and {self.advice}"
            self.logbook.once("refresh", f"renewing the AMPECO token failed: {self.refused}", "ERROR")
            return False
        except AmpecoError as err:  # the cloud failing: try again next time
            self.logbook(f"renewing the AMPECO token failed for now ({err.message}); will try again", "WARNING")
            return False
        if renewed.refresh_token and renewed.refresh_token != refresh:
            self._spend(refresh)  # single use: it bought the new pair
        self._use(replace(renewed, refresh_token=renewed.refresh_token or refresh))
        self.logbook.forget("refresh")
        self.logbook("the AMPECO token was renewed with the refresh token")
        await self._saved()
        return True

    def _spend(self, refresh: str) -> None:
        self._spent = [*self._spent, fingerprint(refresh)][-_SPENT_KEPT:]

    async def settle(self) -> None:
        """Let a renewal under way finish (the app is stopping): its new pair must be kept."""
        if self._renewing is not None and not self._renewing.done():
            with contextlib.suppress(Exception):
                await self._renewing

    async def _saved(self) -> None:
        await self.on_renewed()

    # --- what the user is told ---------------------------------------------------------------------------

    @property
    def advice(self) -> str:
        """How to give the app a new token, as it will really be taken up."""
        name = self._names[0]
        if self.secrets is not None and name is not None:
            return f"put a new token in {self.secrets.path.name} under `{name}`: the app takes it up within a minute"
        return "put a new token as `auth_token` in apps.yaml: AppDaemon then reloads the app"

    def expiring(self) -> bool:
        """The token ends within 14 days and nothing will renew it."""
        return self.expires_at is not None and not self.can_refresh and self.expires_at - self.clock() <= WARN_BEFORE

    @property
    def problem(self) -> str | None:
        """What the user must do about the credentials, if anything (the problem sensor's reason)."""
        if self.refused is not None:
            return self.refused
        if self.expiring() and self.expires_at is not None:
            left = (self.expires_at - self.clock()) / DAY
            when = f"in {left:.0f} day(s)" if left > 0 else "already"
            return f"the AMPECO token ends {when}; {self.advice}"
        return None

    # --- memory ----------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """For the memory file (the owner's alone): the pair in use once it was renewed (its refresh token is
        then the only valid one), never the tokens the user gave; and which refresh tokens were spent."""
        saved: dict[str, Any] = {"seed": self.seed, "refused": self.refused, "spent": self._spent}
        if self.current.access_token != self.configured.access_token:
            saved |= {
                "access_token": self.current.access_token,
                "refresh_token": self.current.refresh_token,
                "expires_at": self.current.expires_at,
                "issued_at": self.current.issued_at,
            }
        return saved

    def restore(self, saved: Saved) -> None:
        """Go on with a renewed pair from the last run, unless the user has given new tokens since. When the
        memory file could not be had, a refresh token given in apps.yaml may be spent: it is not sent."""
        self._spent = saved.texts("spent")[-_SPENT_KEPT:]
        if saved.lost and self.can_refresh:
            self.refused = (
                "the app's memory file could not be read, so the refresh token in apps.yaml may have been used "
                "already (sending it again can lock the account on some vendors); make the memory file readable "
                f"and reload the app, or capture a new token and refresh token, and {self.advice}"
            )
            return
        if saved.text("seed") != self.seed:
            return
        self.refused = saved.text("refused")
        access, refresh = saved.text("access_token"), saved.text("refresh_token")
        if access:
            expires_at = saved.number("expires_at", low=0) or token_expiry(access)
            self._use(TokenGrant(access, refresh or None, expires_at, saved.number("issued_at", low=0)))
