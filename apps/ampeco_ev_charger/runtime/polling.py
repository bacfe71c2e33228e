"""When to ask the AMPECO cloud next: fast while charging, slow when idle, backing off on errors.

A pure policy: the caller says what it knows (activity, unchanged rounds, failures, the last error) and
gets a delay. Between charging and idle lies "a session may start, run or end" (a car plugged in, a full
car, an unknown status): it starts at the charging cadence and stretches back to the idle one while the
readings stay the same, so a car left plugged in costs no more than an idle charger.
"""

import enum
from dataclasses import dataclass

from ..ampeco import AuthError, Evse, RateLimitError, status_is, suggests_session


class Activity(enum.IntEnum):
    IDLE = 0
    POSSIBLE = 1  # a car at the socket, a session without power, or a status we do not know
    CHARGING = 2  # power flows


@dataclass(frozen=True)
class PollPolicy:
    charging_interval: float = 30.0
    idle_interval: float = 300.0
    # While live updates flow, an event wakes the app: the idle cadence (and the ramp of a car left plugged
    # in) may stretch to this. Charging keeps its cadence: events carry no power or energy.
    relaxed_interval: float = 1800.0
    # While a command waits for the cloud to show its effect: every second at first, so sensors follow
    # within a second or two, then every few seconds, for at most a minute.
    confirm_fast: float = 1.0
    confirm_fast_for: float = 10.0
    confirm_slow: float = 5.0
    max_backoff: float = 1800.0
    # A rejected token is rarely fixed by asking again: after about a minute, then five, then every 30
    # minutes, recovering by itself once it works (a token replaced in the secrets file is taken up sooner).
    auth_intervals: tuple[float, ...] = (60.0, 300.0, 1800.0)
    jitter: float = 0.2

    def delay(
        self,
        *,
        activity: Activity,
        quiet_rounds: int = 0,
        confirming: float | None = None,
        failures: int = 0,
        error: Exception | None = None,
        rand: float = 0.0,
        relaxed: bool = False,
    ) -> float:
        """Seconds until the next poll. `confirming`: seconds since the command still waiting to show;
        `rand` in [0, 1) spreads retries so clients do not stampede."""
        normal = self.normal(activity, quiet_rounds, relaxed=relaxed)
        if failures <= 0 or error is None:
            if confirming is None:
                return normal
            return self.confirm_fast if confirming < self.confirm_fast_for else self.confirm_slow
        if isinstance(error, AuthError):
            return self.auth_intervals[min(failures, len(self.auth_intervals)) - 1] * (1 - self.jitter * rand)
        backoff = min(self.max_backoff, normal * 2.0 ** min(failures - 1, 32)) * (1 - self.jitter * rand)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return max(backoff, error.retry_after)
        return backoff

    def normal(self, activity: Activity, quiet_rounds: int = 0, *, relaxed: bool = False) -> float:
        """The cadence without errors; `quiet_rounds` is how many rounds in a row read nothing new; `relaxed`:
        live updates flow."""
        idle = self.relaxed_interval if relaxed else self.idle_interval
        if activity is Activity.CHARGING:
            return self.charging_interval
        if activity is Activity.POSSIBLE:
            return min(idle, self.charging_interval * 2.0 ** min(quiet_rounds, 32))
        return idle


def activity(evse: Evse | None, session_known: bool = False) -> Activity:
    """How closely one EVSE needs watching (a paused or full car still has its session)."""
    if evse is None:
        return Activity.POSSIBLE if session_known else Activity.IDLE
    session = evse.open_session
    if (session is not None and (session.power_kw or 0) > 0) or status_is(evse.status, "charging"):
        return Activity.CHARGING
    if session is not None or session_known or suggests_session(evse.status):
        return Activity.POSSIBLE
    return Activity.IDLE
