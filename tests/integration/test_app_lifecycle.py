"""What AppDaemon does to the app: reloads, Home Assistant restarts, bad configuration; and the token's safety."""

import asyncio
import json

import pytest

from ampeco_ev_charger.runtime.commands import COMMANDS
from harness.fake_appdaemon import app_tasks
from harness.stack import CP1, SLUG1, SLUG2, TOKEN, make_app, sensor, stack
from simulator import Fault

STARTED, ENDED = "ampeco_ev_charger_session_started", "ampeco_ev_charger_session_ended"
LIST = "app/personal/charge-points"


async def test_home_assistant_restart_republishes_everything_at_once(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(120)
        before = {entity: s.fake.state(entity) for entity in s.fake.states}
        await s.stop()
        s.fake.states.clear()  # Home Assistant forgot every entity made with set_state
        requests = len(s.requests())
        s.app = make_app(s.fake, s.args(), tmp_path)
        await s.app.initialize()
        assert len(s.requests()) == requests  # shown from memory, before any request
        assert set(s.fake.states) == set(before)
        for key in ("session_id", "charging_current", "max_current", "evse_status", "charging_energy"):
            assert s.fake.state(sensor(SLUG1, key)) == before[sensor(SLUG1, key)]
        await s.fake.advance(0)
        assert [r.path for r in s.requests()[requests:]] == [LIST, "app/profile/session_history"]
        assert s.fake.state(sensor(SLUG1, "charging_energy")) >= before[sensor(SLUG1, "charging_energy")]
        assert len(s.fake.fired(STARTED)) == 1


async def test_a_session_is_announced_once_across_restarts(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(60)
        for _ in range(3):
            await s.restart()
            await s.fake.advance(60)
        assert len(s.fake.fired(STARTED)) == 1
        await s.stop()
        s.model.stop(s.model.chargers[CP1])  # ended while AppDaemon was down
        await s.fake.advance(30)
        await s.start()
        await s.restart()
        assert len(s.fake.fired(ENDED)) == 1
        assert s.fake.fired(ENDED)[0]["energy_kwh"] == pytest.approx(s.model.history[0][1].energy_wh / 1000, abs=1e-3)


async def test_terminate_leaves_nothing_running(tmp_path):
    async with stack(tmp_path) as s:
        app = await s.start()
        http = app._http
        await s.fake.advance(90)
        await s.stop()
        assert http.closed
        assert s.fake.timers == {}
        assert app_tasks() == []


async def test_reload_in_the_middle_of_a_request(tmp_path):
    async with stack(tmp_path) as s:
        app = await s.start()
        gate = s.simulator.hold()
        pending = asyncio.ensure_future(s.fake.send("ampeco_ev_charger_update_data", {}))
        await asyncio.wait_for(gate.arrived.wait(), 5)  # the request is in flight
        await s.stop()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert app._http is None and s.fake.timers == {}
        gate.open()
        await s.start()
        assert len(s.fake.timers) == 1  # one poll timer for the one account, no duplicates


async def test_a_bad_configuration_is_one_clear_line_and_nothing_else(tmp_path):
    async with stack(tmp_path) as s:
        app = make_app(s.fake, s.args(charging_interval="soon"), tmp_path)
        await app.initialize()
        (line,) = s.fake.lines()
        assert s.fake.logs[0][0] == "ERROR" and "`charging_interval`" in line and "not started" in line
        assert s.fake.fired("ampeco_ev_charger_config_error")[0]["key"] == "charging_interval"
        assert s.fake.timers == {}  # nothing runs
        problems = {key: state for key, (state, _attributes) in s.fake.states.items()}
        assert problems == {f"binary_sensor.evse_{slug}_problem": "on" for slug in (SLUG1, SLUG2)}  # the mistake shows
        answered = [f"ampeco_ev_charger_{row.name}" for row in COMMANDS]
        answered += ["ampeco_ev_charger_export_sessions", "ampeco_ev_charger_diagnostics"]
        assert sorted(s.fake.listeners) == sorted(answered)
        assert app._http is None and s.requests() == []
        await app.terminate()


async def test_the_token_never_leaves_the_app(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(request_timeout=1)
        await s.send("start_charging", chargepoint_id=CP1, max_current=12)
        for fault in (
            Fault("status", status=401, count=1),
            Fault("malformed", count=1),
            Fault("status", status=500, count=1),
            Fault("replay", count=1, status=422, body={"message": f"bad token {TOKEN}"}),
        ):
            s.simulator.faults.add(fault)
            await s.send("update_data")
            await s.fake.advance(30)
        await s.send("start_charging", chargepoint_id=TOKEN)
        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(3600)
        await s.stop()
        everything = json.dumps([s.fake.logs, s.fake.events, s.fake.states], default=str)
        assert TOKEN not in everything and "***" in everything
        assert TOKEN not in s.state_file.read_text()


async def test_a_second_app_instance_keeps_its_own_entities(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=[{"chargepoint_id": CP1, "name": "Drive"}])
        assert s.fake.attributes(sensor(SLUG1, "evse_status"))["friendly_name"] == "Drive EVSE Status"
        assert sensor(SLUG2, "evse_status") not in s.fake.states


async def test_a_bug_while_polling_costs_one_round_and_one_line(tmp_path, mocker):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        mocker.patch("ampeco_ev_charger.runtime.charger.Charger.update", side_effect=KeyError("surprise"))
        await s.fake.advance(300)
        (error,) = s.fake.lines("ERROR")
        assert "internal error: KeyError: 'surprise'" in error and "please report" in error
        mocker.stopall()
        await s.fake.advance(300)
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"] is None
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 30
