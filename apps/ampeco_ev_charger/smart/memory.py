"""What smart charging remembers between decisions, as plain JSON so it survives restarts.

The plan is kept so a restart, or a price sensor that is unavailable for a while (Home Assistant starting
up), does not lose the night's charging: the remembered plan is followed until its inputs are back.
"""

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any

from ..runtime.commands import SetMaxCurrent, StartCharging, StopCharging
from ..runtime.memory_file import finite
from .governor import Action, GovernorMemory, Pending
from .planner import Plan, PlannedSlot
from .prices import aware_time
from .solar import SolarTimers


@dataclass(frozen=True)
class SmartMemory:
    mode: str | None = None  # the mode of the last decision: a change of mode starts afresh
    code: str | None = None  # the kind of the last decision: only a change of it is worth a log line
    solar: SolarTimers = field(default_factory=SolarTimers)
    governor: GovernorMemory = field(default_factory=GovernorMemory)
    plan: Plan | None = None
    plugged_meter_kwh: float | None = None  # the energy meter when the car was plugged in
    session_open: bool = False  # as last seen, to notice a session ended outside the app
    # A session was ended outside the app (the car is full, or someone stopped it): no new start until
    # the car is plugged in again or the mode changes, rather than fighting the user or the car.
    hands_off: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> "SmartMemory":
        """Tolerates a missing, partial or foreign value: whatever is unusable starts empty."""
        if not isinstance(data, dict):
            return cls()
        solar, governor = _dict(data.get("solar")), _dict(data.get("governor"))
        return cls(
            mode=_text(data.get("mode")),
            code=_text(data.get("code")),
            solar=SolarTimers(aware_time(solar.get("surplus_since")), aware_time(solar.get("shortfall_since"))),
            governor=GovernorMemory(aware_time(governor.get("last_change")), _pending(governor.get("pending"))),
            plan=_plan(data.get("plan")),
            plugged_meter_kwh=finite(data.get("plugged_meter_kwh")),
            session_open=data.get("session_open") is True,
            hands_off=data.get("hands_off") is True,
        )


def _jsonable(value: Any) -> Any:
    """Dataclasses as dicts and datetimes as ISO strings (asdict would deep-copy every value first)."""
    if is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    return value


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _pending(value: object) -> Pending | None:
    data, action = _dict(value), _dict(_dict(value).get("action"))
    sent_at, attempts, amps = aware_time(data.get("sent_at")), data.get("attempts"), action.get("amps")
    if action.get("name") not in (StartCharging.name, StopCharging.name, SetMaxCurrent.name) or sent_at is None:
        return None
    if amps is not None and (isinstance(amps, bool) or not isinstance(amps, int)):
        return None
    attempts = attempts if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 0 else 1
    return Pending(Action(action["name"], amps), sent_at, attempts)


def _plan(value: object) -> Plan | None:
    """The whole remembered plan, or none: half a plan would charge at the wrong times."""
    data = _dict(value)
    departure, made_at = aware_time(data.get("departure")), aware_time(data.get("made_at"))
    needed, raw_slots = finite(data.get("needed_kwh")), data.get("slots")
    if departure is None or made_at is None or needed is None or not isinstance(raw_slots, list):
        return None
    slots = []
    for raw in raw_slots:
        slot = _dict(raw)
        start, end = aware_time(slot.get("start")), aware_time(slot.get("end"))
        price, energy = finite(slot.get("price")), finite(slot.get("energy_kwh"))
        if start is None or end is None or price is None or energy is None:
            return None
        slots.append(PlannedSlot(start, end, price, energy))
    return Plan(tuple(slots), needed, departure, made_at)
