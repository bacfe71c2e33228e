"""The cheapest slots before the departure that deliver the energy still needed.

Planning is a pure function of its inputs, so replanning is calling it again: each call starts from now,
with the energy still missing, and the slot in progress counts only from now on. All arithmetic is in
UTC, so a night with a clock change is as long as it really is.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from .prices import PriceSlot, price_at

# A session already running finishes a remainder this short rather than stopping now and starting a new
# session later for a few minutes of charging (each start is a new session on the account).
FINISH_WITHIN = timedelta(minutes=10)
_EPSILON_KWH = 1e-6
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class PlannedSlot:
    """Charging from `start` to `end` (the price slot, or the part of it that is needed) at `price`."""

    start: datetime
    end: datetime
    price: float
    energy_kwh: float

    @property
    def cost(self) -> float:
        return self.price * self.energy_kwh


@dataclass(frozen=True)
class Plan:
    slots: tuple[PlannedSlot, ...]  # in time order
    needed_kwh: float
    departure: datetime
    made_at: datetime

    @property
    def energy_kwh(self) -> float:
        return sum(slot.energy_kwh for slot in self.slots)

    @property
    def cost(self) -> float:
        return sum(slot.cost for slot in self.slots)

    @property
    def shortfall_kwh(self) -> float:
        """What the known prices before the departure leave undelivered (0 when the target can be met)."""
        return max(0.0, self.needed_kwh - self.energy_kwh)

    @property
    def feasible(self) -> bool:
        return self.shortfall_kwh <= _EPSILON_KWH

    def charging_at(self, when: datetime) -> bool:
        return any(slot.start <= when < slot.end for slot in self.slots)

    def run_from(self, when: datetime) -> tuple[datetime, datetime] | None:
        """The stretch of back-to-back slots charging at `when`, else the next one; None after the last."""
        run: tuple[datetime, datetime] | None = None
        for slot in self.slots:
            if run is not None and slot.start == run[1]:
                run = (run[0], slot.end)
            elif run is not None and run[1] > when:
                break
            else:
                run = (slot.start, slot.end)
        return run if run is not None and run[1] > when else None


def plan_cheapest(
    prices: Sequence[PriceSlot],
    *,
    now: datetime,
    departure: datetime,
    needed_kwh: float,
    power_kw: float,
    charging: bool = False,
) -> Plan:
    """Cheapest slots first (the earlier one of equal prices), the last one only for as long as needed;
    when the known slots cannot deliver `needed_kwh`, all of them (see `Plan.feasible`). `charging`: a
    session is running now (see FINISH_WITHIN)."""
    now, departure = now.astimezone(timezone.utc), departure.astimezone(timezone.utc)
    plan = Plan((), max(0.0, needed_kwh), departure, now)
    if plan.needed_kwh <= _EPSILON_KWH or now >= departure or power_kw <= 0:
        return plan
    hours = plan.needed_kwh / power_kw  # compared before it is made a time: a huge need is past the calendar's end
    price = price_at(prices, now)
    if charging and hours <= min(departure - now, FINISH_WITHIN) / _HOUR and price is not None:
        return Plan((PlannedSlot(now, now + hours * _HOUR, price, plan.needed_kwh),), plan.needed_kwh, departure, now)
    windows = [
        (max(slot.start.astimezone(timezone.utc), now), min(slot.end.astimezone(timezone.utc), departure), slot.value)
        for slot in prices
    ]
    chosen: list[PlannedSlot] = []
    remaining = plan.needed_kwh
    for start, end, price in sorted((w for w in windows if w[0] < w[1]), key=lambda w: (w[2], w[0])):
        capacity = (end - start) / _HOUR * power_kw
        if capacity > remaining:
            chosen.append(_placed(PlannedSlot(start, end, price, remaining), chosen, remaining / power_kw * _HOUR))
            break
        chosen.append(PlannedSlot(start, end, price, capacity))
        remaining -= capacity
        if remaining <= _EPSILON_KWH:
            break
    return Plan(tuple(sorted(chosen, key=lambda s: s.start)), plan.needed_kwh, departure, now)


def _placed(slot: PlannedSlot, others: list[PlannedSlot], length: timedelta) -> PlannedSlot:
    """The part of a slot that is needed: at its end when that joins the next chosen slot (one session
    instead of two), else at its start (earlier leaves more room before the departure)."""
    joins_next = any(other.start == slot.end for other in others)
    joins_previous = any(other.end == slot.start for other in others)
    if joins_next and not joins_previous:
        return replace(slot, start=slot.end - length)
    return replace(slot, end=slot.start + length)
