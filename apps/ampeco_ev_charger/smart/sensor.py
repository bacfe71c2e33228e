"""A decision as the state and attributes of sensor.evse_{slug}_smart_charging: the mode, the why, the plan.

Home Assistant's side adds what every entity of the charger carries (friendly_name, icon, chargepoint_id).
Times are ISO strings in the user's time zone, so a dashboard can show them as they are.
"""

from datetime import tzinfo
from typing import Any

from ..times import iso_time
from .engine import Decision
from .planner import PlannedSlot

# Slots shown in `plan` (the first ones, the next to come); the rest are counted in `plan_slots_left_out`.
# Home Assistant records no attributes past 16 KB, and a plan of minute prices can have thousands of slots.
PLAN_SHOWN = 48


def sensor_state(decision: Decision) -> tuple[str, dict[str, Any]]:
    tz = decision.now.tzinfo
    plan, progress, next_action = decision.plan, decision.progress, decision.next_action
    delivered, target = progress.delivered_kwh, progress.target_kwh
    slots = () if plan is None else plan.slots
    return decision.mode, {
        "reason": decision.reason,
        "command": None if decision.action is None else str(decision.action),
        "next_action": None if next_action is None else next_action.text,
        "next_action_at": None if next_action is None else iso_time(next_action.at, tz),
        "plan": [_slot(slot, tz) for slot in slots[:PLAN_SHOWN]],
        "plan_slots_left_out": max(0, len(slots) - PLAN_SHOWN),
        "plan_energy_kwh": None if plan is None else round(plan.energy_kwh, 3),
        "plan_cost": None if plan is None else round(plan.cost, 4),
        "departure": None if plan is None else iso_time(plan.departure, tz),
        "target_reachable": None if plan is None else plan.feasible,
        "delivered_kwh": None if delivered is None else round(delivered, 3),
        "target_kwh": target,
        "progress_percent": None if delivered is None or not target else min(100, round(100 * delivered / target)),
    }


def _slot(slot: PlannedSlot, tz: tzinfo | None) -> dict[str, Any]:
    return {
        "start": iso_time(slot.start, tz),
        "end": iso_time(slot.end, tz),
        "price": slot.price,
        "energy_kwh": round(slot.energy_kwh, 3),
    }
