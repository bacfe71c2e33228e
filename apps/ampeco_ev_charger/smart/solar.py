"""Following solar surplus: what the car may take, and when a start or a stop has waited long enough.

The surplus the car may take, in W, is `-grid + car + battery`:
- grid: the grid-power sensor, import positive and export negative. It already includes the car's own
  draw, so that draw is added back: a car charging on surplus must not see its own power as a shortfall.
- battery (optional): the home battery's power, positive while it charges and negative while it
  discharges. What flows into the battery is surplus the car takes first (the battery would otherwise
  hide it); what the battery gives is not surplus, so the car never drains the home battery.

Hysteresis keeps a passing cloud from costing a session: a start waits until the surplus has covered the
minimum current for `start_delay`, a stop until it has fallen short for `stop_delay`. The timers are
all the state there is, in a serialisable dataclass, so they survive a restart.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SolarTimers:
    surplus_since: datetime | None = None  # not charging: the surplus has covered the minimum since then
    shortfall_since: datetime | None = None  # charging: the surplus has been short of the minimum since then


@dataclass(frozen=True)
class SolarOutcome:
    charge: bool
    amps: int
    reason: str
    code: str  # what kind of situation this is, for logging only its changes
    timers: SolarTimers
    wake_at: datetime | None = None  # when a waiting timer runs out, if nothing changes before


def surplus_w(grid_w: float, car_w: float, battery_w: float | None = None) -> float:
    return -grid_w + car_w + (battery_w or 0.0)


def follow_surplus(
    surplus: float,
    *,
    charging: bool,
    keep_minimum: bool,
    bounds: tuple[int, int],
    watts_per_amp: float,
    start_delay: float,
    stop_delay: float,
    timers: SolarTimers,
    now: datetime,
) -> SolarOutcome:
    """The current follows surplus / (voltage x phases) in whole amps within `bounds`, rounded down so the
    car never imports for it. `keep_minimum` (min+solar): never stop, the grid tops up to the minimum."""
    low, high = bounds
    available = surplus / watts_per_amp
    amps = min(high, max(low, math.floor(available + 1e-9)))
    covers = available >= low - 1e-9
    kw = f"surplus {surplus / 1000:.2f} kW"
    if keep_minimum:
        reason = f"{kw} allows {amps} A" if covers else f"{kw}: the grid tops up to the {low} A minimum"
        return SolarOutcome(True, amps, reason, "minimum" if not covers else "follow", SolarTimers())
    if covers and charging:
        return SolarOutcome(True, amps, f"{kw} allows {amps} A", "follow", SolarTimers())
    if covers:
        since = timers.surplus_since or now
        due = since + timedelta(seconds=start_delay)
        if now >= due:
            return SolarOutcome(
                True,
                amps,
                f"{kw} has covered {low} A for {span(start_delay)}",
                "start",
                SolarTimers(surplus_since=since),
            )
        return SolarOutcome(
            False,
            amps,
            f"{kw} covers {low} A; starting once it has for {span(start_delay)}",
            "wait_start",
            SolarTimers(surplus_since=since),
            due,
        )
    short = f"{kw} is short of the {low} A minimum ({low * watts_per_amp / 1000:.2f} kW)"
    if not charging:
        return SolarOutcome(False, low, short, "short", SolarTimers())
    since = timers.shortfall_since or now
    due = since + timedelta(seconds=stop_delay)
    if now >= due:
        return SolarOutcome(False, low, f"{short} for {span(stop_delay)}", "stop", SolarTimers(shortfall_since=since))
    return SolarOutcome(
        True,
        low,
        f"{short}; stopping in {span((due - now).total_seconds())} unless it returns",
        "wait_stop",
        SolarTimers(shortfall_since=since),
        due,
    )


def span(seconds: float) -> str:
    """A duration as a person says it in a log line."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
