"""Each fault the cloud can throw, injected into the simulator, and the recovery after it."""

import itertools

import pytest

from harness.stack import CP1, SLUG1, SLUG2, TOKEN, sensor, stack
from simulator import Fault

LIST = "app/personal/charge-points"


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_token_one_error_line_retries_after_1_5_and_30_min_and_recovers(tmp_path, status):
    async with stack(tmp_path) as s:
        s.model.chargers[CP1].car_needs_wh = 200_000
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(10)
        s.simulator.faults.add(Fault("status", status=status))
        await s.fake.advance(30)
        for slug in (SLUG1, SLUG2):  # every charger of the account shows the problem
            assert 48 <= s.fake.state(sensor(slug, "polling_interval")) <= 60  # a single 401: look again in a minute
            assert s.fake.attributes(sensor(slug, "max_current"))["stale"] is True
        rejected = [r.at for r in s.requests(LIST) if r.status == status]
        await s.fake.advance(6 * 3600)
        rejected = [r.at for r in s.requests(LIST) if r.status == status]
        gaps = [b - a for a, b in itertools.pairwise(rejected)]
        assert 48 <= gaps[0] <= 60 and 240 <= gaps[1] <= 300  # then five minutes
        assert gaps[2:] and all(1440 <= gap <= 1800 for gap in gaps[2:])  # then every 30 min: no storm
        assert len(rejected) <= 3 + 6 * 3600 / 1440
        errors = list(s.fake.lines("ERROR"))
        assert len(errors) == 1 and f"token was rejected (HTTP {status}" in errors[0] and "put a new token" in errors[0]
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "unavailable"  # past the grace, nothing faked
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"].startswith("the AMPECO token")

        s.simulator.faults.clear()
        await s.fake.advance(1800)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 30
        assert s.fake.attributes(sensor(SLUG1, "charging_session"))["stale"] is False
        assert any("answers again" in line for line in s.fake.lines("INFO"))
        assert len(s.fake.fired("ampeco_ev_charger_session_started")) == 1  # the session was never lost


async def test_rate_limit_is_honoured_to_the_second(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        s.simulator.faults.add(Fault("rate_limit", count=1, retry_after=600))
        await s.fake.advance(30)
        limited_at = s.fake.clock
        await s.fake.advance(599)
        assert len(s.requests(LIST)) == 2  # nothing between the 429 and the server's time
        await s.fake.advance(2)
        assert len(s.requests(LIST)) == 3
        await s.fake.advance(30)
        assert len(s.requests(LIST)) == 4  # and the normal cadence after
        assert s.requests(LIST)[2].at - limited_at >= 600


async def test_rate_limit_without_retry_after_backs_off(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        s.simulator.faults.add(Fault("rate_limit", count=2))
        await s.fake.advance(30 + 30 + 60 + 30)
        gaps = [b.at - a.at for a, b in zip(s.requests(LIST), s.requests(LIST)[1:], strict=False)]
        assert 24 <= gaps[1] <= 30 and 48 <= gaps[2] <= 60 and gaps[3] == 30


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_back_off_keep_the_last_reading_then_recover(tmp_path, status):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        s.simulator.faults.add(Fault("status", status=status))
        await s.fake.advance(30)
        for _ in range(5):
            await s.fake.advance(1800)
        gaps = [b.at - a.at for a, b in zip(s.requests(LIST), s.requests(LIST)[1:], strict=False)][1:]
        expected = [30, 60, 120, 240, 480, 960, 1800]
        assert all(0.8 * e <= g <= e for g, e in zip(gaps, expected, strict=False))
        assert gaps[len(expected) :] and all(1440 <= g <= 1800 for g in gaps[len(expected) :])
        assert len(list(s.fake.lines("WARNING"))) == 1

        s.simulator.faults.clear()
        await s.fake.advance(1800)
        assert s.fake.state(sensor(SLUG1, "polling_interval")) == 30
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["retry_count"] == 0


async def test_stale_then_unavailable_after_the_grace(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(unavailable_after=600)
        s.simulator.faults.add(Fault("status", status=500))
        await s.fake.advance(30)
        assert s.fake.state(sensor(SLUG1, "max_current")) == 16
        assert s.fake.attributes(sensor(SLUG1, "max_current"))["stale"] is True
        await s.fake.advance(600)
        assert s.fake.state(sensor(SLUG1, "max_current")) == "unavailable"
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "unavailable"
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["retry_count"] >= 3


@pytest.mark.timeout(20)
async def test_an_answer_slower_than_the_timeout_is_a_failure(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(request_timeout=1)
        s.simulator.faults.add(Fault("slow", count=1, delay=3))
        await s.fake.advance(30)
        assert (
            "no answer from the AMPECO cloud within 1 s"
            in s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"]
        )
        await s.fake.advance(30)
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"] is None
        assert s.simulator.most_in_flight_per_account() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("malformed", count=1), "not JSON"),
        (Fault("wrong_shape", count=1), "no list of charge points"),
        # aiohttp retries once on a dropped keep-alive connection: drop both attempts.
        (Fault("disconnect", count=2), "connection to the AMPECO cloud failed"),
    ],
)
async def test_broken_answers_count_as_failures_and_recover(tmp_path, fault, message):
    async with stack(tmp_path) as s:
        await s.start()
        s.simulator.faults.add(fault)
        await s.fake.advance(30)
        assert message in s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"]
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"  # last reading kept
        await s.fake.advance(30)
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"] is None


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("http://127.0.0.1:9", "cannot connect to 127.0.0.1:9"),
        ("https://ampeco-test.invalid", "cannot connect to ampeco-test.invalid"),
    ],
)
async def test_connection_refused_and_dns_failure_are_transport_failures(tmp_path, host, error):
    async with stack(tmp_path) as s:
        await s.start(api_host=host)
        assert s.fake.attributes(sensor(SLUG1, "polling_interval"))["last_error"].startswith(error)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "unavailable"
        await s.fake.advance(3600)
        assert 4 <= s.fake.attributes(sensor(SLUG1, "polling_interval"))["retry_count"] <= 8  # backing off
        assert len(s.fake.timers) == 1


