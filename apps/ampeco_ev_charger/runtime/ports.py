"""The two seams of the runtime: what tells it to read (change sources) and where it shows what it read
(publishers). Polling and set_state are one of each; push events and MQTT discovery are others."""

from typing import Protocol

from .commands import CommandResult
from .credential_watch import TokenExpiring
from .lifecycle import Transition
from .view import ChargerView


class ChangeSource(Protocol):
    """Knows when an account is worth reading, and asks it to (`Account.refresh`)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Publisher(Protocol):
    """Shows the runtime's picture of each charger, and tells what happened."""

    async def show(self, view: ChargerView) -> None:
        """A charger as it is now; the publisher sends only what differs from what it last sent."""

    async def announce(self, chargepoint_id: str, transition: Transition) -> None:
        """A session started or ended, or the EVSE status changed: once each."""

    async def answer(self, result: CommandResult) -> None:
        """The one result of one command."""

    async def warn(self, warning: TokenExpiring) -> None:
        """The token of an account ends soon, and nothing will renew it: once per token."""

    async def settled(self, lineup: list[ChargerView]) -> None:
        """These are every charger watched now: at start, and when one joined or left an account whose chargers
        are discovered. A charger no longer among them is shown no more."""
