"""Issue 19, bounded waits: whatever the cloud says in Retry-After, the app polls again within its own longest
back-off, and a rate limit never makes a command lie about a charger it could not look at."""

import math
import re

import pytest

from harness.stack import CP1, Stack, stack
from simulator import Fault

LIST = "app/personal/charge-points"
LONGEST_BACKOFF = 1800 * 1.25  # the app's longest back-off (30 min), jitter included


def stops(s: Stack) -> list:
    return [r for r in s.requests(method="POST") if r.path.endswith("/end")]


async def advance(s: Stack, seconds: float) -> None:
    """The virtual clock moves on; a timer AppDaemon could not schedule fails the test as it would fail the app
    (AppDaemon's run_in raises, and polling is over)."""
    try:
        await s.fake.advance(seconds)
    except (OverflowError, ValueError) as err:
        pytest.fail(f"AppDaemon's run_in refused a delay the app handed it: {type(err).__name__}: {err}")


@pytest.mark.parametrize(
    "retry_after",
    ["1e9", "inf", "1e400", "Fri, 31 Dec 9999 23:59:59 GMT"],
    ids=["1e9", "inf", "1e400", "year-9999"],
)
async def test_an_absurd_retry_after_holds_polls_and_commands_back_no_longer_than_the_longest_backoff(
    tmp_path, retry_after
):
    async with stack(tmp_path) as s:
        await s.start()
        s.simulator.faults.add(
            Fault(
                "replay",
                count=1,
                path=LIST,
                status=429,
                body={"message": "Too Many Attempts."},
                headers={"Retry-After": retry_after},
            )
        )
        await advance(s, 30)
        (limited,) = [r for r in s.requests(LIST) if r.status == 429]
        await advance(s, LONGEST_BACKOFF + 60)
        later = [r for r in s.requests(LIST) if r.at > limited.at]
        assert later, f"no poll within {LONGEST_BACKOFF:.0f} s of a 429 with Retry-After: {retry_after}"
        assert later[0].at - limited.at <= LONGEST_BACKOFF
        result = await s.send("start_charging", chargepoint_id=CP1)
        assert result["success"] is True, result
        absurd = [d for d in s.fake.delays if not math.isfinite(d) or d > LONGEST_BACKOFF]
        assert absurd == [], f"timers handed to AppDaemon with absurd delays: {absurd}"


async def charging_and_held_back_by_a_rate_limit(s) -> None:
    """A session runs, and the cloud has just answered a poll with 429 and Retry-After: 600."""
    s.charge_from_phone()
    await s.start()
    await s.fake.advance(30)
    s.simulator.faults.add(Fault("rate_limit", count=1, path=LIST, retry_after=600))
    await s.fake.advance(30)


async def test_a_stop_while_a_rate_limit_holds_polls_back_sends_one_stop_and_succeeds(tmp_path):
    async with stack(tmp_path) as s:
        await charging_and_held_back_by_a_rate_limit(s)
        assert [r.status for r in s.requests(LIST)][-1] == 429
        await s.fake.advance(60)  # the limit still holds the polls back
        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result["success"] is True, result
        assert len(stops(s)) == 1
        await s.fake.advance(10)
        s.model.advance()  # the cloud's side, to now (nothing asked it while polls were held back)
        assert s.model.chargers[CP1].session is None


async def test_a_stop_the_cloud_rate_limits_again_says_so_and_for_how_long(tmp_path):
    async with stack(tmp_path) as s:
        await charging_and_held_back_by_a_rate_limit(s)
        s.simulator.faults.add(Fault("rate_limit", count=1, path="/end", retry_after=600))
        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result["success"] is False
        assert result.get("reason") == "rate_limited", result
        assert re.search(r"\d+\s*(s|seconds?|min|minutes?)\b", result["error"]), result["error"]
        assert len(stops(s)) == 1  # it did ask the cloud, once
        assert s.model.chargers[CP1].session is not None


async def test_a_charging_car_is_never_nothing_to_stop_while_polls_are_held_back(tmp_path):
    """What the issue saw: a session started from the phone while a rate limit held the polls back, and a stop
    that answered "nothing to stop" about a charger the app could not look at."""
    async with stack(tmp_path) as s:
        await s.start()
        s.simulator.faults.add(Fault("rate_limit", count=1, path=LIST, retry_after=600))
        await s.fake.advance(30)
        s.charge_from_phone()
        await s.fake.advance(120)
        result = await s.send("stop_charging", chargepoint_id=CP1)
        assert result.get("reason") != "nothing_to_stop", result
        assert "nothing to stop" not in result.get("error", ""), result
        if result["success"]:
            assert len(stops(s)) == 1
