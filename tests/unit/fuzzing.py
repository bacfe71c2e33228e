"""Hypothesis strategies that mutate captured AMPECO answers (and the app's own memory), and what a parser's
result must look like, for the fuzz tests (`test_fuzz.py`, `ampeco/test_fuzz_client.py`).

A mutation walks a document to a random place and there puts another JSON type (numbers of every size, NaN,
text of any script, lists, objects, deep nesting), deletes a key, repeats a list entry or wraps the value in
`{"data": ...}` / `{"session": ...}`. Everything is derandomized: CI sees the same examples on every run.
"""

import json
import math
import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ampeco_ev_charger.ampeco import Oddity, Units


def fuzz(examples: int) -> settings:
    """The same examples on every run (CI included), as many as fit the unit tier's seconds."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=5),  # far beyond any example: only a pathological slowness fails it
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


FIXTURES = Path(__file__).parent.parent / "fixtures"
CAPTURED: dict[str, Any] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))}
TOKEN = "eyJ0eXAiOiJKV1QifQ.secret-token.sig"  # a fake one, to see that it is never shown

# Answers not captured, as ampeco-api.md describes them (among much else, as the filler stands for).
SETTINGS = {
    "data": {
        "broadcast": {"url": "https://echo.example.invalid", "channelPrefix": "exploren"},
        "currency": {"code": "DKK", "symbol": "kr."},
        "minimumAppVersion": "3.4.0",
        "features": {"smartCharging": True, "personalChargePoints": True},
    }
}
PROFILE = {
    "data": {"id": 1234, "email": "user@example.invalid", "firstName": "A", "locale": "da", "balance": 0, "roles": []}
}

# ---- what a mutation puts in --------------------------------------------------------------------------------


def nested(depth: int, leaf: object, wrap: Callable[[object], object]) -> object:
    value = leaf
    for _ in range(depth):
        value = wrap(value)
    return value


HUGE = 10**400
DEEP = (nested(500, "deep", lambda v: [v]), nested(250, {"id": "1"}, lambda v: {"data": {"session": v}}))
NUMBERS = st.one_of(
    st.sampled_from([1e308, -1e308, 5e-324, 2**63, -(2**63) - 1, 11000, 16]),
    st.integers(),
    st.integers(min_value=-HUGE, max_value=HUGE),
    st.floats(),  # NaN and the infinities too: Python's JSON reads them
)
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *("", " ", "11.1", " 7 ", "-3", "1e400", "NaN", "-Infinity", "-0", "0x10", "\u0661\u0662", "\x00"),
            *(TOKEN, "https://", "http://[::1", "ws://127.0.0.1:6001", "wss://echo.example.invalid"),
            *("2025-03-30T14:33:51+00:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"),
            *("2025-03-30T14:33:51", "charging", "finished", "available", "active", "faulted", "suspendedEV"),
        ]
    ),
    st.sampled_from(["9", "x", "\u00e6\U0001f50c"]).map(lambda text: text * 100_000),  # 100 000 of it
)
KEYS = st.one_of(
    st.text(max_size=4),
    st.sampled_from(["id", "data", "session", "energy", "power", "status", "evses", "evseId", "broadcast", "url"]),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS)
# The likeliest trouble, a good part of what a mutation puts in.
EDGES = st.sampled_from([HUGE, -HUGE, math.inf, -math.inf, math.nan, 1e308, -0.0, -1, "", "NaN", True, None, [], {}])
JUNK = st.one_of(
    EDGES,
    LEAVES,
    st.recursive(
        LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6
    ),
    st.sampled_from(DEEP),
)

# ---- mutations ----------------------------------------------------------------------------------------------

Key = str | int
Edit = Callable[[Any, Key], None]


def _edited(doc: object, path: list[Key], edit: Edit) -> object:
    """`doc` with `edit` applied to the parent of `path` and the last key; only the way there is copied."""
    top: list[Any] = [doc]
    parent: Any = top
    keys: list[Key] = [0, *path]
    for key in keys[:-1]:
        child = parent[key]
        parent[key] = child = dict(child) if isinstance(child, dict) else list(child)
        parent = child
    edit(parent, keys[-1])
    return top[0]


def _places(doc: object, most: int = 400) -> list[list[Key]]:
    """Every place in a small document (empty for a large one, where a walk finds a place)."""
    places: list[list[Key]] = []
    todo: list[tuple[list[Key], object]] = [([], doc)]
    while todo:
        path, node = todo.pop()
        if len(places) == most:
            return []
        places.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        todo += [([*path, key], value) for key, value in items]
    return places


DEEPER = st.sampled_from([True, True, True, True, True, False])  # Hypothesis favours the first: down to a leaf


def _walk(draw: st.DrawFn, doc: object) -> list[Key]:
    """A place found by going down from the top, a random key at each level."""
    path: list[Key] = []
    node = doc
    while isinstance(node, (dict, list)) and node and draw(DEEPER):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        node = node[key]
    return path


@st.composite
def _change(draw: st.DrawFn, doc: object) -> object:
    places = _places(doc)
    path = draw(st.sampled_from(places)) if places and draw(st.booleans()) else _walk(draw, doc)
    parent: object = doc
    for key in path[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["replace", "replace", "replace", "delete", "repeat", "data", "session"]))
    if how == "delete" and path:
        return _edited(doc, path, lambda p, k: p.pop(k))
    if how == "repeat" and path and isinstance(parent, list):
        return _edited(doc, path, lambda p, k: p.insert(k, p[k]))
    if how in ("data", "session"):
        return _edited(doc, path, lambda p, k: p.__setitem__(k, {how: p[k]}))
    junk = draw(JUNK)
    return _edited(doc, path, lambda p, k: p.__setitem__(k, junk))


@st.composite
def mutated(draw: st.DrawFn, doc: object) -> object:
    """`doc` after one to four changes (the original is never touched)."""
    for _ in range(draw(st.integers(1, 4))):
        doc = draw(_change(doc))
    return doc


# A mutated version of any captured answer.
ANY_CAPTURED = st.sampled_from(sorted(CAPTURED)).flatmap(lambda name: mutated(CAPTURED[name]))
UNITS = st.sampled_from([Units(), Units("kW", "kWh"), Units("W", "kWh")])

# ---- what comes out must be a model ------------------------------------------------------------------------


def conforms(value: object, hint: Any) -> bool:
    """`value` is of its annotated type, all the way down, and every float in it finite."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in typing.get_args(hint))
    if origin in (tuple, list):
        return isinstance(value, origin) and all(conforms(item, typing.get_args(hint)[0]) for item in value)
    if hint is float:
        return type(value) is float and math.isfinite(value)
    if hint is datetime:
        return isinstance(value, datetime) and value.utcoffset() is not None
    if is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return type(value) is hint and all(conforms(getattr(value, f.name), hints[f.name]) for f in fields(hint))
    return type(value) is hint


def fine_oddities(oddities: list[Oddity]) -> bool:
    return all(type(o.kind) is str and type(o.example) is str and len(o.example) <= 80 for o in oddities)
