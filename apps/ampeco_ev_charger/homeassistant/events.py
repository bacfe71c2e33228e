"""The events between Home Assistant and the app: their names and payloads (the contract automations use)."""

from typing import Any

from ..ampeco import rounded
from ..const import DOMAIN
from ..runtime.commands import COMMANDS, CommandResult, CommandRow
from ..runtime.credential_watch import TokenExpiring
from ..runtime.lifecycle import SessionEnded, SessionStarted, SessionSummary, StatusChanged, Transition, delivered
from ..times import iso_time

# Home Assistant -> the app: one event type per command of the registry.
COMMAND_EVENTS: dict[str, CommandRow] = {f"{DOMAIN}_{row.name}": row for row in COMMANDS}
# The app -> Home Assistant.
COMMAND_RESULT = f"{DOMAIN}_command_result"
SESSION_STARTED = f"{DOMAIN}_session_started"
SESSION_ENDED = f"{DOMAIN}_session_ended"
STATUS_CHANGED = f"{DOMAIN}_status_changed"
CONFIG_ERROR = f"{DOMAIN}_config_error"
DIAGNOSTICS = f"{DOMAIN}_diagnostics"  # Home Assistant asks for a diagnostics dump...
DIAGNOSTICS_WRITTEN = f"{DOMAIN}_diagnostics_written"  # ...and is told where it is
TOKEN_EXPIRING = f"{DOMAIN}_token_expiring"


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


def logbook_message(transition: Transition) -> str | None:
    """What Home Assistant's logbook says after the charger's name, for a session's start and end."""
    match transition:
        case SessionStarted(session=summary):
            return f"started charging (session {summary.id})"
        case SessionEnded(session=summary):
            return f"ended charging (session {summary.id}): {delivered(summary, 2)}"
    return None


def command_result_event(result: CommandResult) -> dict[str, Any]:
    """The data of one command_result event: absent keys rather than nulls, as documented."""
    data: dict[str, Any] = {
        "chargepoint_id": result.chargepoint_id,
        "command": result.command,
        "success": result.success,
    }
    for key in ("error", "session_id", "origin", "note"):
        if (value := getattr(result, key)) is not None:
            data[key] = value
    if result.reason is not None:
        data["reason"] = result.reason.value
    return data


def token_expiring_event(warning: TokenExpiring, now: float) -> dict[str, Any]:
    return {
        "chargepoint_ids": list(warning.chargepoint_ids),
        "expires_at": iso_time(warning.expires_at),
        "days_left": max(0, round((warning.expires_at - now) / 86400)),
    }
