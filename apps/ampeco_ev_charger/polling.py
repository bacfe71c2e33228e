"""When to ask the AMPECO cloud next: fast while a session may run, slow when idle, backing off on errors.

A pure policy: the caller says what it knows (activity, failures, the last error) and gets a delay.
"""

from dataclasses import dataclass

from .errors import AmpecoError, AuthError, RateLimitError
from .models import Evse
from .status import suggests_session


@dataclass(frozen=True)
class PollPolicy:
    charging_interval: float = 30.0
    idle_interval: float = 300.0
    # While a command waits for the cloud to confirm it, so sensors follow within seconds.
    confirm_interval: float = 2.0
    max_backoff: float = 1800.0
    # A rejected token is not fixed by retrying: look again rarely, recover by itself when it works.
    auth_interval: float = 1800.0
    jitter: float = 0.2

    def delay(
        self,
        *,
        active: bool,
        confirming: bool = False,
        failures: int = 0,
        error: AmpecoError | None = None,
        rand: float = 0.0,
    ) -> float:
        """Seconds until the next poll. `rand` in [0, 1) spreads retries so clients do not stampede."""
        if failures <= 0 or error is None:
            if confirming:
                return self.confirm_interval
            return self.charging_interval if active else self.idle_interval
        if isinstance(error, AuthError):
            return self.auth_interval * (1 - self.jitter * rand)
        backoff = self.backoff(active=active, failures=failures, rand=rand)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return max(backoff, error.retry_after)
        return backoff

    def backoff(self, *, active: bool, failures: int, rand: float) -> float:
        """Starts at the normal interval, doubles per failure, capped; jitter only ever shortens it."""
        base = self.charging_interval if active else self.idle_interval
        capped = min(self.max_backoff, base * 2 ** min(failures - 1, 32))
        return capped * (1 - self.jitter * rand)


def may_be_charging(evse: Evse | None) -> bool:
    """A session may be running: poll at the charging cadence (a full or paused car still has a session)."""
    if evse is None:
        return False
    if evse.session is not None and evse.session.is_open:
        return True
    return suggests_session(evse.status)
