"""The simulated world behind the API: chargers, cars and sessions that evolve with a clock.

State is advanced lazily to the clock's time on every access, so a test can drive a virtual clock and
jump hours ahead, or use the wall clock for the demo.
"""

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .accounts import Accounts
from .errors import SimError

PHASE_VOLTAGE = 230.0
_STEP = 1.0  # seconds per integration step
CAR_NEEDS_WH = 20000.0  # a new car at the socket takes this much before it is full
CAR_BATTERY_WH = 60000.0  # what a full battery holds: the state of charge follows what the car still needs


@dataclass
class SimSession:
    id: str
    evse_identifier: str
    started_at: float
    status: str = "starting"  # starting -> active -> stopping -> finished (or failed)
    status_since: float = 0.0
    energy_wh: float = 0.0
    power_w: float = 0.0
    idle_s: float = 0.0
    stopped_at: float | None = None
    stop_reason: str | None = None
    active_since: float | None = None
    # (time, kW) as the cloud keeps it: one point a minute, each the average power until the next point, so the
    # curve integrates to the energy delivered; a run of zeros shows as one zero.
    power_history: list[tuple[float, float]] = field(default_factory=list)
    owner: str = ""  # the account that started it (a start can land on someone else's EVSE)
    reimbursement_eligible: bool = False  # the charger's setting when the session started
    minute_since: float | None = None  # the minute of the curve under way
    minute_wh: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.status not in ("finished", "failed")


@dataclass
class SimCharger:
    id: str
    name: str
    evse_id: str
    identifier: str
    max_power_w: int = 11000
    phases: int = 3
    allowed_min_current_a: int = 6
    allowed_max_current_a: int = 16
    max_current_a: int = 16
    plugged: bool = True
    # Energy the car still takes before it is full (then the session stays open at 0 W: suspendedEV).
    car_needs_wh: float = CAR_NEEDS_WH
    price_per_kwh: float = 2.5
    faulted: bool = False
    status_override: str | None = None
    power_unit: str = "W"
    energy_unit: str = "Wh"
    session: SimSession | None = None
    after_session: bool = False  # a session ended while the cable stayed in: the EVSE shows finishing
    updated_at: float = 0.0
    last_month_energy_kwh: float = 37.221
    reimbursement_eligible: bool = False  # sessions here count for an employer's reimbursement (the captures: no)
    available: bool = True  # False: the charger is offline, whatever its status says
    rebooting: bool = False

    @property
    def soc_percent(self) -> int:
        """The car's state of charge, from what it still needs."""
        return max(0, min(100, round(100 * (1 - self.car_needs_wh / CAR_BATTERY_WH))))

    @property
    def target_power_w(self) -> float:
        return min(float(self.max_power_w), self.max_current_a * PHASE_VOLTAGE * self.phases)

    @property
    def evse_status(self) -> str:
        if self.status_override:
            return self.status_override
        if self.faulted:
            return "faulted"
        session = self.session
        if session is not None:
            if session.status == "starting":
                return "preparing"
            if session.status == "active" and session.power_w == 0 and self.car_needs_wh <= 0:
                return "suspendedEV"
            return "charging"
        if not self.plugged:
            return "available"
        return "finishing" if self.after_session else "preparing"

    @property
    def charging_state(self) -> str:
        session = self.session
        if session is None or session.status == "starting":
            return "eVConnected"
        return "suspendedEV" if self.evse_status == "suspendedEV" else "charging"


@dataclass
class Timing:
    preparing_s: float = 2.0  # starting -> active
    ramp_s: float = 5.0  # power from 0 to the target once active
    stopping_s: float = 1.0  # stopping -> finished


def _close_minute(session: SimSession, end: float) -> None:
    """The curve's point for the minute under way: its average power, at its start."""
    since = session.minute_since
    if since is None or end <= since:
        return
    kw = round(session.minute_wh * 3.6 / (end - since), 3)
    if kw > 0 or (session.power_history and session.power_history[-1][1] > 0):
        session.power_history.append((since, kw))
    session.minute_since, session.minute_wh = end, 0.0


