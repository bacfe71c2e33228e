"""Each charger's energy in the clock hours it was delivered, as a long-term statistic of Home Assistant's:
`ampeco_ev_charger:evse_{slug}_energy` (an external statistic, in kWh, with a sum).

The total energy sensor counts a session's energy when the app sees it; a session it saw only afterwards (it
ran while AppDaemon was down, or between two polls) lands as one lump in the hour it was seen, which misprices
it under hourly tariffs. This statistic is made from the session log instead: every logged session's energy in
its own hours (by its power curve where the cloud sends one), imported again from the first hour a new
session touches, with the running sum carried on, so no kWh is counted twice within it. It is complete only
once a session has ended. In the Energy dashboard, pick either this statistic or the total energy sensor for a
charger, never both (the same energy would be counted twice).
"""

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..const import DOMAIN
from ..runtime.logbook import Logbook
from ..runtime.session_log import SessionLog
from .hass import HomeAssistant

KEY = "energy"  # the statistic is ampeco_ev_charger:evse_{slug}_energy


def statistic_id(slug: str) -> str:
    return f"{DOMAIN}:evse_{slug}_{KEY}"


class HourlyStatistics:
    def __init__(
        self, ha: HomeAssistant, log: SessionLog, logbook: Logbook, named: Callable[[str], tuple[str, str] | None]
    ) -> None:
        """`named`: a charger's slug and name, by its chargepoint id (None: not watched)."""
        self.ha = ha
        self.log = log
        self.logbook = logbook
        self.named = named
        self._owed: dict[str, datetime] = {}  # per charger: the first hour an import failed to bring

    async def imported(self, chargepoint_id: str, since: datetime) -> None:
        """The charger's hours from `since` on (or from the first hour a failed import owes), imported again
        with their running sum."""
        named = self.named(chargepoint_id)
        if named is None:
            return
        slug, name = named
        since = min(since, self._owed.get(chargepoint_id, since))
        (before, hours), problem = await asyncio.to_thread(self.log.hourly, chargepoint_id, since)
        if problem or not hours:
            return
        total, rows = before, []
        for hour, kwh in hours:
            total += kwh
            rows.append({"start": hour.isoformat(), "state": round(total, 3), "sum": round(total, 3)})
        metadata: dict[str, Any] = {
            "statistic_id": statistic_id(slug),
            "source": DOMAIN,
            "name": f"{name} energy by the hour",
            "unit_of_measurement": "kWh",
            "has_mean": False,
            "has_sum": True,
        }
        try:
            await self.ha.import_statistics(metadata, rows)
        except Exception as err:  # no Home Assistant plugin, not connected, refused: the log keeps the hours
            self._owed[chargepoint_id] = since
            self.logbook.once(
                "statistics",
                f"cannot import the hourly energy statistic into Home Assistant ({err or type(err).__name__}); "
                "the session log keeps every hour, and the next session's import brings these too",
                "WARNING",
            )
            return
        self._owed.pop(chargepoint_id, None)
        self.logbook.forget("statistics")
