"""A whole charging session driven by Home Assistant events, as a user sees it in sensors and events."""

import pytest

from harness.stack import CP1, SLUG1, SLUG2, sensor, stack

STARTED, ENDED = "ampeco_ev_charger_session_started", "ampeco_ev_charger_session_ended"
STATUS = "ampeco_ev_charger_status_changed"

LIST = "app/personal/charge-points"  # the poll (the session log reads the history once, beside it)


async def test_start_event_to_session_ended(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"

        result = await s.send("start_charging", chargepoint_id=CP1, max_current=10)
        assert result["success"] is True and result["session_id"]
        patch, start = s.requests(method="PATCH"), s.requests("app/session/start")
        assert patch[0].body == {"max_current_a": 10} and patch[0].at <= start[0].at
        assert start[0].body == {"evseId": "148964", "maxCurrent": 10}

        await s.fake.advance(4)  # two confirm polls: the charger is past "preparing"
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"
        assert s.fake.state(sensor(SLUG1, "session_id")) == result["session_id"]
        assert s.fake.state(sensor(SLUG1, "charging_current")) == 10
        await s.fake.advance(60)
        power = s.fake.state(sensor(SLUG1, "charging_session"))
        assert power == pytest.approx(6.9)  # 10 A x 230 V x 3 phases
        first = s.fake.state(sensor(SLUG1, "charging_energy"))
        await s.fake.advance(600)
        assert s.fake.state(sensor(SLUG1, "charging_energy")) > first > 0
        assert s.fake.state(sensor(SLUG1, "charging_duration")) >= 10

        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result["success"] is True
        await s.fake.advance(6)
        (ended,) = s.fake.fired(ENDED)
        (finished,) = s.model.history
        assert ended["session_id"] == finished[1].id
        assert ended["energy_kwh"] == pytest.approx(finished[1].energy_wh / 1000, abs=0.001)
        assert ended["duration_min"] > 10 and ended["amount"] > 0
        assert s.fake.state(sensor(SLUG1, "session_id")) == "none"
        assert s.fake.state(sensor(SLUG1, "charging_session")) == 0.0
        assert s.fake.state(sensor(SLUG1, "charging_current")) == 0
        assert s.fake.state(sensor(SLUG1, "charging_energy")) == ended["energy_kwh"]  # the last session stays
        assert "session_id" not in s.fake.attributes(sensor(SLUG1, "charging_session"))

        await s.fake.advance(3600)
        assert len(s.fake.fired(STARTED)) == 1 and len(s.fake.fired(ENDED)) == 1
        statuses = [(e["old_status"], e["new_status"]) for e in s.fake.fired(STATUS)]
        assert statuses == [("preparing", "charging"), ("charging", "finishing")]


async def test_sensors_follow_a_command_within_seconds(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        seen_after = None
        for tick in range(1, 30):
            await s.fake.advance(1)
            if s.fake.state(sensor(SLUG1, "evse_status")) == "charging":
                seen_after = tick
                break
        assert seen_after is not None and seen_after <= 3  # the charger needs 2 s; polls follow every second
        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(4)
        assert s.fake.state(sensor(SLUG1, "session_id")) == "none"


async def test_a_session_started_from_the_phone_app_appears_at_the_next_poll(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        charger = s.model.chargers[CP1]
        s.model.start(charger)
        await s.fake.advance(30)  # a plugged-in car keeps the charging cadence
        (started,) = s.fake.fired(STARTED)
        assert started["chargepoint_id"] == CP1 and started["session_id"] == charger.session.id
        assert s.fake.fired("ampeco_ev_charger_command_result") == []


async def test_two_chargers_on_one_account_are_read_by_one_request(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        assert len(s.requests(LIST)) == 1
        await s.fake.advance(3600)
        # Charger 1 charging sets a 30 s cadence for the account: 120 rounds an hour read both chargers.
        assert len(s.requests("app/personal/charge-points")) == 121
        assert len(s.requests(LIST)) == 121
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "available"
        assert s.fake.state(sensor(SLUG2, "polling_interval")) == 30


async def test_a_car_left_plugged_in_is_watched_closely_then_like_an_idle_charger(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()  # charger 1 has a car plugged in, no session
        intervals = []
        for _ in range(7):
            intervals.append(s.fake.state(sensor(SLUG1, "polling_interval")))
            await s.fake.advance(intervals[-1])
        assert intervals == [30, 60, 120, 240, 300, 300, 300]
        s.model.start(s.model.chargers[CP1])  # from the phone: seen at the next poll, then closely watched
        await s.fake.advance(300)
        assert s.fake.state(sensor(SLUG1, "session_id")) != "none"
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 30


async def test_idle_chargers_are_polled_every_five_minutes(tmp_path):
    async with stack(tmp_path) as s:
        s.model.plug(s.model.chargers[CP1], False)
        await s.start()
        await s.fake.advance(3600)
        assert len(s.requests(LIST)) == 13
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 300
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["is_charging"] is False


async def test_intervals_follow_the_configuration(tmp_path):
    async with stack(tmp_path) as s:
        s.model.plug(s.model.chargers[CP1], False)
        await s.start(charging_interval=60, idle_interval=900)
        await s.fake.advance(3600)
        assert len(s.requests(LIST)) == 5
        s.model.plug(s.model.chargers[CP1], True)
        s.model.start(s.model.chargers[CP1])
        await s.fake.advance(900)
        before = len(s.requests(LIST))
        await s.fake.advance(600)
        assert len(s.requests(LIST)) - before == 10


async def test_a_full_car_keeps_its_session(tmp_path):
    async with stack(tmp_path) as s:
        s.model.chargers[CP1].car_needs_wh = 500
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(1200)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "suspendedEV"
        assert s.fake.state(sensor(SLUG1, "charging_session")) == 0.0
        assert s.fake.state(sensor(SLUG1, "session_id")) != "none"
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 300  # nothing changes: watched like idle
        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result["success"] is True
        await s.fake.advance(4)
        assert s.fake.fired(ENDED)[0]["energy_kwh"] == pytest.approx(0.5)
