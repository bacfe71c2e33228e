"""The YAML file of named secrets the configuration was read from (AppDaemon's secrets.yaml).

AppDaemon reads it once, at start: a token replaced there later never reaches the app through its
configuration. So the app reads the file itself, by the name under which its token was found, whenever it
has changed.
"""

import hashlib
from pathlib import Path

import yaml


class SecretsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._values: dict[str, str] = {}

    def name_of(self, value: str) -> str | None:
        """The name under which `value` is kept (the first, if several hold it)."""
        self._load()
        return next((name for name, held in self._values.items() if held == value), None)

    def value(self, name: str) -> str | None:
        """The value kept under `name` now (the file is read again only when it has changed)."""
        self._load()
        return self._values.get(name)

    def _load(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            self._stamp, self._values = None, {}
            return
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            data = None  # half written, or broken: try again when it changes
            self._stamp = None
        self._values = (
            {str(k): str(v) for k, v in data.items() if isinstance(v, (str, int))} if isinstance(data, dict) else {}
        )


def fingerprint(*values: str | None) -> str:
    """A digest that tells whether secrets are the same without keeping them."""
    return hashlib.sha256("\n".join(v or "" for v in values).encode()).hexdigest()[:24]
