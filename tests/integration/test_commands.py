"""Commands by event: validation before any call, tenant tolerance, and one result for every event."""

import asyncio

import pytest

from harness.stack import CP1, CP2, SLUG1, sensor, stack
from simulator import Fault

RESULT = "ampeco_ev_charger_command_result"

LIST = "app/personal/charge-points"  # the poll (the session log reads the history once, beside it)


def commands_sent(s) -> list[tuple[str, str]]:
    """Every request that changes something in the cloud."""
    return [(r.method, r.path) for r in s.requests() if r.method != "GET"]


@pytest.mark.parametrize(
    ("command", "data", "error", "reason"),
    [
        ("start_charging", {"chargepoint_id": "NOPE"}, "unknown chargepoint_id 'NOPE'", "unknown_charger"),
        ("start_charging", {}, "chargepoint_id is required when several chargers are watched", "unknown_charger"),
        ("stop_charging", {}, "chargepoint_id is required", "unknown_charger"),
        ("start_charging", {"chargepoint_id": CP1, "max_current": 5}, "between 6 and 32 A, got 5", "out_of_range"),
        ("start_charging", {"chargepoint_id": CP1, "max_current": 33}, "between 6 and 32 A, got 33", "out_of_range"),
        ("start_charging", {"chargepoint_id": CP1, "max_current": 16.5}, "amps, got 16.5", "invalid_value"),
        ("start_charging", {"chargepoint_id": CP1, "max_current": "16.5"}, "amps, got '16.5'", "invalid_value"),
        ("start_charging", {"chargepoint_id": CP1, "max_current": "abc"}, "got the text 'abc'", "invalid_value"),
        (
            "start_charging",
            {"chargepoint_id": CP1, "max_current": 20},
            "above this charger's maximum of 16 A",
            "out_of_range",
        ),
        ("set_max_current", {"chargepoint_id": CP1}, "max_current is required", "invalid_value"),
        ("set_max_current", {"chargepoint_id": CP1, "max_current": None}, "max_current is required", "invalid_value"),
        (
            "set_max_current",
            {"chargepoint_id": CP1, "max_current": 32},
            "above this charger's maximum of 16 A",
            "out_of_range",
        ),
        (
            "stop_charging",
            {"chargepoint_id": CP1},
            "nothing to stop: no charging session is running",
            "nothing_to_stop",
        ),
    ],
)
async def test_bad_commands_get_one_plain_answer_and_no_api_call(tmp_path, command, data, error, reason):
    async with stack(tmp_path) as s:
        await s.start()
        before = len(s.requests())
        result = await s.send(command, **data)
        assert result["success"] is False and error in result["error"] and result["reason"] == reason
        assert result["command"] == command
        assert s.requests()[before:] == []
        assert any(error in line for line in s.fake.lines("WARNING"))


async def test_start_while_charging_is_refused_without_a_call(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        first = await s.send("start_charging", chargepoint_id=CP1)
        second = await s.send("start_charging", chargepoint_id=CP1)
        assert first["success"] and not second["success"]
        assert "already running" in second["error"] and second["session_id"] == first["session_id"]
        assert commands_sent(s) == [("POST", "app/session/start")]


async def test_a_refused_start_says_why_and_the_sensors_catch_up(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        s.model.start(s.model.chargers[CP1])  # from the phone, between two polls
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is False
        assert (
            result["error"] == "the charger refused to start: There is already an active session on this charge point."
        )
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id


async def test_a_charger_without_a_car_cannot_start(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        result = await s.send("start_charging", chargepoint_id=CP2)
        assert result["success"] is False and "connect the cable" in result["error"]


async def test_stop_after_a_restart_with_no_memory_finds_the_session(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(10)
        session_id = s.model.chargers[CP1].session.id
        await s.stop()
        s.state_file = tmp_path / "another.json"  # a restart that lost everything
        await s.start()
        await s.fake.advance(300)
        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result["success"] is True and result["session_id"] == session_id


async def test_stopping_twice_is_harmless(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(4)
        results = [await s.send("stop_charging", chargepoint_id=CP1) for _ in range(2)]
        assert [r["success"] for r in results] == [True, True]
        await s.fake.advance(4)
        third = await s.send("stop_charging", chargepoint_id=CP1)
        assert third["success"] is False and "nothing to stop" in third["error"]
        assert len([p for _, p in commands_sent(s) if p.endswith("/end")]) == 1


async def test_start_and_stop_within_100_ms_never_interleave(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        gate = s.simulator.hold()
        start = asyncio.ensure_future(s.fake.send("ampeco_ev_charger_start_charging", {"chargepoint_id": CP1}))
        await asyncio.wait_for(gate.arrived.wait(), 5)  # the start is in flight
        stop = asyncio.ensure_future(s.fake.send("ampeco_ev_charger_stop_charging", {"chargepoint_id": CP1}))
        gate.open()
        await asyncio.gather(start, stop)
        results = {r["command"]: r for r in s.fake.fired(RESULT)}
        assert results["start_charging"]["success"] and results["stop_charging"]["success"]
        assert results["stop_charging"]["session_id"] == results["start_charging"]["session_id"]
        kinds = [p.rsplit("/", 1)[-1] for _, p in commands_sent(s)]
        assert kinds == ["start", "end"]
        assert s.simulator.most_in_flight_per_account() == 1
        await s.fake.advance(6)
        assert len(s.model.history) == 1 and s.model.chargers[CP1].session is None


async def test_the_same_start_twice_makes_one_session(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        gate = s.simulator.hold()
        both = asyncio.gather(
            *(s.fake.send("ampeco_ev_charger_start_charging", {"chargepoint_id": CP1}) for _ in range(2))
        )
        await asyncio.wait_for(gate.arrived.wait(), 5)  # the first is in flight, the second at its heels
        gate.open()
        await both
        assert sorted(r["success"] for r in s.fake.fired(RESULT)) == [False, True]
        assert len(s.requests("app/session/start")) == 1


async def test_set_max_current_shows_at_once(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        result = await s.send("set_max_current", chargepoint_id=CP1, max_current=8)
        assert result["success"] is True
        assert s.fake.state(sensor(SLUG1, "max_current")) == 8
        assert s.model.chargers[CP1].max_current_a == 8
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(60)
        assert s.fake.state(sensor(SLUG1, "charging_current")) == 8
        assert s.fake.state(sensor(SLUG1, "charging_session")) == pytest.approx(5.52)
        assert (await s.send("set_max_current", chargepoint_id=CP1, max_current=16))["success"]
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "charging_session")) == pytest.approx(11.0)


async def test_a_failed_limit_means_no_start(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        s.simulator.faults.add(Fault("status", status=500, method="PATCH"))
        result = await s.send("start_charging", chargepoint_id=CP1, max_current=10)
        assert result["success"] is False
        assert (
            result["error"].startswith("could not set the current limit to 10 A") and "not started" in result["error"]
        )
        assert s.requests("app/session/start") == []


async def test_update_data_polls_now(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        s.model.plug(s.model.chargers[CP2], True)
        assert (await s.send("update_data"))["success"] is True
        assert s.fake.state(sensor("qng0c18010", "evse_status")) == "preparing"
        assert len(s.requests(LIST)) == 2
        s.simulator.faults.add(Fault("status", status=503, count=1))
        failed = await s.send("update_data", chargepoint_id=CP2)
        assert failed["success"] is False and "HTTP 503" in failed["error"]
