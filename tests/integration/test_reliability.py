"""The rest of the reliability matrix: odd answers, glitches, missed sessions and rate limits under commands."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from harness.stack import CP1, CP2, SLUG1, SLUG2, sensor, stack
from simulator import Fault
from simulator.render import charge_point_json

LIST = "app/personal/charge-points"
STARTED, ENDED = "ampeco_ev_charger_session_started", "ampeco_ev_charger_session_ended"


async def test_numbers_sent_as_strings_are_read_like_numbers(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.faults.add(Fault("strings"))
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(120)
        assert s.fake.state(sensor(SLUG1, "max_current")) == 16
        assert s.fake.state(sensor(SLUG1, "charging_session")) == pytest.approx(11.0)
        assert s.fake.state(sensor(SLUG1, "charging_energy")) > 0
        assert not any("oddity" in line for line in s.fake.lines())


@pytest.mark.parametrize("kind", ["nulls", "missing_fields"])
async def test_missing_values_are_unknown_and_the_rest_is_used(tmp_path, kind):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(60)
        energy = s.fake.state(sensor(SLUG1, "charging_energy"))
        s.simulator.faults.add(Fault(kind))
        await s.fake.advance(30 * 20)
        assert s.fake.state(sensor(SLUG1, "max_current")) == "unknown"
        assert s.fake.attributes(sensor(SLUG1, "last_month_energy"))["as_the_cloud_counts_kwh"] is None
        assert s.fake.state(sensor(SLUG1, "charger_status")) == "unknown"
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"  # what parses is still used
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
        assert s.fake.state(sensor(SLUG1, "charging_energy")) == energy  # the last known value, not 0
        assert s.fake.attributes(sensor(SLUG1, "charging_session"))["friendly_name"] == "NT2 nr. 264 Charging Session"
        s.simulator.faults.clear()
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "max_current")) == 16


async def test_one_warning_per_new_kind_of_oddity_not_per_poll(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        s.simulator.faults.add(Fault("unknown_status"))
        await s.fake.advance(3600)
        s.simulator.faults.clear()
        odd = [{"id": CP1, "max_current_a": "lots", "evses": [{"id": "148964"}]}, {"id": CP2, "evses": [{"id": "1"}]}]
        s.simulator.faults.add(Fault("replay", path=LIST, status=200, body={"data": odd}))
        await s.fake.advance(3600)
        warnings = list(s.fake.lines("WARNING"))
        assert len(warnings) == 3, warnings  # EVSE status, the session's EVSE status, max_current: once each
        assert sum("unknown status" in w for w in warnings) == 2 and sum("not a number" in w for w in warnings) == 1


async def test_energy_never_goes_down_within_a_session(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(600)
        peak = s.fake.state(sensor(SLUG1, "charging_energy"))
        s.simulator.faults.add(Fault("energy_backwards", count=3))
        seen = []
        for _ in range(6):
            await s.fake.advance(30)
            seen.append(s.fake.state(sensor(SLUG1, "charging_energy")))
        assert all(b >= a for a, b in zip([peak, *seen], seen, strict=False))
        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(10)
        (ended,) = s.fake.fired(ENDED)
        assert ended["energy_kwh"] >= seen[-1]


async def test_a_session_id_that_changes_between_polls_ends_the_old_one(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(300)
        old = s.model.chargers[CP1].session.id
        new = s.model.split_session(s.model.chargers[CP1]).id
        await s.fake.advance(30)
        assert [e["session_id"] for e in s.fake.fired(ENDED)] == [old]
        assert [e["session_id"] for e in s.fake.fired(STARTED)] == [old, new]
        assert s.fake.state(sensor(SLUG1, "session_id")) == new
        assert s.fake.fired(ENDED)[0]["energy_kwh"] > 0.5
        await s.fake.advance(3600)
        assert len(s.fake.fired(ENDED)) == 1


async def test_a_session_run_entirely_during_an_outage_is_announced_after_it(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        s.simulator.faults.add(Fault("status", status=503, path=LIST))
        await s.fake.advance(120)
        charger = s.model.chargers[CP1]
        s.model.start(charger)
        await s.fake.advance(1200)
        s.model.stop(charger)
        await s.fake.advance(60)
        s.model.plug(charger, False)
        assert s.fake.fired(STARTED) == []
        s.simulator.faults.clear()
        await s.fake.advance(1800)
        (started,), (ended,) = s.fake.fired(STARTED), s.fake.fired(ENDED)
        (finished,) = s.model.history
        assert started["session_id"] == ended["session_id"] == finished[1].id
        assert ended["energy_kwh"] == pytest.approx(finished[1].energy_wh / 1000, abs=0.001)
        assert s.fake.state(sensor(SLUG1, "charging_energy")) == ended["energy_kwh"]
        # One read to fill the session log at the first round, one for what the outage hid.
        assert len(s.requests("app/profile/session_history")) == 2


async def test_a_session_run_while_appdaemon_was_down_is_announced_at_start(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(60)
        await s.stop()
        charger = s.model.chargers[CP2]
        s.model.plug(charger, True)
        s.model.start(charger)
        await s.fake.advance(900)
        s.model.plug(charger, False)
        await s.fake.advance(600)
        await s.start()
        (ended,) = s.fake.fired(ENDED)
        assert ended["chargepoint_id"] == CP2 and ended["energy_kwh"] > 1
        assert s.fake.state(sensor(SLUG2, "charging_energy")) == ended["energy_kwh"]
        await s.restart()
        await s.fake.advance(600)
        assert len(s.fake.fired(ENDED)) == 1


async def test_a_short_session_between_two_polls_is_not_lost(tmp_path):
    async with stack(tmp_path) as s:
        charger = s.model.chargers[CP2]
        await s.start()
        s.model.plug(charger, True)
        s.model.start(charger)
        await s.fake.advance(5)  # quicker than any poll: the car was nearly full
        s.model.stop(charger)
        await s.fake.advance(300)
        (ended,) = s.fake.fired(ENDED)
        assert ended["chargepoint_id"] == CP2 and ended["session_id"] == s.model.history[0][1].id


async def test_history_from_before_the_app_watched_is_not_news(tmp_path):
    async with stack(tmp_path) as s:
        charger = s.model.chargers[CP1]
        s.model.start(charger)
        await s.fake.advance(600)
        s.model.stop(charger)
        await s.fake.advance(60)
        await s.start()  # first run ever: no memory
        s.simulator.faults.add(Fault("status", status=500, count=2))
        await s.fake.advance(600)
        assert s.fake.fired(ENDED) == [] and s.fake.fired(STARTED) == []


async def test_retry_after_as_a_date_and_commands_during_the_wait(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        until = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=330), usegmt=True)
        s.simulator.faults.add(
            Fault("replay", count=1, status=429, body={"message": "Too Many Attempts."}, headers={"Retry-After": until})
        )
        await s.fake.advance(30)
        before = len(s.requests())
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is True  # the user's wish is sent (the start's answer says where it landed)
        assert [r.path for r in s.requests()[before:]] == ["app/session/start"]
        await s.fake.advance(290)
        assert [r.path for r in s.requests()[before:]] == ["app/session/start"]  # no poll before the server's time
        await s.fake.advance(45)
        assert len(s.requests(LIST)) == 3


async def test_one_unusable_charger_answer_does_not_hold_up_the_others(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        s.model.start(s.model.chargers[CP1])
        only_first = {"data": [charge_point_json(s.model.chargers[CP1], s.fake.clock)]}
        # The list lacks charger 2 and its own address answers garbage; charger 1 is unaffected.
        s.simulator.faults.add(Fault("replay", path=LIST, status=200, body=only_first))
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
        assert s.fake.attributes(sensor(SLUG1, "max_current"))["stale"] is False
        assert s.fake.attributes(sensor(SLUG2, "max_current"))["stale"] is True
        (error,) = s.fake.lines("ERROR")
        assert "Garage (QNG0C18010): unusable answer for charge point QNG0C18010" in error
