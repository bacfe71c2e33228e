"""The first hour and the records, as a user meets them in the demo's Home Assistant and AppDaemon: a mistake in
apps.yaml shown and answered, then fixed into the zero-configuration form; the diagnostics dump a bug report
asks for; a session kept in the session log, exported to a file and imported as Home Assistant statistics."""

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo import appdaemon as ad
from demo import stack
from demo.processes import until
from demo.stack import TOKEN
from harness.stack import CP1, CP2

from .test_home_assistant import EVENTS, _requirements, events_until

SLUG1, SLUG2 = CP1.lower(), CP2.lower()
PROBLEM = f"binary_sensor.evse_{SLUG1}_problem"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[stack.Stack]:
    _requirements()
    with stack.running(tmp_path / "demo", mqtt=False) as running:
        yield running


def apps_yaml(demo: stack.Stack) -> Path:
    return demo.folder / "appdaemon" / "apps" / "apps.yaml"


@pytest.mark.timeout(240)
async def test_a_mistake_in_apps_yaml_is_shown_and_answered_until_it_is_fixed(demo: stack.Stack):
    api = demo.api
    broken = [{**charger, "max_current": 45} for charger in demo.chargers]  # more than any wallbox takes
    apps_yaml(demo).write_text(ad.apps_yaml(demo.simulator_url, broken))  # AppDaemon reloads the app
    problem = await api.wait_state(PROBLEM, lambda s: s == "on", timeout=60)
    assert "max_current" in problem["attributes"]["reason"]
    assert (await api.state(f"sensor.evse_{SLUG1}_max_current"))["attributes"]["stale"] is True
    async with api.websocket() as ws:
        await ws.subscribe(EVENTS[0])
        await api.fire("ampeco_ev_charger_start_charging", {"chargepoint_id": CP1})
        (result,) = await events_until(ws, EVENTS[0])
    answer = result["data"]
    assert (answer["success"], answer["reason"], answer["chargepoint_id"]) == (False, "config_error", CP1)
    assert "max_current" in answer["error"]

    # Fixed the shortest way: no chargers list at all, every charger on the account is watched.
    apps_yaml(demo).write_text(ad.apps_yaml(demo.simulator_url, []).replace("  chargers: []\n", ""))
    await api.wait_state(PROBLEM, lambda s: s == "off", timeout=60)
    for slug in (SLUG1, SLUG2):
        await api.wait_state(f"sensor.evse_{slug}_evse_status", lambda s: s not in ("unknown", "unavailable"))
    assert (await api.state(f"sensor.evse_{SLUG1}_max_current"))["attributes"]["stale"] is False


@pytest.mark.timeout(240)
async def test_the_diagnostics_dump_from_home_assistant_holds_no_secret(demo: stack.Stack):
    api = demo.api
    async with api.websocket() as ws:
        await ws.subscribe("ampeco_ev_charger_diagnostics_written")
        await api.fire("ampeco_ev_charger_diagnostics", {})
        (written,) = await events_until(ws, "ampeco_ev_charger_diagnostics_written")
    assert written["data"]["success"] is True
    text = await asyncio.to_thread(Path(written["data"]["file"]).read_text)
    dump = json.loads(text)
    assert {CP1, CP2} <= set(dump["chargers"]) and dump["configuration"]
    for secret in (TOKEN, demo.tokens.long_lived, "Driveway"):  # the token, Home Assistant's, a name
        assert secret not in text


@pytest.mark.timeout(300)
async def test_a_session_is_logged_exported_and_in_the_hourly_statistic(demo: stack.Stack):
    api = demo.api
    async with api.websocket() as ws:
        for event in (*EVENTS, "ampeco_ev_charger_sessions_exported"):
            await ws.subscribe(event)
        await api.fire("ampeco_ev_charger_start_charging", {"chargepoint_id": CP1})
        started = (await events_until(ws, "ampeco_ev_charger_session_started"))[-1]["data"]
        await api.wait_state(f"sensor.evse_{SLUG1}_charging_energy", lambda s: _number(s) > 0, timeout=60)
        await api.fire("ampeco_ev_charger_stop_charging", {"chargepoint_id": CP1})
        ended = (await events_until(ws, "ampeco_ev_charger_session_ended"))[-1]["data"]
        assert ended["session_id"] == started["session_id"] and ended["energy_kwh"] > 0
        energy = ended["energy_kwh"]

        month = await api.wait_state(f"sensor.evse_{SLUG1}_month_energy", lambda s: _number(s) > 0, timeout=60)
        assert float(month["state"]) == pytest.approx(energy, abs=0.001) and month["attributes"]["sessions"] == 1

        this_month = month["attributes"]["month"]
        await api.fire("ampeco_ev_charger_export_sessions", {"month": this_month})
        exported = (await events_until(ws, "ampeco_ev_charger_sessions_exported"))[-1]["data"]
    assert exported["success"] is True and exported["sessions"] == 1
    rows = list(csv.DictReader(io.StringIO(await asyncio.to_thread(Path(exported["file"]).read_text))))
    ours = [row for row in rows if row["session"] == started["session_id"]]
    assert len(ours) == 1 and float(ours[0]["energy_kwh"]) == pytest.approx(energy, abs=0.001), rows

    statistic = f"ampeco_ev_charger:evse_{SLUG1}_energy"
    hours = await _statistics(demo, statistic)
    assert hours and hours[-1]["sum"] == pytest.approx(energy, abs=0.002), hours


def _number(state: str) -> float:
    try:
        return float(state)
    except ValueError:
        return 0.0


async def _statistics(demo: stack.Stack, statistic_id: str) -> list[dict[str, Any]]:
    """The statistic's hours of the last day, once Home Assistant's recorder has them (it imports in its own
    thread, and says nothing when it is done)."""
    query = {
        "type": "recorder/statistics_during_period",
        "start_time": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "statistic_ids": [statistic_id],
        "period": "hour",
        "types": ["sum"],
    }
    async with demo.api.websocket() as ws:
        answer = await until(f"{statistic_id} in the statistics", lambda: ws.call(query), bool, timeout=60)
    return list(answer[statistic_id])
