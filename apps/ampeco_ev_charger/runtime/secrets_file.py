"""The YAML file of named secrets the configuration was read from (AppDaemon's secrets.yaml).

AppDaemon reads it once, at start: a token replaced there later never reaches the app through its
configuration. So the app reads the file itself, by the name under which its token was found, whenever it
has changed. Only a regular file of a sane size is read (a FIFO or a huge file in its place never blocks
the app), and only off the event loop (`Credentials` calls it in a thread).
"""

import hashlib
from pathlib import Path

import yaml

from .files import read_regular

# A secrets.yaml holds a few dozen short values: a file past this is not one the app reads.
MAX_BYTES = 1024 * 1024


class SecretsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # why the file cannot be used for replaced tokens, if it cannot
        self._stamp: tuple[float, int] | None = None
        self._values: dict[str, str] = {}

    def name_of(self, value: str) -> str | None:
        """The name under which `value` is kept (the first, if several hold it). Blocking: call in a thread."""
        self._load()
        return next((name for name, held in self._values.items() if held == value), None)

    def value(self, name: str) -> str | None:
        """The value kept under `name` now (the file is read again only when it has changed). Blocking."""
        self._load()
        return self._values.get(name)

    def _load(self) -> None:
        try:
            status = self.path.stat()
        except OSError:
            self._stamp, self._values = None, {}
            return
        stamp = (status.st_mtime, status.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            data = yaml.safe_load(read_regular(self.path, MAX_BYTES).decode("utf-8", errors="replace"))
        except ValueError as err:  # not a regular file, too large
            self.problem, self._values = str(err), {}
            return
        except (OSError, yaml.YAMLError, RecursionError):
            data = None  # half written, or broken: try again when it changes
            self._stamp = None
        self.problem = None
        self._values = (
            {str(k): str(v) for k, v in data.items() if isinstance(v, (str, int))} if isinstance(data, dict) else {}
        )


def fingerprint(*values: str | None) -> str:
    """A digest that tells whether secrets are the same without keeping them."""
    return hashlib.sha256("\n".join(v or "" for v in values).encode()).hexdigest()[:24]