class SimModel:
    def __init__(self, clock: Callable[[], float] = time.time, timing: Timing | None = None) -> None:
        self.clock = clock
        self.timing = timing or Timing()
        self.chargers: dict[str, SimCharger] = {}
        self.auth = Accounts(clock)
        self.history: list[tuple[str, SimSession]] = []  # (charger id, finished session)
        self._ids = itertools.count(648419)
        # Told of each change a user's app would hear of live: (account, event name, data).
        self.on_change: Callable[[str, str, dict[str, object]], None] | None = None

    def home_of(self, charger: SimCharger) -> str:
        return next(a for a, ids in self.accounts.items() if charger.id in ids)

    def _changed(self, charger: SimCharger, event: str) -> None:
        """A change the charger's owner (and whoever runs a session on it) hears of live."""
        if self.on_change is None:
            return
        listeners = {self.home_of(charger)}
        if charger.session is not None:
            listeners.add(charger.session.owner)
        for account in sorted(listeners):
            self.on_change(account, event, {"chargePointId": charger.id, "evseId": charger.identifier})

    @property
    def accounts(self) -> dict[str, list[str]]:
        """Each account's home chargers."""
        return self.auth.chargers

    def add_charger(self, account: str, charger: SimCharger) -> SimCharger:
        """A charger at home on `account` (whose name is also a token that never ends)."""
        charger.updated_at = self.clock()
        self.chargers[charger.id] = charger
        self.auth.add(account)
        self.auth.chargers[account].append(charger.id)
        return charger

    def remove_charger(self, chargepoint_id: str) -> None:
        """A charger taken off its account (sold, or moved to another one): the account no longer lists it."""
        for ids in self.auth.chargers.values():
            if chargepoint_id in ids:
                ids.remove(chargepoint_id)

    def add_stranger(self, identifier: str, account: str = "a-stranger") -> SimCharger:
        """Another user's charger on the same tenant, whose printed identifier is `identifier`, car plugged in."""
        number = len(self.chargers)
        return self.add_charger(
            account,
            SimCharger(
                id=f"STRANGER{number:03d}", name="Someone else's", evse_id=str(900000 + number), identifier=identifier
            ),
        )

    def account_chargers(self, account: str) -> list[SimCharger]:
        self.advance()
        return [self.chargers[i] for i in self.accounts.get(account, [])]

    def sessions_of(self, account: str) -> list[tuple[SimCharger, SimSession]]:
        """The running sessions the account started, wherever they run."""
        self.advance()
        return [(c, c.session) for c in self.chargers.values() if c.session is not None and c.session.owner == account]

    def evse(self, key: str, value: object) -> SimCharger | None:
        """The tenant's EVSE that `value` names by `key` (its id, or its printed identifier), anyone's."""
        return next((c for c in self.chargers.values() if str(value) == getattr(c, key)), None)

    def charger(self, account: str, chargepoint_id: str) -> SimCharger:
        for charger in self.account_chargers(account):
            if charger.id == chargepoint_id:
                return charger
        raise SimError(404, f"No query results for model [ChargePoint] {chargepoint_id}")

    # --- evolution -----------------------------------------------------------------------------------

    def advance(self) -> None:
        now = self.clock()
        for charger in self.chargers.values():
            while charger.updated_at < now:
                step_end = min(now, charger.updated_at + _STEP)
                self._step(charger, charger.updated_at, step_end)
                charger.updated_at = step_end

    def _step(self, charger: SimCharger, start: float, end: float) -> None:
        session = charger.session
        if session is None:
            return
        timing = self.timing
        if session.status == "starting" and end - session.status_since >= timing.preparing_s:
            session.status, session.status_since = "active", session.status_since + timing.preparing_s
            self._changed(charger, "PersonalEVSEStatusChange")
            session.active_since = session.status_since
        if session.status in ("active", "stopping") and session.active_since is not None:
            ramp = min(1.0, max(0.0, (end - session.active_since) / timing.ramp_s)) if timing.ramp_s else 1.0
            power = charger.target_power_w * ramp if charger.plugged and charger.car_needs_wh > 0 else 0.0
            energy = min(power * (end - start) / 3600, charger.car_needs_wh)
            session.energy_wh += energy
            charger.car_needs_wh -= energy
            session.power_w = power if charger.car_needs_wh > 0 else 0.0
            if session.power_w == 0:
                session.idle_s += end - start
            session.minute_since = start if session.minute_since is None else session.minute_since
            session.minute_wh += energy
            if end - session.minute_since >= 60:
                _close_minute(session, end)
        if session.status == "stopping" and end - session.status_since >= timing.stopping_s:
            self._finish(charger, end)

    def _finish(self, charger: SimCharger, at: float) -> None:
        session = charger.session
        assert session is not None
        _close_minute(session, at)
        if session.power_history and session.power_history[-1][1] > 0:
            session.power_history.append((at, 0.0))  # the curve ends where the power did
        session.status, session.stopped_at, session.power_w = "finished", at, 0.0
        session.stop_reason = session.stop_reason or "remote"
        self.history.append((charger.id, session))
        self._changed(charger, "SessionChanged")
        charger.session = None
        charger.after_session = charger.plugged

    # --- what a driver does ----------------------------------------------------------------------------

    def start(self, charger: SimCharger, account: str | None = None) -> SimSession:
        """A session on `charger`, started by `account` (its owner's, by default)."""
        self.advance()
        if charger.session is not None:
            raise SimError(406, "There is already an active session on this charge point.")
        if not charger.plugged:
            raise SimError(406, "Please connect the cable to your vehicle first.")
        if charger.faulted:
            raise SimError(406, "The charge point is not available.")
        now = self.clock()
        owner = account or self.home_of(charger)
        charger.session = SimSession(
            str(next(self._ids)),
            charger.identifier,
            started_at=now,
            status_since=now,
            owner=owner,
            reimbursement_eligible=charger.reimbursement_eligible,
        )
        charger.after_session = False
        self._changed(charger, "SessionChanged")
        return charger.session

    def stop(self, charger: SimCharger, reason: str = "remote") -> SimSession:
        self.advance()
        session = charger.session
        if session is None:
            raise SimError(404, "Session not found.")
        if session.status != "stopping":
            session.status, session.status_since, session.stop_reason = "stopping", self.clock(), reason
            self._changed(charger, "SessionChanged")
        return session

    def split_session(self, charger: SimCharger) -> SimSession:
        """The cloud replaces the running session by a new one (a new id between two polls)."""
        self.advance()
        assert charger.session is not None
        owner = charger.session.owner
        charger.session.stop_reason = "replaced"
        self._finish(charger, self.clock())
        return self.start(charger, owner)

    def find_session(self, account: str, session_id: str) -> tuple[SimCharger, SimSession]:
        for charger, session in self.sessions_of(account):
            if session.id == session_id:
                return charger, session
        for charger_id, session in self.history:
            if session.id == session_id and session.owner == account:
                return self.chargers[charger_id], session
        raise SimError(404, "Session not found.")

    def plug(self, charger: SimCharger, plugged: bool, car_needs_kwh: float | None = None) -> None:
        """Plugging a car in brings a new battery to fill; pulling the cable ends any session."""
        self.advance()
        if plugged and not charger.plugged:
            charger.car_needs_wh = CAR_NEEDS_WH if car_needs_kwh is None else car_needs_kwh * 1000
            charger.after_session = False
        changed = charger.plugged != plugged
        charger.plugged = plugged
        if not plugged:
            charger.after_session = False
            if charger.session is not None:
                charger.session.stop_reason = "evdisconnected"
                self._finish(charger, self.clock())
        if changed:
            self._changed(charger, "PersonalEVSEStatusChange")

    def set_limit(self, charger: SimCharger, amps: object) -> None:
        if isinstance(amps, bool) or not isinstance(amps, int):
            raise SimError(
                422,
                "The max current a must be an integer.",
                {"max_current_a": ["The max current a must be an integer."]},
            )
        if not charger.allowed_min_current_a <= amps <= charger.allowed_max_current_a:
            low, high = charger.allowed_min_current_a, charger.allowed_max_current_a
            text = f"The max current a must be between {low} and {high}."
            raise SimError(422, text, {"max_current_a": [text]})
        self.advance()
        charger.max_current_a = amps
        self._changed(charger, "PersonalChargePointStatusChange")


