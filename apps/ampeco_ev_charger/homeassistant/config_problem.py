"""While apps.yaml has a mistake, the app does not run, but it does not go quiet either: every command event
is answered (`success: false`, `reason: config_error`, the mistake as `error`), and the chargers' entities that
exist show the problem (`binary_sensor.evse_{slug}_problem` on with the mistake as its reason, the readings
marked `stale`) instead of looking fresh.
"""

import asyncio
from collections.abc import Iterable, Mapping

from ..const import entity_id, slugify
from ..runtime.commands import CommandResult, Reason
from ..runtime.logbook import one_line
from .entities import ATTRIBUTION, SENSORS
from .events import COMMAND_EVENTS, COMMAND_RESULT, DIAGNOSTICS, DIAGNOSTICS_WRITTEN, command_result_event
from .exports import EXPORT_SESSIONS, SESSIONS_EXPORTED
from .hass import HA_TIMEOUT, EntityState, HomeAssistant

PROBLEM_KEY = "problem"


def chargepoint_ids(args: Mapping[str, object]) -> list[str]:
    """The chargers apps.yaml names, as far as a broken apps.yaml can tell."""
    found: list[object] = [args.get("chargepoint_id")]
    chargers = args.get("chargers")
    if isinstance(chargers, list):
        found += [entry.get("chargepoint_id") for entry in chargers if isinstance(entry, Mapping)]
    return [str(value).strip() for value in found if isinstance(value, (str, int)) and not isinstance(value, bool)]


class ConfigProblem:
    def __init__(self, ha: HomeAssistant, error: str, chargepoint_ids: Iterable[str]) -> None:
        self.ha = ha
        self.error = error
        self.slugs = sorted({slugify(cp) for cp in chargepoint_ids if cp})

    async def show(self) -> list[str]:
        """Mark the named chargers' entities; returns the ids marked (Home Assistant not answering: none)."""
        marked: list[str] = []
        for slug in self.slugs:
            for sensor in SENSORS:
                key = entity_id(slug, sensor.key, sensor.domain)
                try:
                    if await asyncio.wait_for(self._mark(key, sensor.key == PROBLEM_KEY), HA_TIMEOUT):
                        marked.append(key)
                except Exception as err:  # Home Assistant starting or gone: nothing to mark
                    return [*marked, f"(stopped: {one_line(err)})"]
        return marked

    async def _mark(self, key: str, problem: bool) -> bool:
        current = await self.ha.read_all(key)
        if current is None and not problem:
            return False
        attributes = dict(current.get("attributes") or {}) if current is not None else {}
        if problem:
            attributes |= {"reason": self.error, "device_class": "problem", "attribution": ATTRIBUTION}
            await self.ha.set_state(EntityState(key, "on", attributes))
            return True
        if "stale" not in attributes:
            return False  # not a reading of the app's
        await self.ha.set_state(
            EntityState(key, current.get("state") if current else None, attributes | {"stale": True})
        )
        return True

    async def answer(self, event_type: str, data: Mapping[str, object]) -> None:
        """One command (or export) event: answered, and nothing else happens."""
        refusal = {"success": False, "error": self.error, "reason": Reason.CONFIG_ERROR.value}
        if event_type in (EXPORT_SESSIONS, DIAGNOSTICS):
            await self.ha.fire(SESSIONS_EXPORTED if event_type == EXPORT_SESSIONS else DIAGNOSTICS_WRITTEN, refusal)
            return
        row = COMMAND_EVENTS.get(event_type)
        if row is None:
            return
        raw = data.get("chargepoint_id")
        chargepoint_id = None if raw is None else str(raw)[:80]
        result = CommandResult(chargepoint_id, row.name, False, self.error, Reason.CONFIG_ERROR)
        await self.ha.fire(COMMAND_RESULT, command_result_event(result))
