"""Live updates against the real broadcast server AMPECO runs (laravel-echo-server 1.6.3 on Node), with the
simulator as its backend: it answers the server's auth requests and publishes its changes through it.

Polling runs on the virtual clock; the live channel keeps real time, as the server does, so these tests wait
on the wall clock (bounded) for what arrives over it. Without Node.js they are skipped, saying so (`make test`
installs the server; CI insists on it).
"""

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from demo import echo as echo_server
from harness.fake_appdaemon import app_tasks
from harness.live import echo_beside
from harness.stack import CP1, SLUG1, TOKEN, Stack, sensor, stack
from harness.waiting import until
from simulator import Echo

LIVE = sensor(SLUG1, "live_updates")
STARTED = "ampeco_ev_charger_session_started"
PING_MS = 1000  # the server's ping interval: silence is noticed after two


@dataclass
class Live:
    s: Stack
    server: echo_server.EchoServer
    echo: Echo

    @property
    def channel(self) -> str:
        return self.echo.channel(self.s.model.auth.user_id(TOKEN))

    def subscribed(self) -> bool:
        return self.s.fake.states.get(LIVE, (None,))[0] == "subscribed" and (
            self.server.channels().get(self.channel, {}).get("subscription_count", 0) >= 1
        )


@pytest.fixture
async def live(tmp_path) -> AsyncIterator[Live]:
    if not echo_server.installed():
        pytest.skip(f"laravel-echo-server is not installed (make echo-server). {echo_server.NO_NODE}")
    async with stack(tmp_path) as s, echo_beside(s, tmp_path / "echo", PING_MS) as server:
        assert s.simulator.echo is not None
        yield Live(s, server, s.simulator.echo)
        await s.stop()


async def started(live: Live, **args: object) -> None:
    await live.s.start(push=True, **args)
    await until("the live channel", live.subscribed)


async def test_a_session_started_from_the_phone_shows_within_seconds(live):
    s = live.s
    await started(live)
    assert any("live updates from 127.0.0.1:" in line for line in s.fake.lines("INFO"))
    s.model.plug(s.model.chargers[CP1], True)
    await s.fake.advance(3600)  # the car has been plugged in for an hour: polls have relaxed
    assert s.fake.state(sensor(SLUG1, "polling_interval")) >= 1500
    s.model.start(s.model.chargers[CP1])  # from the phone: no poll is due for half an hour
    clock = s.fake.clock
    await until("session_started", lambda: s.fake.fired(STARTED))
    assert s.fake.clock == clock  # no poll came: the virtual clock stood still, only the live update read it
    assert s.fake.state(sensor(SLUG1, "session_id")) == s.model.chargers[CP1].session.id
    assert any(line.endswith("live update SessionChanged") for line in s.fake.lines("DEBUG"))
    auth = s.simulator.broadcast_auths[-1]
    assert auth["X-Endpoint"] == f"{s.url}/api/v1"  # the tenant's backend, as the server needs it


async def test_while_the_channel_is_healthy_idle_polls_relax_and_come_back_the_moment_it_is_not(live):
    s = live.s
    s.model.plug(s.model.chargers[CP1], False)
    await started(live)
    await s.fake.advance(7200)
    polls = [r.at for r in s.requests("app/personal/charge-points")]
    assert len([at for at in polls if at > polls[0] + 3600]) <= 2  # an idle hour: 2 polls (4 or fewer)
    assert s.fake.state(sensor(SLUG1, "polling_interval")) == 1800
    await asyncio.to_thread(live.server.stop)
    await until("the channel's failure", lambda: s.fake.states[LIVE][0] != "subscribed")
    assert s.fake.state(sensor(SLUG1, "polling_interval")) <= 300  # the normal cadence, at once
    assert any(timer.due - s.fake.clock <= 300 for timer in s.fake.timers.values())


