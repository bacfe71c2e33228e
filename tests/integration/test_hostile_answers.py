"""Issue 19, any answer parses to a model or to the client's own error: a huge number, deep nesting, a gzip bomb
or an endless body, and tokens whose end date is out of range. No exception escapes, polling goes on, what is
usable of an answer is used, and no answer costs more than a little memory."""

import asyncio
import base64
import contextlib
import json
import resource
from typing import Any

import pytest

from harness.stack import CP2, SLUG1, SLUG2, TOKEN, Stack, sensor, stack
from simulator import CLIENT_ID, CLIENT_SECRET, Fault
from simulator.hostile import gzip_bomb
from simulator.render import charge_point_json

LIST = "app/personal/charge-points"
GIB = 1 << 30


OPAQUE = "opaque-access-token-7d1f3e"


def last_error(s: Stack, slug: str = SLUG1) -> str | None:
    return s.fake.attributes(sensor(slug, "polling_interval"))["last_error"]


def internal_errors(s: Stack) -> list[str]:
    return [line for line in s.fake.lines() if "internal error" in line]


def the_list(s: Stack) -> list[dict[str, Any]]:
    return [charge_point_json(charger, s.fake.clock) for charger in s.model.chargers.values()]


async def test_a_400_digit_number_in_one_charger_costs_the_other_charger_nothing(tmp_path):
    async with stack(tmp_path) as s:
        s.charge_from_phone(CP2)
        await s.start()
        await s.fake.advance(60)
        items = the_list(s)
        items[0]["max_current_a"] = int("9" * 400)
        items[0]["evses"][0]["maxPower"] = int("7" * 400)
        s.simulator.faults.add(Fault("replay", path=LIST, status=200, body={"data": items}))
        await s.fake.advance(60)
        assert internal_errors(s) == []
        assert s.fake.attributes(sensor(SLUG2, "max_current"))["stale"] is False
        assert last_error(s, SLUG2) is None
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "charging"
        result = await s.send("stop_charging", chargepoint_id=CP2)
        assert result["success"] is True, result
        assert [r.path for r in s.requests(method="POST") if r.path.endswith("/end")]


async def test_an_answer_nested_100000_deep_is_the_clients_payload_error_and_polling_goes_on(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(30)
        deep = '{"data":' + "[" * 100_000 + "]" * 100_000 + "}"
        s.simulator.faults.add(Fault("raw", count=1, path=LIST, status=200, body=deep))
        result = await s.send("update_data")  # a poll now
        assert result["success"] is False
        error = last_error(s)
        assert error is not None and not error.startswith("internal error"), error
        assert internal_errors(s) == []
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"  # the last reading stays
        await s.fake.advance(300)
        assert last_error(s) is None  # and polling went on


def fresh_peak() -> int:
    """The process's peak RSS in KiB, its high-water mark first set back to now (Linux), so that what an
    earlier test used hides nothing."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:  # noqa: PTH123
        refs.write("5")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def grown_mb(peak: int) -> float:
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024


async def refused_within_100_mb(s) -> None:
    """A poll now meets the fault: refused as a payload error, the process not 100 MB bigger for it, and the
    last reading kept."""
    peak = fresh_peak()
    result = await s.send("update_data")
    grown = grown_mb(peak)
    assert grown <= 100, f"the process's peak RSS grew by {grown:.0f} MB"
    assert result["success"] is False
    error = last_error(s)
    assert error is not None and not error.startswith("internal error"), error
    assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"


@pytest.mark.timeout(120)
async def test_an_endless_answer_is_refused_as_a_payload_error_without_reading_it_all(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(30)
        s.simulator.faults.add(Fault("endless", count=1, path=LIST, size=400 * 1024 * 1024))
        await refused_within_100_mb(s)


@pytest.mark.timeout(180)
async def test_a_gzip_bomb_is_refused_as_a_payload_error_without_inflating_it(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(30)
        await asyncio.to_thread(gzip_bomb, GIB, tmp_path)  # built before measuring
        s.simulator.faults.add(Fault("gzip_bomb", count=1, path=LIST, size=GIB, cache=str(tmp_path)))
        await refused_within_100_mb(s)
        assert s.fake.attributes(sensor(SLUG1, "evse_status"))["stale"] is True


def jwt_with(exp_json: str) -> str:
    """A Passport-like JWT whose `exp` claim is the JSON text `exp_json`, as sent."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
    claims = b64(('{"aud":"1","sub":"1000","scopes":["*"],"exp":' + exp_json + "}").encode())
    return f"{header}.{claims}.{b64(b'signature' * 8)}"


async def test_a_token_whose_end_date_is_out_of_range_does_not_stop_the_app(tmp_path):
    for exp in ("1e20", "-1", '"x"', "1e400"):
        async with stack(tmp_path / exp.strip('"')) as s:
            token = jwt_with(exp)
            s.model.auth.add(token)  # a token the cloud takes, for the same account's chargers
            s.model.auth.chargers[token] = s.model.auth.chargers[TOKEN]
            try:
                await s.start(auth_token=token)
            except Exception as err:
                pytest.fail(f"exp {exp}: initialize() raised {type(err).__name__}: {err}")
            assert s.fake.state(sensor(SLUG1, "token_expiry")) == "unknown", exp
            assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing", exp
            await s.fake.advance(3600)
            assert last_error(s) is None, exp
            assert token not in json.dumps([s.fake.logs, s.fake.events, s.fake.states])


@pytest.mark.parametrize("expires_in", ["NaN", "-Infinity", "-1e308", "0", "-1", "10"])
async def test_a_token_answer_whose_expires_in_cannot_be_true_is_no_end_date(tmp_path, expires_in):
    """An opaque token renewed with an absurd `expires_in`: no renewal on every round, and no reading or date
    that Home Assistant cannot take (NaN once stopped every update)."""
    async with stack(tmp_path) as s:
        account = next(iter(s.model.accounts))
        first = s.model.auth.issue(account, 2 * 3600.0)  # due for renewal after an hour
        s.model.auth.add(OPAQUE)  # the opaque token opens the same account's chargers
        s.model.auth.chargers[OPAQUE] = s.model.auth.chargers[account]
        body = f'{{"access_token": "{OPAQUE}", "refresh_token": "def50200next", "expires_in": {expires_in}}}'
        s.simulator.faults.add(Fault("raw", path="app/oauth/token", status=200, body=body))
        await s.start(
            auth_token=first.access_token,
            refresh_token=first.refresh_token,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
        await s.fake.advance(4 * 3600)
        assert len(s.requests("app/oauth/token")) == 1
        assert s.fake.state(sensor(SLUG1, "token_expiry")) == "unknown"
        s.charge_from_phone(CP2)
        await s.fake.advance(600)
        assert s.fake.state(sensor(SLUG2, "evse_status")) == "charging"
        assert not [line for line in s.fake.lines("ERROR") if "cannot update Home Assistant" in line]
