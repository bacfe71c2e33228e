"""Log lines a person can read: secrets redacted always, repeated problems said once per episode."""

import json
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

Write = Callable[[str, str], None]  # (message, level)


class Logbook:
    def __init__(self, write: Write, secrets: Iterable[str]) -> None:
        self._write = write
        self._secrets: list[str] = []
        self._said: set[str] = set()
        self.noted: dict[str, str] = {}  # every episode said since the start (the latest 100): for diagnostics
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """A secret learnt at run time (a renewed token): redacted from now on, also as it reads inside JSON."""
        for form in (secret, json.dumps(secret)[1:-1]):
            if form and form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)  # the longest first: a secret inside another goes with it

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def __call__(self, message: str, level: str = "INFO") -> None:
        self._write(self.redact(message), level)

    def once(self, key: str, message: str, level: str = "WARNING") -> None:
        """Say `message` unless `key` was already said in this episode."""
        if key not in self._said:
            self._said.add(key)
            self.noted.pop(key, None)
            self.noted[key] = self.redact(f"{level}: {message}")
            while len(self.noted) > 100:
                del self.noted[next(iter(self.noted))]
            self(message, level)

    def forget(self, key: str) -> bool:
        """End an episode: the next `once(key, ...)` speaks again. True when it had been said."""
        if key in self._said:
            self._said.discard(key)
            return True
        return False


def one_line(err: BaseException) -> str:
    """An unexpected exception in one log line: type, message and the innermost place it came from."""
    frames = traceback.extract_tb(err.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(err).__name__}: {err}{place}"