def demo_model(
    token: str, count: int = 2, clock: Callable[[], float] = time.time, timing: Timing | None = None
) -> SimModel:
    """`count` chargers on one account: the first with a car plugged in, the rest without."""
    model = SimModel(clock, timing)
    presets = [("ACE0549935", "NT2 nr. 264"), ("QNG0C18010", "Garage")]
    for index in range(count):
        cp_id, name = presets[index] if index < len(presets) else (f"SIM{index:07d}", f"Charger {index + 1}")
        model.add_charger(
            token,
            SimCharger(
                id=cp_id, name=name, evse_id=str(148964 + index), identifier=str(2317 + index), plugged=index == 0
            ),
        )
    return model


def many_accounts(
    accounts: int, token_prefix: str, clock: Callable[[], float] = time.time, timing: Timing | None = None
) -> SimModel:
    """One charger on each of `accounts` accounts (tokens `<prefix>0`, `<prefix>1`, ...), cars plugged in."""
    model = SimModel(clock, timing)
    for index in range(accounts):
        model.add_charger(
            f"{token_prefix}{index}",
            SimCharger(
                id=f"SIM{index:07d}",
                name=f"Charger {index + 1}",
                evse_id=str(500000 + index),
                identifier=str(9000 + index),
            ),
        )
    return model
