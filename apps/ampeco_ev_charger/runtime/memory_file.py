"""The app's memory on disk, made of parts that their owners register: each charger's reading and sessions,
each account's renewed token, what was learnt of each tenant, smart charging's plan, the MQTT topics.

Whoever owns a part registers how to dump and load it (`keep`); the file is read once at start (`recall`)
and every part gets its value, checked on the way (`Saved`): what is unusable is dropped with one WARNING,
the rest kept. A part registered later (a charger found on the account while running) gets its value at
once. A save that fails is said once, shown as a problem, and tried again at the next `save_if_due`.
"""

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any

from ..ampeco import sample, to_number
from .logbook import Logbook
from .store import Store

Path = tuple[str, ...]


def finite(value: object) -> float | None:
    """A number as the file holds it, as a finite float; None for anything else: text, an infinity, an integer
    of hundreds of digits."""
    return None if isinstance(value, str) else to_number(value)


class Saved:
    """A value read back from the memory file, checked before use; what is unusable goes to `dropped`.

    `lost` is True when the file existed but what it held could not be had (unreadable, or not ours):
    whatever a part kept there (a refresh token among them) is unknown, not absent."""

    def __init__(self, value: object, where: str, dropped: list[str], *, lost: bool = False) -> None:
        self.value = value
        self.where = where
        self.dropped = dropped
        self.lost = lost

    @property
    def present(self) -> bool:
        return isinstance(self.value, dict)

    def get(self, key: str) -> "Saved":
        inner = self.value.get(key) if isinstance(self.value, dict) else None
        return Saved(inner, f"{self.where}.{key}", self.dropped, lost=self.lost)

    def keys(self) -> Iterator[str]:
        return iter(k for k in self.value if isinstance(k, str)) if isinstance(self.value, dict) else iter(())

    def _drop(self, key: str, value: object) -> None:
        shown = value if isinstance(value, str) else sample(value)  # `str` of JSON nested deep would overflow the stack
        self.dropped.append(f"{self.where}.{key} ({shown[:40]!r})")

    def text(self, key: str) -> str | None:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if value is None or isinstance(value, str):
            return value
        self._drop(key, value)
        return None

    def number(self, key: str, *, low: float = -math.inf, high: float = math.inf) -> float | None:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if value is None:
            return None
        number = finite(value)
        if number is not None and low <= number <= high:
            return number
        self._drop(key, value)
        return None

    def flag(self, key: str) -> bool | None:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if value is None or isinstance(value, bool):
            return value
        self._drop(key, value)
        return None

    def texts(self, key: str) -> list[str]:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        self._drop(key, value)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


Dump = Callable[[], Any]
Load = Callable[[Saved], None]


class MemoryFile:
    def __init__(self, store: Store, logbook: Logbook, clock: Callable[[], float]) -> None:
        self.store = store
        self.logbook = logbook
        self.clock = clock
        self.problem: str | None = None  # why the memory is not (or not fully) kept: the problem sensor says so
        self._parts: dict[Path, tuple[Dump, Load]] = {}
        self._data: dict[str, Any] | None = None  # what the file held, until every part has had its value
        self._lost = False
        self._lock = asyncio.Lock()
        self._last_saved = -math.inf
        self._unsaved = False  # a save failed: try again at the next chance

    def keep(self, path: Path, dump: Dump, load: Load) -> None:
        """Register a part; once the file was read, it gets its value at once."""
        self._parts[path] = (dump, load)
        if self._data is not None:
            self._hand(path, load)

    def forget(self, path: Path) -> None:
        self._parts.pop(path, None)

    async def recall(self) -> None:
        """Read the file (off the event loop) and hand every part its value."""
        loaded = await asyncio.to_thread(self.store.load)
        self._data, self._lost = loaded.data, loaded.locked or loaded.set_aside
        if loaded.problem:
            self.logbook(loaded.problem, "ERROR" if loaded.locked else "WARNING")
            self.problem = loaded.problem if loaded.locked else None
        for path, (_dump, load) in list(self._parts.items()):
            self._hand(path, load)

    def _hand(self, path: Path, load: Load) -> None:
        value: object = self._data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        dropped: list[str] = []
        load(Saved(value, ".".join(path), dropped, lost=self._lost))
        if dropped:
            self.logbook(
                f"the app's memory file {self.store.path.name} had values it cannot use, dropped (the rest is "
                f"kept): {', '.join(dropped[:10])}{' ...' if len(dropped) > 10 else ''}",
                "WARNING",
            )

    async def save(self) -> bool:
        """Every part, now; False (said once, shown as a problem) when it could not be written."""
        async with self._lock:
            tree: dict[str, Any] = {}
            for path, (dump, _load) in self._parts.items():
                _put(tree, path, dump())
            try:
                await asyncio.to_thread(self.store.save, tree)
            except OSError as err:
                self._unsaved = True
                if not self.store.locked:
                    self.problem = (
                        f"cannot save the app's memory to {self.store.path} ({err.strerror or err}); what it holds "
                        "(a renewed token among it) is kept in memory and saved again after every poll"
                    )
                    self.logbook.once("store", self.problem, "ERROR")
                return False
            if self.logbook.forget("store"):
                self.logbook(f"the app's memory is saved to {self.store.path} again")
            self.problem, self._unsaved, self._last_saved = None, False, self.clock()
            return True

    async def save_if_due(self, every: float, *, changed: bool = False) -> None:
        """Save when something changed, a save failed before, or `every` seconds have passed."""
        if changed or self._unsaved or self.clock() - self._last_saved >= every:
            await self.save()


def _put(tree: dict[str, Any], path: Path, value: Any) -> None:
    """Place `value` at `path`, merging with what other parts put beside it."""
    *parents, last = path
    for key in parents:
        tree = tree.setdefault(key, {})
    if isinstance(value, dict) and isinstance(tree.get(last), dict):
        tree[last] = {**value, **tree[last]}
    else:
        tree[last] = value
