"""Dashboard helpers as controls, binary sensors for automations, and the Energy dashboard's meter."""

import asyncio

import pytest

from harness.stack import CP1, CP2, SLUG1, SLUG2, sensor, stack
from simulator import Fault

SWITCH, NUMBER = "input_boolean.ev_charging", "input_number.ev_current"
CONTROLS = [{"chargepoint_id": CP1, "charging_switch": SWITCH, "current_limit": NUMBER}, {"chargepoint_id": CP2}]


def binary(slug: str, key: str) -> str:
    return f"binary_sensor.evse_{slug}_{key}"


def posts(s) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in s.requests() if r.method != "GET"]


async def start_with_helpers(s, switch: str = "off", number: str = "10.0"):
    s.fake.states[SWITCH] = (switch, {"friendly_name": "EV charging"})
    s.fake.states[NUMBER] = (number, {"min": 6, "max": 32, "step": 1})
    await s.start(chargers=CONTROLS)


async def test_the_switch_starts_at_the_numbers_current_and_stops(tmp_path):
    async with stack(tmp_path) as s:
        await start_with_helpers(s)
        assert s.fake.state(NUMBER) == "16.0"  # the number shows the charger's limit
        await s.fake.user_sets(NUMBER, "10.0")
        await s.fake.user_sets(SWITCH, "on")
        assert posts(s) == ["ACE0549935", "start"]  # the limit, then the start (at that limit: no second PATCH)
        assert s.requests("app/session/start")[0].body == {"evseId": "148964", "maxCurrent": 10}
        assert s.model.chargers[CP1].max_current_a == 10 and s.model.chargers[CP1].session is not None
        assert s.fake.fired("ampeco_ev_charger_command_result")[-1]["success"] is True
        await s.fake.advance(60)
        assert s.fake.state(SWITCH) == "on"
        await s.fake.user_sets(SWITCH, "off")
        await s.fake.advance(10)
        assert posts(s)[-1] == "end" and s.model.chargers[CP1].session is None
        assert s.fake.state(SWITCH) == "off" and len(posts(s)) == 3


async def test_the_switch_follows_sessions_started_and_ended_elsewhere_without_echo(tmp_path):
    async with stack(tmp_path) as s:
        await start_with_helpers(s)
        s.model.start(s.model.chargers[CP1])  # from the phone app
        await s.fake.advance(30)
        assert s.fake.state(SWITCH) == "on"
        s.model.plug(s.model.chargers[CP1], False)  # the cable is pulled
        await s.fake.advance(300)
        assert s.fake.state(SWITCH) == "off"
        assert posts(s) == []  # neither echo started nor stopped anything
        assert ("input_boolean/turn_on", {"entity_id": SWITCH}) in s.fake.services


async def test_a_failed_start_turns_the_switch_back_and_says_why(tmp_path):
    async with stack(tmp_path) as s:
        s.model.plug(s.model.chargers[CP1], False)
        await start_with_helpers(s)
        await s.fake.user_sets(SWITCH, "on")
        assert s.fake.state(SWITCH) == "off"
        service, data = s.fake.services[-1]
        assert service == "persistent_notification/create"
        assert data["message"] == (
            "Charging did not start: the charger refused to start: Please connect the cable to your vehicle first."
        )
        await s.fake.advance(600)
        assert posts(s) == ["start"]  # tried once, never again by itself


async def test_the_number_sets_the_limit_and_follows_changes_made_elsewhere(tmp_path):
    async with stack(tmp_path) as s:
        await start_with_helpers(s, number="16.0")
        await s.fake.user_sets(NUMBER, "8.0")
        assert s.model.chargers[CP1].max_current_a == 8
        assert s.fake.state(sensor(SLUG1, "max_current")) == 8
        s.model.set_limit(s.model.chargers[CP1], 12)  # changed in the vendor's app
        await s.fake.advance(300)
        assert s.fake.state(NUMBER) == "12.0"
        assert posts(s) == ["ACE0549935"]  # one PATCH: the echo of 12 sent nothing


async def test_a_limit_outside_the_chargers_range_is_refused_and_put_back(tmp_path):
    async with stack(tmp_path) as s:
        await start_with_helpers(s, number="16.0")
        await s.fake.user_sets(NUMBER, "25.0")
        assert s.fake.state(NUMBER) == "16.0" and posts(s) == []
        assert s.fake.services[-1][1]["message"] == (
            "The current limit was not changed: max_current 25 A is above this charger's maximum of 16 A"
        )


async def test_a_deleted_current_limit_helper_sends_nothing_and_polling_goes_on(tmp_path):
    async with stack(tmp_path) as s:
        await start_with_helpers(s, number="16.0")
        polls = len(s.requests())
        await s.fake.user_deletes(NUMBER)  # AppDaemon calls the state listener with None
        await s.fake.advance(300)
        assert posts(s) == [] and not s.fake.fired("ampeco_ev_charger_command_result")
        assert len(s.requests()) > polls
        assert not list(s.fake.lines("ERROR"))


