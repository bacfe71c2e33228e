"""Other tenants' shapes, against the simulator acting like each of them (`simulator.Settings`): the table of
their ways with what the app does about each, where a start lands, tenants without an embedded session, their
statuses and data."""

import json
from dataclasses import dataclass, field

import pytest

from ampeco_ev_charger.ampeco import Tenant
from harness.stack import CP1, SLUG1, sensor, stack
from simulator import Fault, Settings

RESULT = "ampeco_ev_charger_command_result"
ENDED = "ampeco_ev_charger_session_ended"
OUR_EVSE_ID, OUR_IDENTIFIER = "148964", "2317"


def binary(key: str) -> str:
    return f"binary_sensor.evse_{SLUG1}_{key}"


def lesson(**learnt: object) -> Tenant:
    """What the memory file keeps of a tenant: as of the simulator's defaults (no `ongoing`, sessions end at
    `/end`) but for what this tenant taught."""
    return Tenant(**{"ongoing": False, "stop_path": "end", **learnt})


@dataclass(frozen=True)
class Quirk:
    """A tenant's way (the simulator's settings), and what the app's requests show it did about it over two
    sessions started and stopped from Home Assistant: the second one on what the first taught."""

    settings: Settings
    start_keys: list[str] = field(default_factory=lambda: [OUR_EVSE_ID, OUR_EVSE_ID])  # each start's evseId
    stop_paths: list[str] = field(default_factory=lambda: ["end", "end"])  # where each stop went
    learns: Tenant = field(default_factory=lesson)


QUIRKS = {
    "as-captured": Quirk(Settings()),
    "starts-by-identifier": Quirk(
        Settings(evse_key="identifier"),
        start_keys=[OUR_EVSE_ID, OUR_IDENTIFIER, OUR_IDENTIFIER],
        learns=lesson(evse_key="identifier"),
    ),
    "stops-at-stop": Quirk(
        Settings(stop_path="stop"), stop_paths=["end", "stop", "stop"], learns=lesson(stop_path="stop")
    ),
    "answers-202": Quirk(Settings(start_answer="accepted", stop_answer="accepted")),
    "no-session-in-the-list": Quirk(Settings(embed_session=False), learns=lesson(active=True)),
    "no-active-endpoint": Quirk(
        Settings(embed_session=False, active_endpoint=False, ongoing_endpoint=True),
        learns=lesson(active=False, ongoing=True),
    ),
}


@pytest.mark.parametrize("quirk", QUIRKS.values(), ids=QUIRKS.keys())
async def test_each_tenants_way_two_sessions_from_home_assistant(tmp_path, quirk):
    async with stack(tmp_path, settings=quirk.settings) as s:
        await s.start()
        for _ in range(2):
            started = await s.send("start_charging", chargepoint_id=CP1)
            session_id = s.model.chargers[CP1].session.id
            assert started["success"] is True and started["session_id"] == session_id
            assert s.fake.state(sensor(SLUG1, "session_id")) == session_id
            await s.fake.advance(4)
            stopped = await s.send("stop_charging", chargepoint_id=CP1)
            assert stopped["success"] is True and stopped["session_id"] == session_id
            await s.fake.advance(10)
            assert s.fake.fired(ENDED)[-1]["session_id"] == session_id
        assert len(s.fake.fired(ENDED)) == 2
        assert [r.body["evseId"] for r in s.requests("app/session/start")] == quirk.start_keys
        stops = [r.path for r in s.requests(method="POST") if r.path.endswith(("/end", "/stop"))]
        assert [path.rsplit("/", 1)[1] for path in stops] == quirk.stop_paths
        assert Tenant.from_dict(json.loads(s.state_file.read_text())["tenants"][s.url]) == quirk.learns


