"""Command events from Home Assistant -> typed commands, checked before anything talks to the cloud.

The only place where event dicts are read: every problem becomes a sentence a person can act on, answered
with one `command_result` and no API call.
"""

from collections.abc import Mapping, Sequence

from ..const import SET_MAX_CURRENT, START, STOP, UPDATE
from ..runtime.commands import (
    Command,
    CommandRefused,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateData,
    whole_amps,
)
from ..runtime.hub import Hub
from .events import COMMAND_EVENTS


async def handle_event(hub: Hub, event_type: str, data: Mapping[str, object]) -> None:
    """One incoming command event -> exactly one command_result event."""
    try:
        command = parse_command(event_type, data, list(hub.chargers))
    except CommandRefused as err:
        await hub.refuse(err)
        return
    await hub.run(command)


def parse_command(event_type: str, data: Mapping[str, object], chargepoint_ids: Sequence[str]) -> Command:
    """Validate one incoming event against the configured chargers; raises CommandRefused."""
    name = COMMAND_EVENTS[event_type]
    raw_id = data.get("chargepoint_id")
    given = None if raw_id is None else str(raw_id).strip()
    chargepoint_id = _resolve_charger(name, given, chargepoint_ids)
    if name == UPDATE:
        return UpdateData(chargepoint_id)
    assert chargepoint_id is not None
    if name == STOP:
        return StopCharging(chargepoint_id)
    if name == SET_MAX_CURRENT and "max_current" not in data:
        raise CommandRefused(name, chargepoint_id, "max_current is required: give the new limit in whole amps, e.g. 16")
    amps = whole_amps(name, chargepoint_id, data["max_current"]) if "max_current" in data else None
    if name == START:
        return StartCharging(chargepoint_id, amps)
    assert amps is not None
    return SetMaxCurrent(chargepoint_id, amps)


def _resolve_charger(name: str, given: str | None, chargepoint_ids: Sequence[str]) -> str | None:
    if given is None or given == "":
        if len(chargepoint_ids) == 1:
            return chargepoint_ids[0]
        if name == UPDATE:
            return None
        raise CommandRefused(
            name,
            None,
            f"chargepoint_id is required when several chargers are configured ({', '.join(chargepoint_ids)})",
        )
    for chargepoint_id in chargepoint_ids:
        if chargepoint_id.lower() == given.lower():
            return chargepoint_id
    raise CommandRefused(name, given, f"unknown chargepoint_id {given!r}; configured: {', '.join(chargepoint_ids)}")
