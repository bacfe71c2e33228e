"""Sessions a broken cloud describes wrongly: dates at the calendar's ends or decades long, a session that
cannot be read for a moment. None of them may stop the updates, hold the event loop, or end a session that
still runs."""

from datetime import datetime, timezone
from typing import Any

from harness.stack import CP1, CP2, SLUG1, SLUG2, Stack, sensor, stack
from simulator import Fault
from simulator.render import charge_point_json

HISTORY = "app/profile/session_history"
LIST = "app/personal/charge-points"
STATISTIC = f"ampeco_ev_charger:evse_{SLUG1}_energy"


def finished(s: Stack, started: str, stopped: str, energy_wh: float, session_id: str) -> dict[str, Any]:
    """One finished session on the first charger, as the history lists it."""
    return {
        "session": {
            "id": session_id,
            "startedAt": started,
            "stoppedAt": stopped,
            "duration": 2400,
            "energy": energy_wh,
            "power": 0,
            "evseId": s.model.chargers[CP1].identifier,
            "status": "finished",
        }
    }


def iso(s: Stack, ago: float) -> str:
    return datetime.fromtimestamp(s.fake.clock - ago, timezone.utc).isoformat()


async def test_sessions_with_wrong_dates_are_logged_without_hours_and_the_updates_go_on(tmp_path):
    async with stack(tmp_path) as s:
        wrong = [
            finished(s, "9999-12-31T23:10:00+00:00", "9999-12-31T23:50:00+00:00", 5000.0, "in-9999"),
            finished(s, "1970-01-01T00:00:00+00:00", iso(s, 3600), 10000.0, "since-1970"),
            finished(s, iso(s, 7200), iso(s, 3600), 7000.0, "a-real-one"),
        ]
        s.simulator.faults.add(Fault("replay", path=HISTORY, status=200, body={"session_history": wrong}))
        await s.start()
        s.charge_from_phone(CP2)
        await s.fake.advance(120)
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "charging"
        assert not [line for line in s.fake.lines("ERROR") if "cannot update Home Assistant" in line]
        hours = s.fake.recorder.changes(STATISTIC)
        assert round(sum(hours.values()), 3) == 7.0, "only the real session's energy is placed in its hours"
        first_hour = datetime.fromtimestamp(s.fake.clock - 7200, timezone.utc).replace(minute=0, second=0)
        assert min(hours) >= first_hour.isoformat()


async def test_a_running_session_that_cannot_be_read_for_a_moment_does_not_end(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone(CP1)
        await s.start()
        await s.fake.advance(600)
        items = [charge_point_json(charger, s.fake.clock) for charger in s.model.chargers.values()]
        items[0]["evses"][0]["session"] = [items[0]["evses"][0]["session"]]  # a list where the session was
        s.simulator.faults.add(Fault("replay", count=2, path=LIST, status=200, body={"data": items}))
        await s.fake.advance(600)
        assert s.fake.fired("ampeco_ev_charger_session_ended") == []
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
        s.model.stop(s.model.chargers[CP1], reason="local")
        await s.fake.advance(600)
        assert len(s.fake.fired("ampeco_ev_charger_session_ended")) == 1


async def test_a_session_seen_live_whose_dates_are_at_the_calendars_end_is_announced_when_it_ends(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone(CP1)
        await s.start()
        await s.fake.advance(600)
        running = s.model.chargers[CP1]
        session_id = running.session.id
        items = [charge_point_json(charger, s.fake.clock) for charger in s.model.chargers.values()]
        items[0]["evses"][0]["session"]["startedAt"] = "9999-12-31T23:10:00+00:00"
        s.simulator.faults.add(Fault("replay", count=2, path=LIST, status=200, body={"data": items}))
        await s.fake.advance(60)
        detail = finished(s, "9999-12-31T23:10:00+00:00", "9999-12-31T23:50:00+00:00", 2000.0, session_id)
        s.simulator.faults.add(Fault("replay", path=f"app/session/{session_id}", method="GET", status=200, body=detail))
        s.model.stop(running, reason="local")
        s.charge_from_phone(CP2)
        await s.fake.advance(300)
        assert [event["session_id"] for event in s.fake.fired("ampeco_ev_charger_session_ended")] == [session_id]
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "charging"