async def test_binary_sensors_for_automations(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        assert s.fake.state(binary(SLUG1, "plugged_in")) == "on"
        assert s.fake.state(binary(SLUG2, "plugged_in")) == "off"
        assert s.fake.state(binary(SLUG1, "charging")) == "off"
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(4)
        assert s.fake.state(binary(SLUG1, "charging")) == "on"
        assert s.fake.attributes(binary(SLUG1, "charging"))["device_class"] == "battery_charging"
        s.simulator.faults.add(Fault("status", status=401))
        await s.fake.advance(30)
        for slug in (SLUG1, SLUG2):
            assert s.fake.state(binary(slug, "problem")) == "on"
            assert "token was rejected" in s.fake.attributes(binary(slug, "problem"))["reason"]
        s.simulator.faults.clear()
        s.model.chargers[CP2].faulted = True
        await s.fake.advance(1800)
        assert s.fake.state(binary(SLUG1, "problem")) == "off"
        assert s.fake.attributes(binary(SLUG2, "problem"))["reason"] == "the charger reports a fault"


async def test_the_energy_meter_sums_every_session_across_restarts(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        seen = []
        for _ in range(2):
            await s.send("start_charging", chargepoint_id=CP1)
            for _ in range(4):
                await s.fake.advance(300)
                seen.append(s.fake.state(sensor(SLUG1, "total_energy")))
                await s.restart()  # Home Assistant and AppDaemon restarts, mid-session
                seen.append(s.fake.state(sensor(SLUG1, "total_energy")))
            await s.send("stop_charging", chargepoint_id=CP1)
            await s.fake.advance(30)
        delivered = sum(session.energy_wh for _, session in s.model.history) / 1000
        assert s.fake.state(sensor(SLUG1, "total_energy")) == pytest.approx(delivered, abs=0.002)
        assert seen == sorted(seen) and delivered > 5  # never down, never double
        attributes = s.fake.attributes(sensor(SLUG1, "total_energy"))
        assert (attributes["state_class"], attributes["device_class"], attributes["unit_of_measurement"]) == (
            "total_increasing",
            "energy",
            "kWh",
        )


async def test_a_home_assistant_that_does_not_answer_never_holds_up_polling(tmp_path, mocker):
    mocker.patch("ampeco_ev_charger.homeassistant.dashboard_helpers.HA_TIMEOUT", 0.2)
    mocker.patch("ampeco_ev_charger.homeassistant.publisher.HA_TIMEOUT", 0.2)  # the logbook's entries

    async def never_answers(service: str, **data: object) -> None:
        await asyncio.sleep(3600)  # e.g. Home Assistant still starting

    async with stack(tmp_path) as s:
        mocker.patch.object(s.fake, "call_service", never_answers)
        await start_with_helpers(s)
        s.model.set_limit(s.model.chargers[CP1], 12)
        await s.fake.advance(300)
        assert s.fake.state(sensor(SLUG1, "max_current")) == 12  # polling went on
        await s.fake.settle()  # until the helper's call has timed out
        assert any(f"cannot set {NUMBER}: no answer from Home Assistant" in line for line in s.fake.lines("WARNING"))
        await s.send("start_charging", chargepoint_id=CP1)
        assert s.model.chargers[CP1].session is not None


async def test_a_number_helper_home_assistant_cannot_read_does_not_hold_up_the_switch(tmp_path, mocker):
    mocker.patch("ampeco_ev_charger.homeassistant.dashboard_helpers.HA_TIMEOUT", 0.2)
    async with stack(tmp_path) as s:
        answer = s.fake.get_state

        async def stuck_on_the_number(entity_id: str, **kwargs: object):
            if entity_id == NUMBER:
                await asyncio.sleep(3600)  # e.g. Home Assistant busy
            return await answer(entity_id, **kwargs)

        mocker.patch.object(s.fake, "get_state", stuck_on_the_number)
        await start_with_helpers(s)
        await s.fake.user_sets(SWITCH, "on")
        assert s.model.chargers[CP1].session is not None  # started, at the charger's own limit
        assert s.requests("app/session/start")[0].body == {"evseId": "148964"}
        warnings = [line for line in s.fake.lines("WARNING") if NUMBER in line]
        assert len(warnings) == 1 and "no answer from Home Assistant" in warnings[0]  # one line per episode


async def test_a_sessions_start_and_end_are_in_home_assistants_logbook(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        result = await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(120)
        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(60)
        entries = [data for service, data in s.fake.services if service == "logbook/log"]
        assert [e["message"].split(":")[0] for e in entries] == [
            f"started charging (session {result['session_id']})",
            f"ended charging (session {result['session_id']})",
        ]
        assert entries[1]["message"].endswith("min") and " kWh in " in entries[1]["message"]
        assert {e["name"] for e in entries} == {"NT2 nr. 264"}
        assert all("entity_id" not in e for e in entries)  # AppDaemon would make it a target logbook.log refuses
