"""What the runtime knows about one charger at one moment: the picture every publishing path shows.

Values are never faked: without a reading the charger is not `available`; while the cloud fails the last good
reading stays, marked `stale`, until `unavailable_after` seconds have passed since it was read.
"""

from dataclasses import dataclass

from ..ampeco import ChargePoint, Evse, Session, status_is
from .lifecycle import Memory, SessionSummary


@dataclass(frozen=True)
class PollStatus:
    delay: float
    next_poll: float
    is_charging: bool
    retry_count: int = 0
    error: str | None = None


def display_name(configured: str | None, charge_point: ChargePoint | None, chargepoint_id: str) -> str:
    """What entity names start with: the configured name, else the vendor app's, else the id."""
    if configured:
        return configured
    if charge_point is not None and charge_point.name:
        return charge_point.name
    return f"AMPECO Charger {chargepoint_id}"


@dataclass(frozen=True)
class ChargerView:
    chargepoint_id: str
    slug: str
    configured_name: str | None
    charge_point: ChargePoint | None
    evse: Evse | None
    memory: Memory
    poll: PollStatus
    last_success: float | None
    now: float
    unavailable_after: float
    problem: str | None = None

    @property
    def name(self) -> str:
        return display_name(self.configured_name, self.charge_point, self.chargepoint_id)

    @property
    def session(self) -> Session | None:
        """The open session as the API shows it now."""
        return self.evse.open_session if self.evse is not None else None

    @property
    def summary(self) -> SessionSummary | None:
        """The current session if one is open, else the last one (energy and duration stay visible)."""
        return self.memory.session if self.session is not None else self.memory.last_session

    @property
    def stale(self) -> bool:
        return self.poll.error is not None or self.problem is not None

    @property
    def available(self) -> bool:
        if self.charge_point is None or self.last_success is None:
            return False
        return not (self.stale and self.now - self.last_success >= self.unavailable_after)

    @property
    def problem_reason(self) -> str | None:
        """Why the user should look: the cloud or the token fails, the configuration is off, or a fault."""
        if self.poll.error or self.problem:
            return self.poll.error or self.problem
        status = self.evse.status if self.evse is not None else None
        if status_is(status, "faulted"):
            return "the charger reports a fault"
        if status_is(status, "unavailable"):
            return "the charger is unavailable (offline or out of service)"
        return None
