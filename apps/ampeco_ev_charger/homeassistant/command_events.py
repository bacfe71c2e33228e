"""Command events from Home Assistant -> typed commands, checked before anything talks to the cloud.

The only place where event dicts are read: every problem becomes a sentence a person can act on and a
reason code, answered with one `command_result` and no API call.
"""

from collections.abc import Mapping, Sequence

from ..runtime.commands import Command, CommandRefused, CommandRow, Reason
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
    """Validate one incoming event against the watched chargers; raises CommandRefused."""
    row = COMMAND_EVENTS[event_type]
    raw_id = data.get("chargepoint_id")
    given = None if raw_id is None else str(raw_id).strip()
    return row.parse(_resolve_charger(row, given, chargepoint_ids), data)


def _resolve_charger(row: CommandRow, given: str | None, chargepoint_ids: Sequence[str]) -> str | None:
    if not given:
        if len(chargepoint_ids) == 1:
            return chargepoint_ids[0]
        if row.every_charger:
            return None
        raise CommandRefused(
            row.name,
            None,
            "chargepoint_id is required when several chargers are watched "
            f"({', '.join(chargepoint_ids) or 'none yet'})",
            Reason.UNKNOWN_CHARGER,
        )
    for chargepoint_id in chargepoint_ids:
        if chargepoint_id.lower() == given.lower():
            return chargepoint_id
    known = ", ".join(chargepoint_ids) or "none yet"
    shown = given[:40]  # the result echoes it: an event may name a megabyte
    raise CommandRefused(row.name, shown, f"unknown chargepoint_id {shown!r}; watched: {known}", Reason.UNKNOWN_CHARGER)
