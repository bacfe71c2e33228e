"""Faults the simulator injects into API answers at run time, to prove the client survives them."""

from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("status", "rate_limit", "slow", "malformed", "wrong_shape", "disconnect", "replay")


@dataclass
class Fault:
    """One rule: the next `count` matching requests (all of them while `count` is None) get `kind`.

    status: answer `status` (401, 403, 404, 500, 502, 503, ...) with a Laravel-style message.
    rate_limit: 429, with `Retry-After: retry_after` when given.
    slow: wait `delay` seconds, then answer normally (past the client's timeout, it times out).
    malformed: 200 with a body that is not JSON.   wrong_shape: 200 with JSON of the wrong shape.
    disconnect: drop the connection without an answer.   replay: answer `status` with `body`, verbatim.
    """

    kind: str
    count: int | None = None
    path: str | None = None  # a substring of the request path, e.g. "session/start"
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (self.path is None or self.path in path)


class Faults:
    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.injected: dict[str, int] = {}

    def add(self, fault: Fault) -> None:
        self.rules.append(fault)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, used up by one."""
        for fault in self.rules:
            if fault.matches(method, path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.rules.remove(fault)
                self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
                return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.rules]
