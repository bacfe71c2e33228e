"""A small JSON file that carries the app's memory across restarts.

AppDaemon re-runs `initialize` whenever Home Assistant restarts, and the app would otherwise forget which
sessions it already announced and the last reading it had. Writes are atomic (temp file + rename), so a
crash mid-write leaves the previous file intact.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[dict[str, Any], str | None]:
        """The saved data, and a problem to log when the file was unreadable (it is then set aside)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, None
        except OSError as err:
            return {}, f"cannot read {self.path}: {err.strerror}"
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            aside = self.path.with_name(self.path.name + ".unreadable")
            self.path.replace(aside)
            return {}, f"{self.path} was unreadable; moved it to {aside.name} and started afresh"
        return data, None

    def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({**data, "version": FORMAT_VERSION}, separators=(",", ":"), sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
