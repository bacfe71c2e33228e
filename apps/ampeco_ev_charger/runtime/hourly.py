"""A session's energy placed in the clock hours it was delivered.

An employer who pays the hour's price, or an hourly statistic, needs to know when the energy flowed, not only
how much. The session's power curve (`powerStats.history` of its details answer) says when and its metered
energy says how much: the curve only shares the energy out, so its unit and its sampling do not matter and the
hours always add up to what the meter measured. Each point's value holds until the next point, as in the
captures (a curve integrated that way gives the session's `energy` to the Wh).
"""

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from ..ampeco import PowerSample
from .session_log import parse_utc

HOUR = timedelta(hours=1)
# Longer than this is no charging session but a wrong date (1970 to now was once 490 000 hours to walk through).
LONGEST = timedelta(days=62)
_LAST = datetime.max.replace(tzinfo=timezone.utc) - 2 * HOUR  # the hour after it must still be a date


def hourly_energy(
    started_at: datetime, stopped_at: datetime, energy_kwh: float, curve: Sequence[PowerSample] = ()
) -> dict[datetime, float]:
    """Hour start (aware, UTC) -> kWh delivered in that hour, in order, only hours that got energy.

    The hours hold whole Wh that add up exactly to `energy_kwh` rounded to the Wh. `curve` is
    the session's power curve (`Session.power_history`): points in any order, repeated or not. Where it tells
    nothing (missing, one point, all zero, outside the session), the energy is spread evenly from start to
    stop. Hours are UTC hours: the local clock's wherever the time zone is whole hours off UTC.
    """
    start, stop = _aware(started_at, "started_at"), _aware(stopped_at, "stopped_at")
    if stop < start:
        raise ValueError(f"the session stops ({stop.isoformat()}) before it starts ({start.isoformat()})")
    if stop - start > LONGEST:
        raise ValueError(f"a session of {(stop - start).days} days is no charging session: its dates are wrong")
    if stop > _LAST:
        raise ValueError(f"the session stops at the end of the calendar ({stop.isoformat()}): its dates are wrong")
    if not math.isfinite(energy_kwh) or energy_kwh < 0:
        raise ValueError(f"energy must be a finite number of kWh, not below 0: {energy_kwh!r}")
    total_wh = round(energy_kwh * 1000)
    if total_wh == 0:
        return {}
    weights = _curve_weights(start, stop, curve) or _spread(start, stop)
    return {hour: wh / 1000 for hour, wh in _apportion(total_wh, weights).items() if wh}


def _aware(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must carry its time zone")
    return moment.astimezone(timezone.utc)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _spread(start: datetime, stop: datetime) -> dict[datetime, Fraction]:
    """How much of each hour (in microseconds) lies between start and stop; all of it in the start's hour when
    the session took no time."""
    if start == stop:
        return {_hour(start): Fraction(1)}
    spread: dict[datetime, Fraction] = {}
    hour = _hour(start)
    while hour < stop:
        overlap = min(stop, hour + HOUR) - max(start, hour)
        if overlap > timedelta(0):
            spread[hour] = Fraction(overlap // timedelta(microseconds=1))
        hour += HOUR
    return spread


def _curve_weights(start: datetime, stop: datetime, curve: Sequence[PowerSample]) -> dict[datetime, Fraction] | None:
    """Energy per hour by the curve (in the curve's own units), or None when it says nothing usable."""
    points = _points(curve)
    if len(points) < 2:
        return None
    moments = sorted(points)
    typical_gap = timedelta(seconds=statistics.median((b - a).total_seconds() for a, b in itertools.pairwise(moments)))
    weights: dict[datetime, Fraction] = {}
    for index, moment in enumerate(moments):
        power = points[moment]
        begin, end = max(moment, start), min(_until(moments, index, typical_gap, stop), stop)
        if power <= 0 or end <= begin:
            continue
        for hour, share in _spread(begin, end).items():
            weights[hour] = weights.get(hour, Fraction(0)) + power * share
    return weights if any(weights.values()) else None


def _until(moments: list[datetime], index: int, typical_gap: timedelta, stop: datetime) -> datetime:
    """Until when the point at `index` holds: the next point, or for the last one a typical gap (no further than
    the session's stop, so a point at the calendar's end never overflows)."""
    if index + 1 < len(moments):
        return moments[index + 1]
    moment = moments[index]
    return moment + min(typical_gap, max(stop - moment, timedelta(0)))


def _points(curve: Sequence[PowerSample]) -> dict[datetime, Fraction]:
    """Power at each distinct moment; repeated moments give their mean, unreadable moments are left out and
    negative power counts as none."""
    seen: dict[datetime, list[float]] = {}
    for point in curve:
        moment = parse_utc(point.at)
        if moment is not None and math.isfinite(point.kw):
            seen.setdefault(moment, []).append(max(0.0, point.kw))
    return {moment: Fraction(sum(values)) / len(values) for moment, values in seen.items()}


def _apportion(total: int, weights: dict[datetime, Fraction]) -> dict[datetime, int]:
    """`total` shared out in whole units in proportion to `weights` (largest remainders, earlier hours first
    on a tie), so the parts add up to it exactly."""
    whole = sum(weights.values(), Fraction(0))
    quotas = {hour: total * weight / whole for hour, weight in sorted(weights.items())}
    parts = {hour: math.floor(quota) for hour, quota in quotas.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(quotas, key=lambda hour: (-(quotas[hour] - parts[hour]), hour))
    for hour in by_remainder[:left]:
        parts[hour] += 1
    return parts
