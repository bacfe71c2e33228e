"""A small JSON file that carries the app's memory across restarts, and is never thrown away.

AppDaemon re-runs `initialize` whenever Home Assistant restarts, and the app would otherwise forget which
sessions it already announced, the last reading it had, and the refresh token it was last handed (the only
valid one: they are single use). So:
- writes are atomic (temp file + rename) and synced, with the folder, so a crash or a power cut leaves the
  previous file or the new one, never half of one; temp files a kill left behind are removed at start;
- a file that cannot be read (permissions, a folder in its place, an I/O error) is never written over: the
  store stays `locked` and says how to recover; a file that reads but is not ours (not JSON, another
  format) is set aside beside it, kept for the user, and the app starts afresh.
"""

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import NotRegularFile, read_regular, write_atomically

FORMAT_VERSION = 1
# The app's own file is a few KB; a file past this in its place is not one it wrote.
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    """What a load found: the data, and when there was a problem, what happened and what to do."""

    data: dict[str, Any]
    problem: str | None = None
    locked: bool = False  # the file exists but could not be read: it must never be written over
    set_aside: bool = False  # the file was not usable and is kept beside it: what it held is lost to the app


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.locked = False

    def load(self) -> Loaded:
        """What the file holds, at start: temp files of killed saves removed, a file not ours set aside."""
        self._clean()
        return self._read(set_aside=True)

    def load_copy(self) -> Loaded:
        """What the file holds, touching nothing (a look from outside the app: the diagnostics)."""
        return self._read(set_aside=False)

    def _read(self, *, set_aside: bool) -> Loaded:
        try:
            text = read_regular(self.path, MAX_BYTES).decode("utf-8")
        except FileNotFoundError:
            return Loaded({})
        except (OSError, UnicodeDecodeError, NotRegularFile) as err:
            self.locked = set_aside
            reason = _reason(err)
            return Loaded(
                {},
                f"cannot read the app's memory file {self.path} ({reason}); it is left as it is and nothing is "
                "saved until it can be read: make it a readable file for AppDaemon's user (or move it away to "
                "start afresh), then reload the app",
                locked=True,
            )
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            if not set_aside:
                return Loaded({}, f"the app's memory file {self.path} is not one this version reads")
            aside = self.path.with_name(self.path.name + ".unreadable")
            try:
                self.path.replace(aside)
            except OSError as err:
                self.locked = True
                return Loaded(
                    {},
                    f"the app's memory file {self.path} is not usable and cannot be set aside ({err.strerror}); "
                    "nothing is saved until it is moved away: move it, then reload the app",
                    locked=True,
                )
            return Loaded(
                {},
                f"the app's memory file {self.path} was not usable; it is kept as {aside.name} and the app started "
                "afresh",
                set_aside=True,
            )
        return Loaded(data)

    def save(self, data: dict[str, Any]) -> None:
        """Raises OSError; PermissionError when the file could not be read at start (it is never written over)."""
        if self.locked:
            raise PermissionError(f"{self.path} could not be read at start, so it is not written over")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({**data, "version": FORMAT_VERSION}, separators=(",", ":"), sort_keys=True)
        write_atomically(self.path, payload.encode("utf-8"))

    def _clean(self) -> None:
        """Temp files of saves a kill interrupted: they may hold tokens, and are of no use."""
        with contextlib.suppress(OSError):
            for leftover in self.path.parent.glob(f"{self.path.name}*.tmp"):
                leftover.unlink(missing_ok=True)


def _reason(err: OSError | ValueError) -> str:
    if isinstance(err, NotRegularFile):
        return err.why
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return type(err).__name__