async def test_a_start_that_lands_on_a_strangers_evse_is_stopped_and_made_again_by_the_printed_number(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.settings.evse_key = "identifier"  # this tenant starts by the printed number (Exploren)
        stranger = s.model.add_stranger(identifier=OUR_EVSE_ID)  # whose number is our EVSE's id
        await s.start()
        result = await s.send("start_charging", chargepoint_id=CP1)

        ours = s.model.chargers[CP1].session
        assert result["success"] is True and ours is not None and result["session_id"] == ours.id
        assert stranger.session.status == "stopping"  # stopped at once
        await s.fake.advance(5)
        assert stranger.session is None  # no stranger's session survives the start
        (stray,) = [session for cp, session in s.model.history if cp == stranger.id]
        assert stray.stopped_at - stray.started_at < 5
        assert "landed on EVSE 148964, which is not ACE0549935's and was stopped at once" in result["note"]
        assert [r.body["evseId"] for r in s.requests("app/session/start")] == [OUR_EVSE_ID, OUR_IDENTIFIER]
        assert any("landed on EVSE 148964" in line for line in s.fake.lines("WARNING"))

        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(10)
        await s.restart()  # the lesson is kept across restarts: never a stranger's car again
        assert (await s.send("start_charging", chargepoint_id=CP1))["success"] is True
        assert [r.body["evseId"] for r in s.requests("app/session/start")][-1] == OUR_IDENTIFIER
        assert len([session for cp, session in s.model.history if cp == stranger.id]) == 1


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "not-embedded"])
async def test_a_start_answered_202_is_placed_by_the_accounts_running_sessions(tmp_path, embedded):
    async with stack(tmp_path) as s:
        settings = s.simulator.settings
        settings.evse_key, settings.start_answer, settings.embed_session = "identifier", "accepted", embedded
        stranger = s.model.add_stranger(identifier=OUR_EVSE_ID)
        await s.start()
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is True and "stopped at once" in result["note"]
        await s.fake.advance(10)
        assert stranger.session is None and s.model.chargers[CP1].session is not None
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"


async def test_a_start_left_elsewhere_is_stopped_as_soon_as_the_cloud_lets_it(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.settings.evse_key = "identifier"
        stranger = s.model.add_stranger(identifier=OUR_EVSE_ID)
        await s.start()
        s.simulator.faults.add(Fault("status", status=500, path="/end", count=3))
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is False and "landed on EVSE 148964" in result["error"]
        assert "the app tries again after each poll" in result["error"]
        assert stranger.session is not None and s.model.chargers[CP1].session is None  # no second session
        await s.fake.advance(300)
        s.model.advance()
        assert stranger.session is None  # stopped at the first poll the cloud let it
        assert any("left by a start of ours, was stopped" in line for line in s.fake.lines("WARNING"))
        assert (await s.send("start_charging", chargepoint_id=CP1))["success"] is True  # by the right key now
        assert s.requests("app/session/start")[-1].body == {"evseId": OUR_IDENTIFIER}


async def test_a_start_no_session_shows_up_for_is_not_called_a_success(tmp_path):
    async with stack(tmp_path) as s:
        settings = s.simulator.settings
        settings.start_answer, settings.active_endpoint = "accepted", False
        await s.start()
        s.simulator.faults.add(Fault("replay", path="session/start", status=202, body=None))  # accepted, then nothing
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is False and "no session showed up on EVSE 2317 within 30 s" in result["error"]
        assert s.model.chargers[CP1].session is None


async def test_only_a_session_naming_our_evses_identifier_is_ours(tmp_path):
    """A tenant without embedded sessions: the account's running session, on a stranger's EVSE whose printed
    number is our EVSE's id, is not taken as ours."""
    async with stack(tmp_path) as s:
        s.simulator.settings.embed_session = False
        stranger = s.model.add_stranger(identifier=OUR_EVSE_ID)
        s.model.start(stranger, account=next(iter(s.model.accounts)))  # started on our account, elsewhere
        await s.start()
        await s.fake.advance(60)
        assert s.fake.state(sensor(SLUG1, "session_id")) == "none"
        assert s.fake.fired("ampeco_ev_charger_session_started") == []


@pytest.mark.parametrize(
    ("settings", "through_ongoing"),
    [(Settings(embed_session=False), False), (Settings(embed_session=False, ongoing_endpoint=True), True)],
    ids=["active-only", "ongoing-beside"],
)
async def test_a_failing_active_lookup_costs_only_itself(tmp_path, settings, through_ongoing):
    """Where the tenant has `ongoing` as well, the session is read from it; where not, the charge point
    readings go on without it (one WARNING per episode), and a stop says it cannot tell, never nothing to stop."""
    async with stack(tmp_path, settings=settings) as s:
        s.simulator.faults.add(Fault("status", status=500, path="session/active"))
        s.charge_from_phone()
        await s.start()
        await s.fake.advance(120)
        session_id = s.model.chargers[CP1].session.id
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"  # the charge point reading goes on
        assert s.fake.attributes(sensor(SLUG1, "evse_status"))["stale"] is False
        assert s.fake.state(sensor(SLUG1, "session_id")) == (session_id if through_ongoing else "none")
        warnings = [line for line in s.fake.lines("WARNING") if "look up the running session" in line]
        assert len(warnings) == (0 if through_ongoing else 1)  # once per episode, not per poll
        assert all("app/session/active" in line for line in warnings)
        stopped = await s.send("stop_charging", chargepoint_id=CP1)
        if through_ongoing:
            assert stopped["success"] is True and stopped["session_id"] == session_id
            return
        assert stopped["reason"] == "unavailable" and "cannot tell whether a session runs" in stopped["error"]
        s.simulator.faults.clear()
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "session_id")) == session_id
        assert any("can be looked up again (app/session/active)" in line for line in s.fake.lines("INFO"))
        assert (await s.send("stop_charging", chargepoint_id=CP1))["success"] is True


