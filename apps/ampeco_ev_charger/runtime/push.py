"""Live updates: a change source that reads the account the moment the cloud says something changed.

Where the tenant's settings name a broadcast server, one websocket per account listens on the user's private
channel. Every event (SessionChanged, PersonalEVSEStatusChange, ...) asks the account to read again: the first
of a burst at once, the rest of the burst in one read after it, and never more than one read every few
seconds, however many events come; its data is never trusted, since nothing is known of it. Polling stays the
safety net: while the channel is healthy the idle cadence relaxes, and the moment it is not (closed, refused,
silent) the normal cadence is back. This transport keeps its own time (pings, silence, back-off) on the event
loop's clock, as the server does.
"""

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable

import aiohttp

from ..ampeco import API_PATH, AmpecoError, NotFoundError
from ..ampeco.push import (
    PING,
    Broadcast,
    Control,
    Event,
    Frame,
    Opened,
    SubscriptionError,
    parse_frame,
    subscribe_frame,
)
from .account import Account
from .logbook import Logbook, one_line
from .poller import Poller
from .timers import cancel_and_wait
from .view import PushStatus

READ_SPACING = 5.0  # seconds: live updates never read an account more often than this
LISTENER = "ampeco live updates"  # the listening task's name: it runs for the app's whole life
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 300.0  # reconnecting: 1 s doubling to 5 min...
HEALTHY_FOR = 60.0  # ...and from 1 s again once a connection has lasted this long
# After a failure a new subscription shows as working once it has held this long unrefused (or brought an event):
# a server that drops or refuses every subscription is one failed episode, not a state and a line per attempt.
PROVEN_AFTER = 5.0
CONNECT_TIMEOUT = 15.0
# The tenant's settings could not be read: ask again this much later.
SETTINGS_RETRY = 600.0


