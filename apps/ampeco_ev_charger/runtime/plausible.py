"""Readings that cannot be true never reach Home Assistant.

Every number a reading brings is held against what the charger can do (its own maximum power and current
range, where it sends them) and against physics where it does not: a negative energy, a power no charger
delivers, a current no cable carries, a session energy more than the charger could deliver since the session
began. Such a value is dropped: the last good one stays (the same session's, or the charge point's), and the
caller says so once per episode. A value off by a factor of 1000 also names its likely cause: the `units`.
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..ampeco import ChargePoint, Evse, Session

# Beyond every charger made (the largest DC chargers are below this): without the charger's own maximum.
PHYSICS_MAX_KW = 400.0
PHYSICS_MAX_A = 100.0  # beyond any AC wallbox's cable
LONGEST_SESSION_S = 90 * 86400.0  # a session open longer than this is no session
# A reading may exceed the charger's maximum by this much (meters overshoot, maxima are rounded)...
MARGIN, SLACK_KW = 1.25, 0.5
# ...and the cloud's clock may differ from ours by this much (a session's energy against its start).
CLOCK_SLACK_S = 600.0


@dataclass(frozen=True)
class Implausible:
    """A value dropped from a reading, and why (one line of the log)."""

    field: str
    why: str


@dataclass(frozen=True)
class Limits:
    """What one charger can do at most."""

    kw: float  # power
    amps: float  # current limit

    @classmethod
    def of(cls, charge_point: ChargePoint | None, evse: Evse | None) -> "Limits":
        """From the charger's own data where it is plausible itself, else physics."""
        given = (evse.max_power_kw if evse else None, _kw(charge_point))
        powers = [p for p in given if p is not None and _within(p, PHYSICS_MAX_KW)]
        high = charge_point.allowed_max_current_a if charge_point is not None else None
        amps = high if high is not None and _within(high, PHYSICS_MAX_A) else PHYSICS_MAX_A
        return cls(max(powers) if powers else PHYSICS_MAX_KW, amps)

    def energy_kwh(self, seconds: float) -> float:
        """The most the charger can deliver in `seconds` (with a margin)."""
        return (self.kw * MARGIN + SLACK_KW) * max(0.0, seconds) / 3600 + SLACK_KW


def _kw(charge_point: ChargePoint | None) -> float | None:
    return charge_point.allowed_max_power_kw if charge_point is not None else None


def _within(value: float, high: float) -> bool:
    """Positive, at most `high`."""
    return math.isfinite(value) and 0 < value <= high


def _ok(value: float | None, high: float, low: float = 0.0) -> bool:
    """Absent, or between low and high."""
    return value is None or (math.isfinite(value) and low <= value <= high)


def charge_point(reading: ChargePoint, before: ChargePoint | None) -> tuple[ChargePoint, list[Implausible]]:
    """The charge point's own numbers: currents, power, last month's energy."""
    dropped: list[Implausible] = []
    fields = {
        "max_current_a": PHYSICS_MAX_A,
        "allowed_min_current_a": PHYSICS_MAX_A,
        "allowed_max_current_a": PHYSICS_MAX_A,
        "min_charging_current_a": PHYSICS_MAX_A,
        "allowed_max_power_kw": PHYSICS_MAX_KW,
        "last_month_energy_kwh": PHYSICS_MAX_KW * 24 * 31,
        "tax_percent": 100.0,
    }
    kept: dict[str, Any] = {}
    for name, high in fields.items():
        value = getattr(reading, name)
        if not _ok(value, high):
            dropped.append(Implausible(f"charge_point.{name}", f"{value:g} is outside 0-{high:g}"))
            kept[name] = getattr(before, name) if before is not None else None
    return (replace(reading, **kept) if kept else reading), dropped


def evse(reading: Evse, before: Evse | None, limits: Limits, now: float) -> tuple[Evse, list[Implausible]]:
    """The EVSE's power, and its session's numbers."""
    dropped: list[Implausible] = []
    result = reading
    if not _ok(reading.max_power_kw, PHYSICS_MAX_KW):
        dropped.append(Implausible("evse.maxPower", f"{reading.max_power_kw:g} kW is outside 0-{PHYSICS_MAX_KW:g}"))
        result = replace(result, max_power_kw=before.max_power_kw if before is not None else None)
    if reading.session is not None:
        earlier = before.session if before is not None else None
        session, more = session_numbers(reading.session, earlier, limits, now)
        result = replace(result, session=session)
        dropped += more
    return result, dropped


def session_numbers(
    reading: Session, before: Session | None, limits: Limits, now: float
) -> tuple[Session, list[Implausible]]:
    """A session's energy, power and duration; a value dropped keeps the same session's last good one."""
    same = before if before is not None and before.id == reading.id else None
    dropped: list[Implausible] = []
    kept: dict[str, Any] = {}  # the fields dropped, with what stays instead
    power_high = limits.kw * MARGIN + SLACK_KW
    for name in ("power_kw", "power_avg_kw"):
        value = getattr(reading, name)
        if not _ok(value, power_high):
            dropped.append(
                Implausible(
                    f"session.{name}", f"{value:g} kW is more than this charger delivers{_hint(value, power_high)}"
                )
            )
            kept[name] = getattr(same, name) if same is not None else None
    if not _ok(reading.duration_s, LONGEST_SESSION_S):
        dropped.append(Implausible("session.duration", f"{reading.duration_s:g} s is no session's duration"))
        kept["duration_s"] = same.duration_s if same is not None else None
    energy_high = limits.energy_kwh(_elapsed(reading, now) + CLOCK_SLACK_S)
    if not _ok(reading.energy_kwh, energy_high):
        why = f"{reading.energy_kwh:g} kWh is more than {limits.kw:g} kW delivers since the session began"
        if reading.energy_kwh is not None and reading.energy_kwh < 0:
            why = f"{reading.energy_kwh:g} kWh is negative"
        dropped.append(Implausible("session.energy", why + _hint(reading.energy_kwh, energy_high)))
        kept["energy_kwh"] = same.energy_kwh if same is not None else None
    return (replace(reading, **kept) if kept else reading), dropped


def _elapsed(session: Session, now: float) -> float:
    """How long the session has run (or ran): its duration, or the time since it began, the longer."""
    elapsed = session.duration_s if session.duration_s is not None and session.duration_s >= 0 else 0.0
    began = _epoch(session.started_at)
    ended = _epoch(session.stopped_at)
    if began is not None:
        elapsed = max(elapsed, (ended if ended is not None else now) - began)
    return min(elapsed, LONGEST_SESSION_S)


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (ValueError, OverflowError):
        return None


def _hint(value: float | None, high: float) -> str:
    """A value about 1000 times too large is most likely a unit setting."""
    if value is not None and high > 0 and 300 * high <= value <= 3000 * high:
        return " (if every reading looks 1000 times too large, check `units` for this charger)"
    return ""
