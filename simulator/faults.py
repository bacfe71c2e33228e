"""Faults the simulator injects into API answers at run time, to prove the client survives them."""

from dataclasses import asdict, dataclass
from typing import Any

# Transforms alter a normal answer (they mimic a tenant's quirks or a glitch); the others replace it.
TRANSFORMS = ("energy_backwards", "unknown_status", "strings", "nulls", "missing_fields")
# raw, gzip_bomb and endless are hostile answers: what a broken proxy or an attacker on the path could send.
KINDS = (
    "status",
    "rate_limit",
    "slow",
    "malformed",
    "wrong_shape",
    "disconnect",
    "replay",
    "raw",
    "gzip_bomb",
    "endless",
    *TRANSFORMS,
)
# Fields the `nulls` and `missing_fields` transforms take away.
_TAKEN = {
    "charge_point": ("max_current_a", "last_month_energy_kwh", "status", "name"),
    "evse": ("maxPower", "connectors"),
    "session": ("power", "energy", "duration", "amount"),
}


@dataclass
class Fault:
    """One rule: the next `count` matching requests (all of them while `count` is None) get `kind`.

    status: answer `status` (401, 403, 404, 500, 502, 503, ...) with a Laravel-style message.
    rate_limit: 429, with `Retry-After: retry_after` when given.
    slow: wait `delay` seconds, then answer normally (past the client's timeout, it times out).
    malformed: 200 with a body that is not JSON.   wrong_shape: 200 with JSON of the wrong shape.
    disconnect: drop the connection without an answer.   replay: answer `status` with `body` and `headers`.
    raw: answer `status` with `body` as it is (text or bytes, JSON or not) and `headers`, gzip-encoded if `gzip`.
    gzip_bomb: 200 with a gzip-encoded JSON body of about a megabyte that inflates to `size` bytes (built once,
        kept in the folder `cache`).   endless: 200 with a JSON body that streams on until `size` bytes or the
        client hangs up.
    energy_backwards: sessions report half their energy.   unknown_status: statuses become "Hibernating".
    strings: every number is sent as a string.   nulls / missing_fields: some fields null / left out.
    """

    kind: str
    count: int | None = None
    path: str | None = None  # a substring of the request path, e.g. "session/start"
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None
    headers: dict[str, str] | None = None
    gzip: bool = False
    size: int = 1 << 30
    cache: str | None = None

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


def transform(kind: str, data: Any) -> Any:
    """A normal answer as the `kind` transform alters it (the charge point list, one of them, or a session)."""
    if isinstance(data, list):
        return [transform(kind, item) for item in data]
    if not isinstance(data, dict):
        return data
    if kind == "strings":
        return {key: _as_strings(value) for key, value in data.items()}
    out = dict(data)
    for key in ("data", "session"):
        if isinstance(out.get(key), (dict, list)):
            out[key] = transform(kind, out[key])
    if isinstance(out.get("evses"), list):
        out["evses"] = [_evse(kind, evse) for evse in out["evses"]]
        _take(kind, out, "charge_point")
    elif "startedAt" in out:
        out = _session(kind, out)
    return out


def _evse(kind: str, evse: dict[str, Any]) -> dict[str, Any]:
    evse = dict(evse)
    if kind == "unknown_status":
        evse["status"] = "Hibernating"
    if isinstance(evse.get("session"), dict):
        evse["session"] = _session(kind, evse["session"])
    _take(kind, evse, "evse")
    return evse


def _session(kind: str, session: dict[str, Any]) -> dict[str, Any]:
    session = dict(session)
    if kind == "energy_backwards" and isinstance(session.get("energy"), (int, float)):
        session["energy"] = session["energy"] / 2
    if kind == "unknown_status":
        session["evseStatus"] = "Hibernating"
    _take(kind, session, "session")
    return session


def _take(kind: str, data: dict[str, Any], where: str) -> None:
    for key in _TAKEN[where]:
        if kind == "nulls" and key in data:
            data[key] = None
        elif kind == "missing_fields":
            data.pop(key, None)


def _as_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_strings(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value
