"""The AppDaemon calls the app makes, typed as they behave in an async app.

AppDaemon 4.5 declares its API methods as plain functions returning values, but in an app whose callbacks
are `async def` they return awaitables (a Task) that must be awaited. This protocol says what really happens,
so the type checker can follow the app's calls; `app.py` views itself through it.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

TimerCallback = Callable[..., Awaitable[None]]


class AsyncAppDaemon(Protocol):
    args: dict[str, Any]
    name: str
    namespace: str
    AD: Any  # AppDaemon itself: its plugins, where its own connections to Home Assistant and MQTT are

    async def run_in(self, callback: TimerCallback, delay: float, **kwargs: Any) -> str: ...

    async def cancel_timer(self, handle: str, silent: bool = False) -> bool: ...

    async def set_state(
        self,
        entity_id: str,
        *,
        state: Any = None,
        attributes: dict[str, Any] | None = None,
        replace: bool = False,
        check_existence: bool = True,
        **kwargs: Any,
    ) -> Any: ...

    async def remove_entity(self, entity_id: str, **kwargs: Any) -> None: ...

    async def listen_event(self, callback: Callable[..., Awaitable[None]], event: str, **kwargs: Any) -> str: ...

    async def fire_event(self, event: str, **kwargs: Any) -> None: ...

    async def listen_state(self, callback: Callable[..., Awaitable[None]], entity_id: str, **kwargs: Any) -> str: ...

    async def get_state(self, entity_id: str, attribute: str | None = None, **kwargs: Any) -> Any: ...

    async def call_service(self, service: str, **kwargs: Any) -> Any: ...

    async def sleep(self, delay: float) -> None: ...

    def get_timezone(self) -> Any:
        """A pytz zone in AppDaemon 4.5, though documented as a name."""

    def log(self, msg: str, *args: Any, level: str = "INFO", **kwargs: Any) -> None: ...
