"""What Home Assistant remembers of a charging session: the recorder's history, long-term statistics, the
logbook and the Energy dashboard, in the demo's Home Assistant (recorder, history, logbook and energy on, as
in `default_config`), with the app as `make demo` runs it.

Statistics are compiled on Home Assistant's five-minute schedule: one test waits for the compile of the period
the session ended in (bounded).
"""

import asyncio
import itertools
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from demo import homeassistant as ha
from demo import mosquitto, stack
from demo.processes import until
from harness.stack import CP1, CP2

from .test_home_assistant import EVENTS, _requirements, events_until, read_now, reads

POWER, ENERGY, COST = (f"sensor.evse_{CP1.lower()}_{key}" for key in ("charging_power", "total_energy", "session_cost"))
# seconds: the next five-minute mark and the compile 10 s after it, twice: a busy machine can make Home
# Assistant's compile of the period miss the reading, and the next compile holds it
COMPILE_PATIENCE = 630


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[stack.Stack]:
    _requirements()
    with stack.running(tmp_path / "demo", mqtt=None if mosquitto.binary() else False) as running:
        yield running


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


async def history(api: ha.HomeAssistantApi, since: float, entities: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row the recorder wrote for `entities` since `since`: state changes and attribute changes alike."""
    path = f"/api/history/period/{quote(iso(since))}"
    query = f"filter_entity_id={','.join(entities)}&significant_changes_only=0"
    rows = await api.request("GET", f"{path}?{query}")
    return {states[0]["entity_id"]: states for states in rows if states}


async def statistics_through(ws: ha.Websocket, since: float, moment: float) -> dict[str, list[dict[str, Any]]]:
    """The five-minute statistics of the meter, the cost and the power from `since`, once Home Assistant has
    compiled the period `moment` is in: after each compile it announces, until it is that period's (bounded)."""
    await ws.subscribe("recorder_5min_statistics_generated")
    query = {
        "type": "recorder/statistics_during_period",
        "start_time": iso(since - 600),
        "statistic_ids": [ENERGY, COST, POWER],
        "period": "5minute",
        "types": ["sum", "mean", "max", "state"],
    }
    ends: list[float] = []  # the last compiled period's end, after each compile: said if the wait runs out
    try:
        async with asyncio.timeout(COMPILE_PATIENCE):
            while True:
                await ws.next_event(COMPILE_PATIENCE)
                stats: dict[str, list[dict[str, Any]]] = await ws.call(query)
                ends.append(stats[ENERGY][-1]["end"] / 1000 if stats.get(ENERGY) else math.nan)  # epoch ms
                if ends[-1] > moment:
                    return stats
    except TimeoutError:
        pytest.fail(f"no compiled period of {ENERGY} ends after {iso(moment)}; after each compile: {ends}")


@pytest.mark.timeout(COMPILE_PATIENCE + 240)
async def test_a_session_in_history_statistics_logbook_and_the_energy_dashboard(demo: stack.Stack):
    api, since = demo.api, time.time()
    async with api.websocket() as ws:
        for event in EVENTS:
            await ws.subscribe(event)
        await api.fire("ampeco_ev_charger_start_charging", {"chargepoint_id": CP1})
        started = (await events_until(ws, "ampeco_ev_charger_session_started"))[-1]["data"]
        await api.wait_state(POWER, lambda s: s not in ("unknown", "unavailable") and float(s) > 10_000, timeout=60)
        for _ in range(3):  # a few readings of the session's power
            await read_now(api, ws, CP1)
        await api.fire("ampeco_ev_charger_stop_charging", {"chargepoint_id": CP1})
        ended = (await events_until(ws, "ampeco_ev_charger_session_ended"))[-1]["data"]
    session = started["session_id"]
    assert ended["session_id"] == session and ended["energy_kwh"] > 0
    await api.wait_state(POWER, lambda s: s == "0", timeout=60)
    shown = time.time()  # every reading of the session is in Home Assistant

    async def recorded() -> tuple[list[str], list[str]]:
        """The power curve in the recorder's history, and the charger's logbook messages."""
        curve = [row["state"] for row in (await history(api, since, [POWER])).get(POWER, [])]
        logbook = await api.request("GET", f"/api/logbook/{quote(iso(since))}")
        return curve, [entry.get("message", "") for entry in logbook if entry.get("name") == "Driveway"]

    def complete(found: tuple[list[str], list[str]]) -> bool:
        curve, messages = found
        ended = any(m.startswith(f"ended charging (session {session}): ") for m in messages)
        return ended and len(curve) > 1 and curve[-1] == "0"

    # The recorder commits every 5 s, and the logbook is written after the end is announced: both are read
    # until the session's end is in them (bounded).
    curve, messages = await until("the session's end in the history and the logbook", recorded, complete, 60)

    # The history API has the session's power curve: up, a few readings, back to 0.
    readings = [float(state) for state in curve if state not in ("unknown", "unavailable")]
    assert max(readings) > 10_000 and readings[-1] == 0 and len([r for r in readings if r > 0]) >= 2, curve

    # The logbook says when the session started and ended.
    assert f"started charging (session {session})" in messages, messages

    async with api.websocket() as ws:
        # Long-term statistics: the meter and the cost as sums, the power as a mean.
        listed = {s["statistic_id"]: s for s in await ws.call({"type": "recorder/list_statistic_ids"})}
        assert (listed[ENERGY]["has_sum"], listed[ENERGY]["statistics_unit_of_measurement"]) == (True, "kWh")
        assert (listed[COST]["has_sum"], listed[COST]["statistics_unit_of_measurement"]) == (True, "DKK")
        assert (listed[POWER]["has_mean"], listed[POWER]["statistics_unit_of_measurement"]) == (True, "W")
        stats = await statistics_through(ws, since, shown)
        # the sum up to the compiled period's end: the whole session
        assert 0 < stats[ENERGY][-1]["sum"] <= ended["energy_kwh"] + 0.002
        assert stats[COST][-1]["sum"] > 0
        assert max(row["max"] for row in stats[POWER]) > 10_000
        # Nothing for Home Assistant to warn about, in the recorder or the Energy dashboard.
        problems = await ws.call({"type": "recorder/validate_statistics"})
        assert not {k: v for k, v in problems.items() if "evse_" in k}, problems
        energy = await ws.call({"type": "energy/validate"})
        issues = [
            (issue["type"], entity)
            for group in energy["energy_sources"] + energy["device_consumption"]
            for issue in group
            for entity, _value in issue["affected_entities"]
        ]
        # Garage never had a session: its cost is unknown, so Home Assistant has no statistics of it yet.
        assert issues in ([], [("statistics_not_defined", "sensor.evse_qng0c18010_session_cost")]), issues
        prefs = await ws.call({"type": "energy/get_prefs"})
    assert ENERGY in [d["stat_consumption"] for d in prefs["device_consumption"]]
    assert COST in [f["stat_cost"] for source in prefs["energy_sources"] for f in source["flow_from"]]

    # An idle charger writes no row per poll: Garage was read with every poll of its account (which had a car
    # plugged in and a session), and only what changed became a row.
    polls = reads(demo)
    garage = [e for e in stack.shown(demo.chargers, demo.mqtt) if "qng0c18010" in e]
    rows = await history(api, since, garage)
    written = {entity: len(states) for entity, states in rows.items()}
    print(f"{len(polls)} polls; rows written for the idle charger's entities: {written}")
    # Except the cadence, the account's: it stretches poll by poll while nothing happens (as many of those steps
    # fall in the test as the wait for the compile is long), and each of its rows is a step.
    cadence = [row["state"] for row in rows.pop(f"sensor.evse_{CP2.lower()}_polling_interval")]
    assert all(a != b for a, b in itertools.pairwise(cadence)), cadence
    most = max(len(states) for states in rows.values())
    assert len(polls) >= 10 and most <= len(polls) / 3, (len(polls), written)
