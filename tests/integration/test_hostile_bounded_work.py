"""Issue 19, bounded work: a flood of commands or live-update events costs a handful of requests, and a
live-update server that stalls, never asks for pings or refuses someone else's channel cannot keep the app's
channel in a state that is not true.

The live channel keeps real time (the event loop's clock). The flood of events goes through the real
laravel-echo-server; the handshake tricks through a small websocket server of the test's own on 127.0.0.1.
"""

import asyncio
import contextlib
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import WSMsgType, web

from ampeco_ev_charger.runtime.push import BACKOFF_MAX, PROVEN_AFTER, READ_SPACING
from harness.stack import CP1, SLUG1, Stack, sensor, stack
from harness.waiting import until
from simulator import Echo

from .test_live_updates import Live, live, started  # noqa: F401  (the live fixture)

RESULT = "ampeco_ev_charger_command_result"
LIST = "app/personal/charge-points"
LIVE = sensor(SLUG1, "live_updates")
T = TypeVar("T")


async def test_a_flood_of_limits_makes_a_handful_of_requests_and_the_last_one_wins(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        amps = [16 if index % 2 == 0 else 10 for index in range(100)]
        await s.fake.send_many(
            "ampeco_ev_charger_set_max_current", [{"chargepoint_id": CP1, "max_current": a} for a in amps]
        )
        results = s.fake.fired(RESULT)
        assert len(results) == 100 and all(r["command"] == "set_max_current" for r in results)
        patches = s.requests(f"{LIST}/{CP1}", "PATCH")
        assert len(patches) <= 5, f"{len(patches)} PATCH requests for 100 events"
        refused = [r for r in results if not r["success"]]
        assert all(r.get("reason") == "superseded" for r in refused), refused[:3]
        assert s.model.chargers[CP1].max_current_a == amps[-1]
        assert s.simulator.most_in_flight_per_account() == 1


async def test_a_burst_of_100_live_events_is_read_at_once_then_at_most_once_every_few_seconds(live):  # noqa: F811
    """The first event of a burst is read at once (no debounce: a read comes while only it was sent); the rest
    of the burst makes reads no closer together than the app's spacing, however long the burst takes to
    come through (a loaded machine spreads it out: the bound follows, no guessed number of seconds)."""
    s = live.s
    await started(live)
    loop = asyncio.get_running_loop()
    reads: list[float] = []
    seen = len(s.requests(LIST))

    async def watch() -> None:
        nonlocal seen
        while True:
            if len(s.requests(LIST)) > seen:
                reads.extend([loop.time()] * (len(s.requests(LIST)) - seen))
                seen = len(s.requests(LIST))
            await asyncio.sleep(0.005)

    def heard() -> int:
        return sum(line.endswith("live update PersonalEVSEStatusChange") for line in s.fake.lines("DEBUG"))

    event = ("PersonalEVSEStatusChange", {"chargePointId": CP1, "evseId": "2317"})
    watcher = asyncio.ensure_future(watch())
    try:
        live.echo.publish(live.channel, *event)
        await until("the read of the first event", lambda: reads)
        began = loop.time()
        for _ in range(99):
            live.echo.publish(live.channel, *event)
        await until("every event heard", lambda: heard() == 100)
        burst = loop.time() - began
        await until("the read of the rest of the burst", lambda: len(reads) >= 2)
    finally:
        watcher.cancel()
    gaps = [later - earlier for earlier, later in itertools.pairwise(reads)]
    assert all(gap >= READ_SPACING - 0.05 for gap in gaps), f"reads {gaps} s apart"
    assert len(reads) <= 2 + burst / READ_SPACING, f"{len(reads)} reads for 100 events over {burst:.1f} s"


Socket = Callable[[web.WebSocketResponse, int], Awaitable[None]]


@contextlib.asynccontextmanager
async def socket_server(on_socket: Socket) -> AsyncIterator[tuple[str, list[web.WebSocketResponse]]]:
    """A websocket server on 127.0.0.1 speaking as much Engine.IO as `on_socket` does (it is handed each
    socket and how many came before it); also takes the simulator's event posts, and drops them."""
    sockets: list[web.WebSocketResponse] = []

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.append(ws)
        await on_socket(ws, len(sockets) - 1)
        return ws

    async def events(_request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/socket.io/", socket)
    app.router.add_post("/apps/{app}/events", events)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", sockets
    finally:
        for ws in sockets:
            await ws.close()
        await runner.cleanup()


def opening(ping_interval_ms: float = 25000) -> str:
    return "0" + json.dumps({"sid": "s1", "upgrades": [], "pingInterval": ping_interval_ms, "pingTimeout": 60000})


async def drain(ws: web.WebSocketResponse, answer: Callable[[str], str | None] = lambda _text: None) -> None:
    """Read what the app sends until it goes, answering each text with `answer(text)` when that is not None."""
    async for message in ws:
        if message.type == WSMsgType.TEXT and (reply := answer(message.data)) is not None:
            await ws.send_str(reply)


async def live_from(s: Stack, url: str) -> None:
    s.simulator.broadcast_to(Echo(url, "app", "key"))
    await s.start(push=True)


def live_state(s: Stack) -> str | None:
    return s.fake.states.get(LIVE, (None,))[0]


@pytest.mark.timeout(60)
async def test_a_server_silent_after_its_opening_leaves_the_channel_failed_not_connecting(tmp_path):
    async def stall(ws: web.WebSocketResponse, _index: int) -> None:
        await ws.send_str(opening())  # then never the welcome (40)
        await drain(ws)

    async with socket_server(stall) as (url, sockets), stack(tmp_path) as s:
        await live_from(s, url)
        await until("a socket", lambda: sockets)
        await until("the channel failed", lambda: live_state(s) == "failed")
        states = set()
        for _ in range(60):  # 3 s: reconnecting goes on, but the channel does not work
            states.add(live_state(s))
            await asyncio.sleep(0.05)
        assert states == {"failed"}, f"the channel was {sorted(map(str, states))} while it cannot work"


async def test_a_subscription_error_for_another_channel_leaves_ours_subscribed(tmp_path):
    ours: list[str] = []  # the channel the app subscribed to

    async def other(ws: web.WebSocketResponse, _index: int) -> None:
        await ws.send_str(opening())
        await ws.send_str("40")

        def answer(text: str) -> str | None:
            if text.startswith("42"):  # our subscription: someone else's is refused
                ours.append(json.loads(text[2:])[1]["channel"])
                return '42["subscription_error","private-sim.user.4242",403]'
            return "3" if text == "2" else None

        await drain(ws, answer)

    async with socket_server(other) as (url, sockets), stack(tmp_path) as s:
        await live_from(s, url)
        await until("the refusal sent", lambda: ours)
        # An event of ours behind the refusal: once the app has read it, it had read the refusal before.
        reads = len(s.requests(LIST))
        await sockets[0].send_str("42" + json.dumps(["App\\Events\\SessionChanged", ours[0], {}]))
        await until("the event read", lambda: len(s.requests(LIST)) > reads)
        assert live_state(s) == "subscribed", s.fake.attributes(LIVE)
        assert len(sockets) == 1


class JumpingLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock a test can move forward: timers due by then run at once."""

    offset = 0.0

    def time(self) -> float:
        return super().time() + self.offset


def on_jumping_loop(scenario: Callable[[JumpingLoop], Awaitable[T]]) -> T:
    """Run `scenario` on a loop whose clock it moves on: bounded by an hour of the loop's own clock (the tests
    move it on less), pytest-timeout bounds the wall time."""
    loop = JumpingLoop()
    try:
        return loop.run_until_complete(asyncio.wait_for(scenario(loop), 3600))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_a_ping_interval_of_1e12_never_keeps_a_dead_channel_subscribed_past_10_minutes(tmp_path: Path):
    """The server's opening asks for a ping every 1e12 ms, welcomes, and then never says a word again. On the
    loop's clock, moved on a minute at a time, the channel must be seen dead within about 10 minutes."""

    async def dead(ws: web.WebSocketResponse, index: int) -> None:
        if index > 0:
            await ws.close()  # the server is gone for good
            return
        await ws.send_str(opening(1e12))
        await ws.send_str("40")
        await drain(ws)

    async def scenario(loop: JumpingLoop) -> float | None:
        async with socket_server(dead) as (url, _sockets), stack(tmp_path) as s:
            await live_from(s, url)
            await until("subscribed", lambda: live_state(s) == "subscribed")
            for minute in range(1, 12):
                loop.offset += 60
                await asyncio.sleep(0.2)
                if live_state(s) != "subscribed":
                    return minute * 60.0
            return None

    left_after = on_jumping_loop(scenario)  # the test moves the loop's clock on 11 minutes
    assert left_after is not None, "a silent server kept the channel subscribed for 11 minutes"
    assert left_after <= 11 * 60


def subscribed_then(
    after: Callable[[web.WebSocketResponse], Awaitable[None]], ping_interval_ms: float = 25000
) -> Socket:
    """A server that opens, welcomes, waits for the app's subscription and then does `after`."""

    async def serve(ws: web.WebSocketResponse, _index: int) -> None:
        await ws.send_str(opening(ping_interval_ms))
        await ws.send_str("40")
        async for message in ws:
            if message.type == WSMsgType.TEXT and message.data.startswith("42"):
                await after(ws)
                return

    return serve


@pytest.mark.timeout(120)
def test_a_server_that_drops_every_connection_is_one_failed_episode_not_a_line_per_attempt(tmp_path: Path):
    """Each connection subscribes, then the server drops it: the channel stays `failed` (no state written
    back and forth), one WARNING for the episode, no "flow again" for a connection that never held."""
    dropped = itertools.count(1)
    drops: list[int] = []

    async def drop(ws: web.WebSocketResponse) -> None:
        drops.append(next(dropped))
        await ws.close()

    async def scenario(loop: JumpingLoop) -> None:
        async with socket_server(subscribed_then(drop)) as (url, _sockets), stack(tmp_path) as s:
            await live_from(s, url)
            await until("the first connection dropped", lambda: drops and live_state(s) == "failed")
            shown = set()
            for attempt in range(2, 8):
                loop.offset += BACKOFF_MAX  # the back-off's wait is over
                await until(f"connection {attempt} dropped", lambda n=attempt: len(drops) >= n)
                shown.add(live_state(s))
            assert shown == {"failed"}
            stopped = [line for line in s.fake.lines("WARNING") if "live updates stopped" in line]
            assert len(stopped) == 1, stopped
            assert not [line for line in s.fake.lines("INFO") if "live updates flow again" in line]

    on_jumping_loop(scenario)


@pytest.mark.timeout(120)
def test_after_failures_a_connection_that_holds_unrefused_is_shown_and_said_working_once(tmp_path: Path):
    held: list[web.WebSocketResponse] = []

    async def first_drops_then_hold(ws: web.WebSocketResponse) -> None:
        if not held and not dropped:
            dropped.append(ws)
            await ws.close()
            return
        held.append(ws)
        await drain(ws, lambda text: "3" if text == "2" else None)

    dropped: list[web.WebSocketResponse] = []

    async def scenario(loop: JumpingLoop) -> None:
        # pings every 10 minutes: the test's jump is no silence, and the connection is proved by time alone
        server = socket_server(subscribed_then(first_drops_then_hold, ping_interval_ms=600_000))
        async with server as (url, _), stack(tmp_path) as s:
            await live_from(s, url)
            await until("the first connection dropped", lambda: dropped and live_state(s) == "failed")
            loop.offset += BACKOFF_MAX
            await until("the second connection subscribed", lambda: held)
            assert live_state(s) == "failed"  # not yet proved
            loop.offset += PROVEN_AFTER
            await until("the channel shown working", lambda: live_state(s) == "subscribed")
            again = [line for line in s.fake.lines("INFO") if "live updates flow again" in line]
            assert len(again) == 1, again

    on_jumping_loop(scenario)


async def test_a_frame_over_4_mb_costs_the_connection_and_says_why(tmp_path):
    async def oversized(ws: web.WebSocketResponse) -> None:
        await ws.send_str("42" + json.dumps(["x", "y", "z" * 5_000_000]))
        await drain(ws)

    async with socket_server(subscribed_then(oversized)) as (url, _sockets), stack(tmp_path) as s:
        await live_from(s, url)
        await until("the channel failed", lambda: live_state(s) == "failed")
        assert "exceeds limit" in s.fake.attributes(LIVE)["reason"]


async def test_pings_go_out_every_interval_however_many_frames_come(tmp_path):
    """Engine.IO drops a client that does not ping every interval: a stream of frames must not hold pings up."""
    texts: Counter[str] = Counter()  # what the app sent, by text: "2" is a ping

    async def flood(ws: web.WebSocketResponse) -> None:
        async def count() -> None:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    texts[message.data] += 1

        counting = asyncio.ensure_future(count())
        while texts["2"] < 3 and not ws.closed:  # a frame of someone else's channel every 5 ms
            await ws.send_str("42" + json.dumps(["App\\Events\\SessionChanged", "private-sim.user.4242", {}]))
            await asyncio.sleep(0.005)
        await counting

    async with socket_server(subscribed_then(flood, ping_interval_ms=300)) as (url, _sockets), stack(tmp_path) as s:
        await live_from(s, url)
        await until("three pings through the flood", lambda: texts["2"] >= 3)
        assert live_state(s) == "subscribed"