async def test_unknown_statuses_are_shown_as_sent_and_warned_about_once(tmp_path):
    async with stack(tmp_path) as s:
        s.model.chargers[CP1].status_override = "Hibernating"
        await s.start()
        await s.fake.advance(300)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "Hibernating"
        warnings = [line for line in s.fake.lines("WARNING") if "unknown status" in line]
        assert len(warnings) == 1 and "Hibernating" in warnings[0]


async def test_kilowatts_from_the_api_with_the_units_override(tmp_path):
    async with stack(tmp_path) as s:
        charger = s.model.chargers[CP1]
        charger.power_unit, charger.energy_unit = "kW", "kWh"
        await s.start(chargers=[{"chargepoint_id": CP1, "units": {"power": "kW", "energy": "kWh"}}])
        await s.send("start_charging", max_current=16)
        await s.fake.advance(1800)
        assert s.fake.state(sensor(SLUG1, "charging_session")) == pytest.approx(11.0)
        energy = s.fake.state(sensor(SLUG1, "charging_energy"))
        assert energy == pytest.approx(charger.session.energy_wh / 1000, abs=0.01) and energy > 4


async def test_one_failing_account_does_not_delay_another(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start(chargers=[{"chargepoint_id": CP1}, {"chargepoint_id": "QNG0C18010", "auth_token": "revoked"}])
        await s.fake.advance(3600)
        good = [r for r in s.requests(LIST) if r.token == TOKEN]
        bad = [r for r in s.requests(LIST) if r.token == "revoked"]
        assert len(good) == 121 and len(bad) <= 5  # at once, then after about 1, 5, 30 and 30 min
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "unavailable"
        (error,) = s.fake.lines("ERROR")
        assert "QNG0C18010" in error and CP1 not in error


async def test_a_charger_missing_from_the_account_is_named_once(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=[{"chargepoint_id": CP1}, {"chargepoint_id": "NOPE000001"}])
        await s.fake.advance(600)
        errors = list(s.fake.lines("ERROR"))
        assert len(errors) == 1 and "NOPE000001 was not found on this account (HTTP 404)" in errors[0]
        assert s.fake.state(sensor("nope000001", "evse_status")) == "unavailable"
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"


async def test_a_wrong_evse_id_is_named(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=[{"chargepoint_id": CP1, "evse_id": "999"}])
        (error,) = s.fake.lines("ERROR")
        assert "EVSE 999 is not on charge point ACE0549935 (it has: 148964); check evse_id" in error
        result = await s.send("start_charging")
        assert result["success"] is False and "EVSE 999" in result["error"]
        assert s.requests("app/session/start") == []


async def test_the_active_session_endpoint_fills_in_where_evses_carry_no_session(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.settings.embed_session = False
        await s.start()
        await s.send("start_charging", chargepoint_id=CP1)
        await s.fake.advance(6)
        assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
        assert s.requests("app/session/active")
        s.simulator.settings.active_endpoint = False  # gone on this tenant: 404 means no session
        await s.send("stop_charging", chargepoint_id=CP1)
        await s.fake.advance(6)
        assert len(s.fake.fired("ampeco_ev_charger_session_ended")) == 1
