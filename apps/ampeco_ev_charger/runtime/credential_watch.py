"""An eye on each account's credentials: a token the user replaced in the secrets file is taken up within
a minute, and a token about to end, with nothing to renew it, is said once (a WARNING and an event)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..ampeco import AuthError
from ..times import iso_time
from .account import Account
from .logbook import Logbook
from .secrets_file import fingerprint
from .timers import Scheduler, Timer

# While an account's token is rejected or about to end, the secrets file is looked at this often (a stat;
# it is read again only when it has changed).
WATCH_EVERY = 15.0


@dataclass(frozen=True)
class TokenExpiring:
    chargepoint_ids: tuple[str, ...]
    expires_at: float


class CredentialWatch:
    def __init__(self, accounts: Callable[[], Iterable[Account]], scheduler: Scheduler, logbook: Logbook) -> None:
        self.accounts = accounts  # every account run now
        self.scheduler = scheduler
        self.logbook = logbook
        self._timer = Timer(scheduler, self._look)
        self._warned: dict[Account, str] = {}  # the token each warning was about

    def expiring(self, account: Account) -> TokenExpiring | None:
        """A warning due after this round: once per token, while nothing will renew it."""
        credentials = account.credentials
        if not credentials.expiring() or credentials.expires_at is None:
            return None
        token = fingerprint(credentials.access_token)
        if self._warned.get(account) == token:
            return None
        self._warned[account] = token
        self.logbook(f"{account.labels}: {credentials.problem} (on {iso_time(credentials.expires_at)})", "WARNING")
        return TokenExpiring(tuple(c.id for c in account.chargers), credentials.expires_at)

    async def watch(self) -> None:
        """After each round: look at the secrets file while some account needs a new token."""
        if any(map(_needs_token, self.accounts())) and not self._timer.pending:
            await self._timer.set(WATCH_EVERY)

    async def stop(self) -> None:
        await self._timer.cancel()

    async def _look(self) -> None:
        for account in filter(_needs_token, list(self.accounts())):
            if await account.credentials.take_new_secrets():
                await account.refresh()
        await self.watch()


def _needs_token(account: Account) -> bool:
    return isinstance(account.error, AuthError) or account.credentials.problem is not None
