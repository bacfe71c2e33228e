"""Chargers may be left out of apps.yaml: every home charger on the account is watched, one added to the
account appears within a round, one removed goes; and a charger's own `max_current` caps every start and
change."""

from harness.stack import CP1, CP2, SLUG1, SLUG2, TOKEN, sensor, stack
from simulator import Fault
from simulator.model import SimCharger
from simulator.render import charge_point_json

NEW, SLUG_NEW = "NEW0000001", "new0000001"
RESULT = "ampeco_ev_charger_command_result"
LIST = "app/personal/charge-points"


async def test_without_chargers_every_charger_on_the_account_comes_and_goes_by_itself(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=None)  # as if apps.yaml had no `chargers:`
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "available"
        s.model.add_charger(TOKEN, SimCharger(id=NEW, name="Carport", evse_id="700001", identifier="7001"))
        await s.fake.advance(300)  # one idle round
        assert s.fake.state(sensor(SLUG_NEW, "evse_status")) == s.model.chargers[NEW].evse_status
        assert s.fake.attributes(sensor(SLUG_NEW, "evse_status"))["friendly_name"] == "Carport EVSE Status"
        s.model.remove_charger(CP2)
        await s.fake.advance(300)
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "available"  # one list without it may be a glitch
        await s.fake.advance(2 * 300)
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "unavailable"
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"
        said = list(s.fake.lines())
        assert sum("found charger Carport (NEW0000001) on the account" in line for line in said) == 1
        assert sum("is no longer on the account" in line and CP2 in line for line in said) == 1

        result = await s.send("start_charging", chargepoint_id=NEW)  # a charger found is commanded like any other
        assert result["success"] is True
        gone = await s.send("stop_charging", chargepoint_id=CP2)
        assert gone["success"] is False and gone["reason"] == "unknown_charger"

        await s.restart(chargers=None)
        # After a restart the chargers found before are shown at once, from the memory file.
        assert s.fake.state(sensor(SLUG_NEW, "evse_status")) in ("charging", "preparing")


async def test_a_chargers_own_max_current_caps_every_start_and_change(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=[{"chargepoint_id": CP1, "max_current": 10}, {"chargepoint_id": CP2}])
        refused = await s.send("set_max_current", chargepoint_id=CP1, max_current=13)
        assert refused["success"] is False and refused["reason"] == "out_of_range"
        assert "configured for this charger" in refused["error"]
        start = await s.send("start_charging", chargepoint_id=CP1, max_current=16)
        assert start["success"] is False and s.model.chargers[CP1].session is None
        assert (await s.send("set_max_current", chargepoint_id=CP1, max_current=10))["success"] is True
        assert (await s.send("set_max_current", chargepoint_id=CP2, max_current=13))["success"] is True  # not capped
        assert s.model.chargers[CP1].max_current_a == 10


async def test_a_list_that_lacks_the_charging_charger_or_any_charger_for_a_round_changes_nothing(tmp_path):
    """One empty list once stopped the polling for good; one that lacked the charging charger made it
    unavailable and announced its session a second time."""
    async with stack(tmp_path) as s:
        s.charge_from_phone(CP1)
        await s.start(chargers=None)
        await s.fake.advance(600)
        items = [charge_point_json(charger, s.fake.clock) for charger in s.model.chargers.values()]
        s.simulator.faults.add(Fault("replay", count=1, path=LIST, status=200, body={"data": items[1:]}))
        s.simulator.faults.add(Fault("replay", count=1, path=LIST, status=200, body={"data": []}))
        shown: list[object] = []
        for _ in range(10):
            await s.fake.advance(30)
            shown.append(s.fake.state(sensor(SLUG1, "evse_status")))
        assert set(shown) == {"charging"}
        assert len(s.fake.fired("ampeco_ev_charger_session_started")) == 1
        assert s.fake.fired("ampeco_ev_charger_session_ended") == []
        polled = len(s.requests(LIST))
        await s.fake.advance(600)
        assert len(s.requests(LIST)) > polled  # the polling goes on