async def test_a_server_that_went_away_is_subscribed_to_again_once_back_and_said_once(live):
    s = live.s
    await started(live)
    await asyncio.to_thread(live.server.stop)
    await asyncio.sleep(4)  # reconnecting after 1 s, then 2 s, then 4 s: in vain while it is down
    await asyncio.to_thread(live.server.start)
    await until("a new subscription", live.subscribed)
    attempts = [line for line in s.fake.lines("DEBUG") if "live updates: reconnecting" in line]
    warnings = [line for line in s.fake.lines("WARNING") if "live updates stopped" in line]
    assert len(attempts) >= 2 and len(warnings) == 1  # one line per episode, never one per attempt
    assert any("live updates flow again" in line for line in s.fake.lines("INFO"))
    s.model.start(s.model.chargers[CP1])
    clock = s.fake.clock
    await until("session_started", lambda: s.fake.fired(STARTED))
    assert s.fake.clock == clock  # read by the live update, not by a poll


async def test_the_app_stops_while_a_write_to_home_assistant_is_cut_off_and_starts_again(live):
    """Home Assistant restarting: AppDaemon stops the app while the channel's failure is on its way to Home
    Assistant, and its call swallows the cancellation. The app must stop all the same (AppDaemon waits for it
    without a limit, and never starts it again until it has stopped)."""
    s = live.s
    await started(live)
    held = s.fake.hold_next_write()
    await asyncio.to_thread(live.server.stop)
    await asyncio.wait_for(held.arrived.wait(), 10)  # the channel's failure, in flight to Home Assistant
    stopping = asyncio.ensure_future(s.stop())
    await asyncio.wait({stopping}, timeout=10)  # waits, as AppDaemon does, without cancelling it
    assert stopping.done(), "terminate() never returned"
    assert held.swallowed == 1 and app_tasks() == []
    await asyncio.to_thread(live.server.start)
    await started(live)


@pytest.mark.parametrize(("status", "reason"), [(401, "rejected the token (401)"), (403, "refused the channel")])
async def test_a_refused_subscription_falls_back_to_polling_with_the_reason(live, status, reason):
    s = live.s
    s.simulator.settings.broadcast_auth = status
    await s.start(push=True)
    await until("the refusal", lambda: s.fake.states.get(LIVE, (None,))[0] == "failed")
    assert reason in s.fake.attributes(LIVE)["reason"]
    assert s.fake.state(sensor(SLUG1, "polling_interval")) < 300  # polling at its normal cadence
    s.simulator.settings.broadcast_auth = None
    await until("the subscription", live.subscribed)  # back by itself


async def test_a_silent_server_is_noticed_and_left(live):
    s = live.s
    await started(live)
    process = live.server.process
    assert process is not None
    os.kill(process.popen.pid, signal.SIGSTOP)  # still connected, but not a word
    try:
        await until("silence", lambda: s.fake.states[LIVE][0] != "subscribed")
        assert f"silent for {2 * PING_MS / 1000:.0f} s" in s.fake.attributes(LIVE)["reason"]
    finally:
        os.kill(process.popen.pid, signal.SIGCONT)
    await until("a new subscription", live.subscribed)


async def test_push_false_turns_live_updates_off(live):
    s = live.s
    await s.start(push=False)
    await s.fake.advance(600)
    assert s.fake.state(LIVE) == "off"
    assert s.fake.attributes(LIVE)["reason"] == "turned off in apps.yaml (push: false)"
    assert s.requests("app/settings/global") == [] and live.server.channels() == {}


async def test_a_tenant_without_live_updates_is_polled_as_before(live):
    s = live.s
    s.simulator.settings.broadcast = False
    await s.start(push=True)
    await until("the tenant's answer", lambda: s.fake.states.get(LIVE, (None,))[0] == "off")
    assert s.fake.attributes(LIVE)["reason"] == "this AMPECO tenant offers no live updates"
    assert live.server.channels() == {}


async def test_settings_under_data_are_read_too(live):
    live.s.simulator.settings.wrap_settings = True
    await started(live)


async def test_the_token_reaches_no_log(live):
    s = live.s
    await started(live)
    s.model.start(s.model.chargers[CP1])
    await until("session_started", lambda: s.fake.fired(STARTED))
    assert TOKEN not in json.dumps([s.fake.logs, s.fake.events, s.fake.states])
    assert TOKEN not in live.server.process.output()