class PushSource:
    def __init__(
        self,
        account: Account,
        poller: Poller,
        http: aiohttp.ClientSession,
        logbook: Logbook,
        *,
        on_change: Callable[[], Awaitable[None]],
        wall: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.account = account
        self.poller = poller
        self.http = http
        self.logbook = logbook
        self.on_change = on_change  # the status changed: show it
        self.wall = wall
        self.rand = rand
        self.status = PushStatus("connecting", since=wall())
        self._task: asyncio.Future[None] | None = None
        self._read: asyncio.Future[None] | None = None
        self._wanted = False  # an event came since the last read began
        self._last_read = -math.inf
        self._said_up = False

    @property
    def started(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        """Listen from now on (the app starts it after the account's first reading, so as to delay nothing)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{LISTENER}: {self.account.labels}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        await cancel_and_wait(self._read)

    @property
    def healthy(self) -> bool:
        return self.status.state == "subscribed"

    # --- the connection ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        broadcast = await self._discover()
        if broadcast is None:
            return
        backoff = BACKOFF_FIRST
        while True:
            began = asyncio.get_running_loop().time()
            try:
                await self._listen(broadcast)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as err:
                await self._failed(_plain(err))
            except Exception as err:  # a bug must cost the channel, never the app (polling goes on)
                await self._failed(f"internal error: {one_line(err)}")
            if asyncio.get_running_loop().time() - began >= HEALTHY_FOR:
                backoff = BACKOFF_FIRST
            wait = backoff * (1 - 0.2 * self.rand())
            self.logbook(f"live updates: reconnecting in {wait:.0f} s", "DEBUG")
            await asyncio.sleep(wait)
            backoff = min(BACKOFF_MAX, backoff * 2)

    async def _discover(self) -> Broadcast | None:
        """Where the live updates come from; None when the tenant has none (then polling alone goes on)."""
        client = self.account.client
        while True:
            try:
                broadcast = await client.broadcast()
            except NotFoundError:
                broadcast = None
            except AmpecoError as err:
                await self._set("connecting", f"cannot read the tenant's settings yet ({err.message})")
                await asyncio.sleep(SETTINGS_RETRY)
                continue
            except ValueError as err:  # a server the token must not go to
                await self._set("off", str(err))
                self.logbook(f"{self.account.labels}: no live updates: {err}", "WARNING")
                return None
            if broadcast is None:
                await self._set("off", "this AMPECO tenant offers no live updates")
            return broadcast

    async def _listen(self, broadcast: Broadcast) -> None:
        if self.status.state != "failed":  # once failed, it says so (and why) until it works again
            await self._set("connecting", None)
        ws = await asyncio.wait_for(self.http.ws_connect(broadcast.url, max_msg_size=4 * 1024 * 1024), CONNECT_TIMEOUT)
        async with ws:
            terms = await self._opened(ws)
            endpoint = self.account.client.host + API_PATH.rstrip("/")
            await ws.send_str(subscribe_frame(broadcast.channel, self.account.credentials.access_token, endpoint))
            if self.status.state != "failed":
                await self._subscribed(broadcast)
            await self._frames(ws, terms, broadcast)

    async def _subscribed(self, broadcast: Broadcast) -> None:
        """Shown as working, and said once: at the first connection, or when one has proved itself after a
        failure (a server that drops every connection is one failed episode, not a line per attempt)."""
        await self._set("subscribed", None)
        if not self._said_up:
            self._said_up = True
            self.logbook(f"{self.account.labels}: live updates from {broadcast.host}")
        elif self.logbook.forget("push"):
            self.logbook(f"{self.account.labels}: live updates flow again")

    async def _opened(self, ws: aiohttp.ClientWebSocketResponse) -> Opened:
        """The server's terms (`0{...}`), then its welcome (`40`)."""
        terms = Opened(25.0, 20.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECT_TIMEOUT
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError
            frame = await self._text(ws, left)
            if isinstance(frame, Opened):
                terms = frame
            elif frame == Control("40"):
                return terms

    async def _frames(self, ws: aiohttp.ClientWebSocketResponse, terms: Opened, broadcast: Broadcast) -> None:
        """Ping every interval, however many frames come; any frame shows the server is there; silence for two
        intervals is a dead line. After a failure the channel shows as working once the connection has held
        for PROVEN_AFTER or brought an event."""
        loop = asyncio.get_running_loop()
        heard = next_ping = opened = loop.time()
        while True:
            now = loop.time()
            if now - heard > 2 * terms.ping_interval:
                raise ConnectionError(f"the live-update server was silent for {2 * terms.ping_interval:.0f} s")
            if now >= next_ping:
                await ws.send_str(PING)
                next_ping = now + terms.ping_interval
            if self.status.state == "failed" and now - opened >= PROVEN_AFTER:
                await self._subscribed(broadcast)
            wake = next_ping
            if self.status.state == "failed":  # wake up to show it working once it has held
                wake = min(wake, opened + PROVEN_AFTER)
            try:
                frame = await self._text(ws, wake - now + 0.01)
            except asyncio.TimeoutError:
                continue
            heard = loop.time()
            if isinstance(frame, Event) and frame.channel == broadcast.channel:
                if self.status.state == "failed":
                    await self._subscribed(broadcast)
                self._heard(frame)
            elif isinstance(frame, SubscriptionError) and frame.channel == broadcast.channel:
                await self._refused(frame)
                return

    async def _text(self, ws: aiohttp.ClientWebSocketResponse, timeout: float) -> Frame | None:
        """The next frame, within `timeout` seconds (else TimeoutError); in this task, never a new one."""
        message = await ws.receive(timeout=max(timeout, 0.01))  # 0 would mean no timeout at all
        if message.type == aiohttp.WSMsgType.TEXT:
            return parse_frame(message.data)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            raise ConnectionError("the live-update server closed the connection")
        if message.type == aiohttp.WSMsgType.ERROR:
            # aiohttp keeps a frame over max_msg_size in the message, not in ws.exception()
            raise ConnectionError(f"the live-update connection failed ({_plain(ws.exception() or message.data)})")
        return None

    # --- what happens ------------------------------------------------------------------------------------

    def _heard(self, event: Event) -> None:
        """Each event is only a reason to read (its data is not known); the DEBUG log names it."""
        self.logbook(f"{self.account.labels}: live update {event.name}", "DEBUG")
        self._wanted = True
        if self._read is None or self._read.done():
            self._read = asyncio.ensure_future(self._reads())

    async def _reads(self) -> None:
        """Read at once, then once more for whatever came meanwhile, never within READ_SPACING of the last."""
        loop = asyncio.get_running_loop()
        while self._wanted:
            wait = self._last_read + READ_SPACING - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._wanted, self._last_read = False, loop.time()
            await self.account.refresh()

    async def _refused(self, refusal: SubscriptionError) -> None:
        if refusal.status == 401:
            reason = "the live-update server rejected the token (401)"
        elif refusal.status == 403:
            reason = f"the live-update server refused the channel {refusal.channel} (403)"
        else:
            reason = f"the live-update server refused the subscription ({refusal.status or 'no answer'})"
        await self._failed(reason)
        if refusal.status == 401:
            await self.account.refresh()  # a rejected token is handled as the API's own 401: renewed where it can be

    async def _failed(self, reason: str) -> None:
        await self._set("failed", reason)
        self.logbook.once(
            "push",
            f"{self.account.labels}: live updates stopped ({reason}); polling goes on at its "
            "normal cadence and the app reconnects by itself",
        )

    async def _set(self, state: str, reason: str | None) -> None:
        status = self.status
        if (status.state, status.reason) == (state, reason):
            return
        since = self.wall() if state != status.state else status.since
        self.status = PushStatus(state, reason, since)
        if self.poller.relaxed != self.healthy:
            await self.poller.relax(self.healthy)
        await self.on_change()


def _plain(err: BaseException | None) -> str:
    if err is None:
        return "closed"
    if isinstance(err, asyncio.TimeoutError):
        return "no answer in time"
    return str(err) or type(err).__name__