async def test_a_session_already_known_is_kept_while_the_lookup_fails(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.settings.embed_session = False
        s.charge_from_phone()
        await s.start()
        session_id = s.model.chargers[CP1].session.id
        assert s.fake.state(sensor(SLUG1, "session_id")) == session_id
        s.simulator.faults.add(Fault("status", status=503, path="session/active"))
        await s.fake.advance(600)
        assert s.fake.fired("ampeco_ev_charger_session_ended") == []  # not ended for want of an answer
        stopped = await s.send("stop_charging", chargepoint_id=CP1)
        assert stopped["success"] is True and stopped["session_id"] == session_id


async def test_a_tenant_without_the_active_endpoint_is_read_through_ongoing(tmp_path):
    async with stack(tmp_path) as s:
        settings = s.simulator.settings
        settings.embed_session, settings.active_endpoint, settings.ongoing_endpoint = False, False, True
        s.charge_from_phone()
        await s.start()
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
        before = len(s.requests("app/session/active"))
        await s.fake.advance(300)
        assert len(s.requests("app/session/active")) == before  # learnt: this tenant has no such endpoint
        s.model.chargers[CP1].car_needs_wh = 0  # the car is full: ongoing lists nothing now
        await s.fake.advance(300)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "suspendedEV"
        assert s.fake.fired("ampeco_ev_charger_session_ended") == []  # a full car still has its session
        assert (await s.send("stop_charging", chargepoint_id=CP1))["success"] is True
        await s.fake.advance(30)
        assert len(s.fake.fired("ampeco_ev_charger_session_ended")) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status_override": "out of order"}, "the charger is out of order"),
        ({"status_override": "OUT_OF_ORDER"}, "the charger is out of order"),
        ({"available": False}, "the charger is offline (the AMPECO cloud marks it not available)"),
        ({"rebooting": True}, "the charger is rebooting"),
    ],
)
async def test_statuses_other_tenants_send_are_problems(tmp_path, change, reason):
    async with stack(tmp_path) as s:
        s.simulator.settings.availability = True
        await s.start()
        assert s.fake.state(binary("problem")) == "off"
        for name, value in change.items():
            setattr(s.model.chargers[CP1], name, value)
        await s.fake.advance(300)
        assert s.fake.state(binary("problem")) == "on"
        assert s.fake.attributes(binary("problem"))["reason"] == reason


@pytest.mark.parametrize("where", ["evse", "beside", "inside"])
async def test_the_cars_state_of_charge_where_the_cloud_sends_it(tmp_path, where):
    async with stack(tmp_path) as s:
        settings = s.simulator.settings
        settings.soc, settings.embed_session = where, where == "evse"
        s.charge_from_phone()
        s.model.chargers[CP1].car_needs_wh = 30_000  # half of a 60 kWh battery
        await s.start()
        await s.fake.advance(60)
        battery = sensor(SLUG1, "car_battery")
        assert s.fake.state(battery) == 50
        assert (s.fake.attributes(battery)["unit_of_measurement"], s.fake.attributes(battery)["device_class"]) == (
            "%",
            "battery",
        )


async def test_without_a_state_of_charge_the_battery_is_unknown_never_invented(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        await s.fake.advance(60)
        assert s.fake.state(sensor(SLUG1, "car_battery")) == "unknown"


async def test_the_sessions_cost_and_the_tariffs_price(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(1800)
        session = s.model.chargers[CP1].session
        cost = sensor(SLUG1, "session_cost")
        assert s.fake.state(cost) == pytest.approx(round(session.energy_wh / 1000 * 2.5, 2))
        attributes = s.fake.attributes(cost)
        assert (attributes["unit_of_measurement"], attributes["device_class"], attributes["state_class"]) == (
            "DKK",
            "monetary",
            "total",
        )
        assert attributes["last_reset"] == s.fake.attributes(sensor(SLUG1, "charging_session"))["started_at"]
        price = sensor(SLUG1, "energy_price")
        assert s.fake.state(price) == 1.068 and s.fake.attributes(price)["unit_of_measurement"] == "DKK/kWh"
