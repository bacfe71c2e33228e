"""The events the app fires into Home Assistant: names and payloads (the contract automations trigger on)."""

from typing import Any

from .lifecycle import SessionEnded, SessionStarted, SessionSummary, StatusChanged, Transition
from .units import rounded

DOMAIN = "ampeco_ev_charger"
COMMAND_RESULT = f"{DOMAIN}_command_result"
SESSION_STARTED = f"{DOMAIN}_session_started"
SESSION_ENDED = f"{DOMAIN}_session_ended"
STATUS_CHANGED = f"{DOMAIN}_status_changed"
CONFIG_ERROR = f"{DOMAIN}_config_error"


def _ended(summary: SessionSummary) -> dict[str, Any]:
    return {
        "session_id": summary.id,
        "energy_kwh": rounded(summary.energy_kwh, 3),
        "duration_min": rounded(summary.duration_min, 1),
        "amount": summary.amount,
        "currency": summary.currency,
        "started_at": summary.started_at,
        "stopped_at": summary.stopped_at,
        "stop_reason": summary.stop_reason,
    }


def transition_event(chargepoint_id: str, transition: Transition) -> tuple[str, dict[str, Any]]:
    """The event type and data announcing one transition."""
    match transition:
        case StatusChanged(old=old, new=new):
            return STATUS_CHANGED, {"chargepoint_id": chargepoint_id, "old_status": old, "new_status": new}
        case SessionStarted(session=summary):
            data = {"session_id": summary.id, "started_at": summary.started_at}
            return SESSION_STARTED, {"chargepoint_id": chargepoint_id, **data}
        case SessionEnded(session=summary):
            return SESSION_ENDED, {"chargepoint_id": chargepoint_id, **_ended(summary)}
    raise TypeError(f"not a transition: {transition!r}")


def describe(transition: Transition) -> str:
    """The log line's wording of one transition."""
    match transition:
        case StatusChanged(old=old, new=new):
            return f"EVSE status {old} -> {new}"
        case SessionStarted(session=summary):
            return f"session {summary.id} started"
        case SessionEnded(session=summary):
            energy = "unknown energy" if summary.energy_kwh is None else f"{summary.energy_kwh:.3f} kWh"
            duration = "" if summary.duration_min is None else f" in {summary.duration_min:.0f} min"
            return f"session {summary.id} ended: {energy}{duration}"
    raise TypeError(f"not a transition: {transition!r}")


def command_result(
    chargepoint_id: str | None, command: str, success: bool, error: str | None = None, session_id: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"chargepoint_id": chargepoint_id, "command": command, "success": success}
    if error is not None:
        data["error"] = error
    if session_id is not None:
        data["session_id"] = session_id
    return data
