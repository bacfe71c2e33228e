"""The simulator's live updates: what a tenant's laravel-echo-server needs from its backend.

The simulator names the echo server in `app/settings/global`, answers its `/broadcasting/auth` (a valid
token, the tenant named by X-Endpoint, the user's own channel only), and publishes each change of its model
to the owner's private channel through the echo server's HTTP API, in order, one at a time.
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Echo:
    """A laravel-echo-server the simulator publishes to: its URL and the `clients` entry it accepts."""

    url: str
    app_id: str
    key: str
    prefix: str = "sim"  # broadcast.channelPrefix
    published: list[tuple[str, str]] = field(default_factory=list)  # (channel, event name) delivered
    _queue: "asyncio.Queue[tuple[str, str, dict[str, object]]]" = field(default_factory=asyncio.Queue)

    def channel(self, user_id: int) -> str:
        return f"private-{self.prefix}.user.{user_id}"

    def publish(self, channel: str, name: str, data: dict[str, object]) -> None:
        """Queued: the model changes inside plain calls; the HTTP post follows in order."""
        self._queue.put_nowait((channel, "App\\Events\\" + name, data))

    async def serve(self) -> None:
        """Post what was published, in order, for as long as the simulator runs."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            await self._post_all(session)

    async def _post_all(self, session: aiohttp.ClientSession) -> None:
        url = f"{self.url}/apps/{self.app_id}/events"
        while True:
            channel, name, data = await self._queue.get()
            body = json.dumps({"channel": channel, "name": name, "data": data})
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):  # an echo server that is down
                async with session.post(
                    url, params={"auth_key": self.key}, data=body, headers={"Content-Type": "application/json"}
                ) as answer:
                    if answer.status == 200:
                        self.published.append((channel, name))
