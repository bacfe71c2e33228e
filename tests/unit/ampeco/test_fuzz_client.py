"""The client as a whole, fed mutated captured answers: each endpoint hands back its models or raises an
`AmpecoError` (and `broadcast` the ValueError it documents), never anything else, and no error shows the token.

The `Transport` is replaced where the client calls it (`send`), by one that returns what the real one would
after reading the body: its JSON, None for an empty success, or the error of its status.
"""

import asyncio
from collections.abc import Callable
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ampeco_ev_charger.ampeco import (
    AmpecoClient,
    AmpecoError,
    Broadcast,
    ChargePoint,
    ChargePoints,
    Evse,
    NotFoundError,
    Oddity,
    PayloadError,
    Reading,
    RunningSessions,
    Session,
)
from tests.unit.fuzzing import (
    ANY_CAPTURED,
    CAPTURED,
    PROFILE,
    SETTINGS,
    TOKEN,
    UNITS,
    conforms,
    fine_oddities,
    fuzz,
    mutated,
)


class Cloud:
    """In place of the `Transport`: each endpoint's answer as `Transport.send` hands it over (its JSON, None
    for an empty success), or the error it raises."""

    host = "https://cloud.example.invalid"

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers

    def held_for(self) -> float:
        return 0.0

    def clock(self) -> float:
        return 0.0

    async def send(self, method: str, path: str, body: object, token: str | None) -> object:
        answer = self.answers[_endpoint(path)]
        if isinstance(answer, AmpecoError):
            raise answer
        return answer


def _endpoint(path: str) -> str:
    base = path.partition("?")[0]
    if base.startswith("app/personal/charge-points/"):
        return "charge point"
    if base.endswith(("/end", "/stop")):
        return "stop"
    known = ("app/personal/charge-points", "app/session/active", "app/session/ongoing", "app/session/start")
    if base in (*known, "app/settings/global", "app/profile", "app/profile/session_history"):
        return base
    return "session"


ITEM = CAPTURED["charge-points-list.json"]["data"][0]
ONGOING = {"data": [entry["session"] for entry in CAPTURED["session-history.json"]["session_history"]]}
NATURAL: dict[str, object] = {
    "app/personal/charge-points": CAPTURED["charge-points-list.json"],
    "charge point": {"data": ITEM},
    "app/session/active": {"session": ITEM["evses"][0]["session"], "carBatteryPercent": 40},
    "app/session/ongoing": ONGOING,
    "app/session/start": CAPTURED["session-start.json"],
    "stop": CAPTURED["session-end.json"],
    "session": CAPTURED["session-details.json"],
    "app/profile/session_history": CAPTURED["session-history.json"],
    "app/settings/global": SETTINGS,
    "app/profile": PROFILE,
}


@st.composite
def _answer(draw: st.DrawFn, endpoint: str) -> object:
    """Mostly the endpoint's own answer mutated, else any captured one, an empty success or a 404."""
    match draw(st.sampled_from(["own", "own", "own", "own", "any", "empty", "404"])):
        case "own":
            return draw(mutated(NATURAL[endpoint]))
        case "any":
            return draw(ANY_CAPTURED)
        case "empty":
            return None
    return NotFoundError("not found", status=404)


async def _every_call(client: AmpecoClient, several: bool) -> list[tuple[str, object]]:
    """Each endpoint's outcome: what it returned, or the error it raised."""
    calls = {
        "charge_points": client.charge_points,
        "charge_point": lambda: client.charge_point("ACE0549935"),
        "running_sessions": lambda: client.running_sessions(several=several),
        "session": lambda: client.session("648418"),
        "session_history": lambda: client.session_history(date(2025, 3, 1), date(2025, 3, 31)),
        "broadcast": client.broadcast,
        "start_session": lambda: client.start_session(Evse("148964", "2317")),
        "stop_session": lambda: client.stop_session("648418"),
    }
    outcomes: list[tuple[str, object]] = []
    for name, call in calls.items():
        try:
            outcomes.append((name, await call()))
        except (AmpecoError, ValueError) as err:
            outcomes.append((name, err))
    return outcomes


RETURNS: dict[str, Callable[[object], bool]] = {
    "charge_points": lambda r: (
        type(r) is ChargePoints
        and all(type(v) is Reading and conforms(v.charge_point, ChargePoint) for v in r.readings.values())
        and all(type(e) is PayloadError for e in r.broken.values())
    ),
    "charge_point": lambda r: type(r) is Reading and conforms(r.charge_point, ChargePoint),
    "running_sessions": lambda r: type(r) is RunningSessions and conforms(r.sessions, list[Session]),
    "session": lambda r: conforms(r, Session | None),
    "session_history": lambda r: conforms(r, list[Session]),
    "broadcast": lambda r: conforms(r, Broadcast | None),
    "start_session": lambda r: conforms(r, Session | None),
    "stop_session": lambda r: conforms(r, Session | None),
}


@fuzz(200)
@given(answers=st.fixed_dictionaries({endpoint: _answer(endpoint) for endpoint in NATURAL}), units=UNITS)
def test_the_client_answers_with_models_or_its_own_errors(answers, units):
    for several in (False, True):
        oddities: list[Oddity] = []
        client = AmpecoClient(Cloud(answers), TOKEN, units=lambda _id: units, on_oddity=oddities.append)  # type: ignore[arg-type]
        for name, outcome in asyncio.run(_every_call(client, several)):
            if isinstance(outcome, ValueError):
                assert name == "broadcast", f"{name} raised {outcome!r}"
            elif isinstance(outcome, AmpecoError):
                assert TOKEN not in str(outcome)
            else:
                assert RETURNS[name](outcome), f"{name} returned {outcome!r}"
        assert fine_oddities(oddities)
