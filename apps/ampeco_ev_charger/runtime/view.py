"""What the runtime knows about one charger at one moment: the picture every publishing path shows.

Values are never faked: without a reading the charger is not `available`; while the cloud fails the last good
reading stays, marked `stale`, until `unavailable_after` seconds have passed since it was read.
"""

from dataclasses import dataclass

from ..ampeco import ChargePoint, Evse, Session, status_is
from .lifecycle import Memory, SessionSummary


@dataclass(frozen=True)
class PushStatus:
    """The live-update channel of the charger's account."""

    state: str  # off, connecting, subscribed, failed
    reason: str | None = None
    since: float | None = None  # when the current state began


@dataclass(frozen=True)
class PollStatus:
    delay: float  # the cadence: seconds between polls now
    is_charging: bool
    retry_count: int = 0
    error: str | None = None  # why the cloud cannot be read: the readings shown are stale
    token_expires_at: float | None = None
    warning: str | None = None  # what the user must do soon, though everything still works (the token ends)


@dataclass(frozen=True)
class MonthTotals:
    """What a charger's sessions add up to this month and last month (in the user's time zone)."""

    month: str  # YYYY-MM
    energy_kwh: float
    cost: float | None
    currency: str | None
    sessions: int
    last_month: str
    last_energy_kwh: float
    last_cost: float | None
    last_currency: str | None
    last_sessions: int


@dataclass(frozen=True)
class AccountView:
    """The account a charger is on: its host, and its chargers (the first one's slug names the account)."""

    host: str
    chargepoint_ids: tuple[str, ...]
    slug: str


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
    push: PushStatus | None = None  # None: turned off in apps.yaml
    account: AccountView | None = None
    months: MonthTotals | None = None  # this month's and last month's sessions, from the session log
    app_problem: str | None = None  # the app cannot keep its memory: shown as a problem, readings go on

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
        """Why the user should look: the cloud or the token fails, the configuration is off, or the charger
        cannot charge."""
        for reason in (self.poll.error, self.problem, self.app_problem, self.poll.warning):
            if reason:
                return reason
        cp, evse = self.charge_point, self.evse
        if cp is not None and cp.is_rebooting:
            return "the charger is rebooting"
        status = evse.status if evse is not None else None
        if status_is(status, "faulted"):
            return "the charger reports a fault"
        if status_is(status, "unavailable"):
            return "the charger is unavailable (offline or out of service)"
        if status_is(status, "out of order"):
            return "the charger is out of order"
        if evse is not None and evse.is_available is False:
            return "the charger is offline (the AMPECO cloud marks it not available)"
        return None

    @property
    def car_battery(self) -> float | None:
        """The car's state of charge where the charger or the session reports it."""
        if self.evse is not None and self.evse.soc_percent is not None:
            return self.evse.soc_percent
        return self.session.car_battery_percent if self.session is not None else None

    @property
    def currency(self) -> str | None:
        """The money the cost is counted in: the session's, else the tariff's."""
        summary = self.summary
        if summary is not None and summary.currency:
            return summary.currency
        return self.evse.tariff_currency if self.evse is not None else None
