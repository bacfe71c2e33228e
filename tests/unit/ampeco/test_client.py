"""`AmpecoClient` over a fake transport, one test per protocol rule its docstrings state: envelopes, one
charger's bad data, units per charger and per session, what it learns of its tenant, a rejected token, a 429."""

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from ampeco_ev_charger.ampeco import (
    AmpecoClient,
    AuthError,
    ClientCredentials,
    Evse,
    NotFoundError,
    Oddity,
    PayloadError,
    RateLimitError,
    RequestError,
    ServerError,
    Tenant,
    TokenEndpoint,
    Units,
)

from ..runtime.fakes import Answers

CP, EVSE_ID, IDENTIFIER = "ACE0549935", "148964", "2317"
KW = Units(power="kW", energy="kWh")


class Cloud:
    """The transport as the client sees it: each path (without its query) answered as the test says, with JSON,
    an exception to raise, or `Answers`; a path not given is a 404."""

    host = "https://tenant.example"

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any, str | None]] = []  # method, path, body, token
        self.held = 0.0

    def held_for(self) -> float:
        return self.held

    def clock(self) -> float:
        return 0.0

    async def send(self, method: str, path: str, body: Any, token: str | None) -> Any:
        self.sent.append((method, path, body, token))
        answer = self.answers.get(path.split("?", maxsplit=1)[0], NotFoundError("not found", status=404))
        if isinstance(answer, Answers):
            answer = answer.next()
        if isinstance(answer, Exception):
            raise copy.copy(answer)
        return copy.deepcopy(answer)

    def paths(self) -> list[str]:
        return [path for _method, path, _body, _token in self.sent]


def client(cloud: Cloud, **options: Any) -> AmpecoClient:
    return AmpecoClient(cloud, "token-1", **options)


def charge_point(chargepoint_id: str, identifier: str, **session: Any) -> dict[str, Any]:
    running = {"id": f"s-{chargepoint_id}", "evseId": identifier, "status": "active", **session} if session else None
    return {"id": chargepoint_id, "evses": [{"id": f"e-{identifier}", "identifier": identifier, "session": running}]}


LIST = "app/personal/charge-points"
ACTIVE, ONGOING = "app/session/active", "app/session/ongoing"


@pytest.mark.parametrize("envelope", [lambda items: {"data": items}, lambda items: items], ids=["data", "bare"])
async def test_the_list_reads_in_either_envelope(fixture, envelope):
    cloud = Cloud(**{LIST: envelope(fixture("charge-points-list.json")["data"])})
    listing = await client(cloud).charge_points()
    assert list(listing.readings) == [CP] and listing.broken == {}
    assert listing.readings[CP].charge_point.evse().identifier == IDENTIFIER


@pytest.mark.parametrize("envelope", [lambda item: {"data": item}, lambda item: item], ids=["data", "bare"])
async def test_one_charger_by_id_reads_in_either_envelope(fixture, envelope):
    cloud = Cloud(**{f"{LIST}/{CP}": envelope(fixture("charge-points-list.json")["data"][0])})
    assert (await client(cloud).charge_point(CP)).charge_point.id == CP


async def test_an_id_goes_into_the_path_as_one_segment():
    cloud = Cloud()
    with pytest.raises(NotFoundError):
        await client(cloud).charge_point("../session/active")
    assert cloud.paths() == [f"{LIST}/..%2Fsession%2Factive"]


async def test_one_broken_charger_does_not_break_the_list():
    oddities: list[Oddity] = []
    broken = {"id": "B", "data": {"name": "an envelope without its id"}}
    cloud = Cloud(**{LIST: {"data": [charge_point("A", "1"), broken, {"name": "no id at all"}, "not an object"]}})
    listing = await client(cloud, on_oddity=oddities.append).charge_points()
    assert list(listing.readings) == ["A"]
    assert listing.broken["B"].message == "the charge point in the answer has no id"
    assert [o.kind for o in oddities] == ["charge point without an id"]


async def test_a_charger_listed_twice_is_read_as_first_listed_and_said():
    """Silently taking the later copy once showed one charger's session on another and ended the real one."""
    oddities: list[Oddity] = []
    copy_of_b = charge_point("A", "9", id="s-of-b")
    cloud = Cloud(**{LIST: {"data": [charge_point("A", "1"), copy_of_b, charge_point("B", "2")]}})
    listing = await client(cloud, on_oddity=oddities.append).charge_points()
    assert list(listing.readings) == ["A", "B"]
    assert listing.readings["A"].charge_point.evses[0].identifier == "1"
    assert oddities == [Oddity("charge point listed twice", "A: the later one skipped")]


async def test_a_list_longer_than_any_home_has_is_read_up_to_its_first_500():
    oddities: list[Oddity] = []
    cloud = Cloud(**{LIST: {"data": [charge_point(f"C{n}", str(n)) for n in range(600)]}})
    listing = await client(cloud, on_oddity=oddities.append).charge_points()
    assert len(listing.readings) == 500 and "C499" in listing.readings and "C500" not in listing.readings
    assert oddities == [Oddity("more charge points than a home has", "600: the rest skipped")]


async def test_a_list_answer_without_a_list_raises():
    with pytest.raises(PayloadError, match="no list of charge points"):
        await client(Cloud(**{LIST: {"data": {"id": "A"}}})).charge_points()


async def test_each_charger_is_read_in_its_own_units():
    units: dict[str | None, Units] = {"B": KW}
    cloud = Cloud(**{LIST: [charge_point("A", "1", power=7400), charge_point("B", "2", power=7.4)]})
    listing = await client(cloud, units=lambda cp: units.get(cp, Units())).charge_points()
    powers = {cp: r.charge_point.evse().session.power_kw for cp, r in listing.readings.items()}
    assert powers == {"A": 7.4, "B": 7.4}


@pytest.mark.parametrize(
    ("running", "energy_kwh"),
    [
        ({"id": "s1", "evseId": "2", "energy": 12.5}, 12.5),  # by the EVSE's identifier, learnt from the list
        ({"id": "s1", "chargePointId": "B", "energy": 12.5}, 12.5),  # where the tenant names the charge point
        ({"id": "s1", "evseId": "9", "energy": 12500}, 12.5),  # an EVSE the list never showed: the default units
    ],
    ids=["evse-identifier", "charge-point-id", "unknown-evse"],
)
async def test_a_session_is_read_in_the_units_of_the_charger_it_runs_on(running, energy_kwh):
    units: dict[str | None, Units] = {"B": KW}
    cloud = Cloud(**{LIST: [charge_point("A", "1"), charge_point("B", "2")], ACTIVE: {"session": running}})
    ampeco = client(cloud, units=lambda cp: units.get(cp, Units()))
    await ampeco.charge_points()
    (found,) = (await ampeco.running_sessions()).sessions
    assert found.energy_kwh == energy_kwh


FAILS = ServerError("the AMPECO cloud had an error (HTTP 500)", status=500)
GONE = NotFoundError("not found", status=404)
A1 = {"session": {"id": "a1", "evseId": IDENTIFIER, "status": "active"}}
O1 = {"data": [{"id": "o1", "evseId": IDENTIFIER, "status": "active"}]}


@dataclass(frozen=True)
class Lookup:
    """One row: what the tenant taught before, what each endpoint answers; what is found, asked and learnt."""

    learnt: Tenant
    active: Any
    ongoing: Any
    found: list[str]
    sources: tuple[str, ...]
    asked: list[str]
    learns: Tenant | None = None  # None: nothing new
    several: bool = False


LOOKUPS = {
    "active": Lookup(Tenant(), A1, O1, ["a1"], ("active",), [ACTIVE], Tenant(active=True)),
    "several": Lookup(
        Tenant(),
        A1,
        {"data": [A1["session"], *O1["data"]]},
        ["a1", "o1"],
        ("active", "ongoing"),
        [ACTIVE, ONGOING],
        Tenant(active=True, ongoing=True),
        several=True,
    ),
    # active's 404 means "no session" until ongoing shows one: then this tenant has no such endpoint
    "active-missing": Lookup(
        Tenant(), GONE, O1, ["o1"], ("active", "ongoing"), [ACTIVE, ONGOING], Tenant(active=False, ongoing=True)
    ),
    "ongoing-empty": Lookup(
        Tenant(), GONE, {"data": []}, [], ("active", "ongoing"), [ACTIVE, ONGOING], Tenant(ongoing=True)
    ),
    "neither": Lookup(Tenant(), GONE, GONE, [], ("active",), [ACTIVE, ONGOING], Tenant(ongoing=False)),
    "learnt-ongoing": Lookup(Tenant(active=False, ongoing=True), GONE, O1, ["o1"], ("ongoing",), [ONGOING]),
    "learnt-no-ongoing": Lookup(Tenant(ongoing=False), GONE, O1, [], ("active",), [ACTIVE], several=True),
    "active-failing": Lookup(Tenant(), FAILS, O1, ["o1"], ("ongoing",), [ACTIVE, ONGOING], Tenant(ongoing=True)),
}


@pytest.mark.parametrize("row", LOOKUPS.values(), ids=LOOKUPS.keys())
async def test_running_sessions_come_from_the_endpoints_the_tenant_has(row):
    tenant = copy.copy(row.learnt)
    cloud = Cloud(**{ACTIVE: row.active, ONGOING: row.ongoing})
    running = await client(cloud, tenant=tenant).running_sessions(several=row.several)
    assert [s.id for s in running.sessions] == row.found and running.sources == row.sources
    assert running.complete == ("ongoing" not in row.sources)  # ongoing leaves out the sessions of full cars
    assert cloud.paths() == row.asked
    assert tenant == (row.learns or row.learnt)


async def test_running_sessions_raise_only_when_no_endpoint_could_tell():
    cloud = Cloud(**{ACTIVE: FAILS, ONGOING: RateLimitError("rate limited by the AMPECO cloud", retry_after=30.0)})
    with pytest.raises(RateLimitError) as raised:
        await client(cloud).running_sessions()
    assert raised.value.message == (
        "app/session/active: the AMPECO cloud had an error (HTTP 500); "
        "app/session/ongoing: rate limited by the AMPECO cloud"
    )
    assert raised.value.retry_after == 30.0  # the last error's kind and wait, both endpoints' words


STOPPED = {"session": {"id": "s1", "status": "finished"}}
NOT_ALLOWED = RequestError("The POST method is not supported for this route.", status=405)


@pytest.mark.parametrize(
    ("learnt", "end", "stop", "paths", "learns"),
    [
        (None, STOPPED, STOPPED, ["end"], "end"),
        (None, GONE, STOPPED, ["end", "stop"], "stop"),
        (None, NOT_ALLOWED, STOPPED, ["end", "stop"], "stop"),
        ("stop", STOPPED, STOPPED, ["stop"], "stop"),
    ],
    ids=["end", "end-404", "end-405", "learnt-stop"],
)
async def test_a_session_ends_at_end_or_stop_and_the_one_that_worked_is_learnt(learnt, end, stop, paths, learns):
    tenant = Tenant(stop_path=learnt)
    cloud = Cloud(**{"app/session/s1/end": end, "app/session/s1/stop": stop})
    stopped = await client(cloud, tenant=tenant).stop_session("s1")
    assert stopped is not None and stopped.status == "finished"
    assert cloud.paths() == [f"app/session/s1/{path}" for path in paths]
    assert tenant.stop_path == learns


@pytest.mark.parametrize(("learnt", "paths"), [(None, ["end", "stop"]), ("end", ["end"])], ids=["unknown", "learnt"])
async def test_a_session_no_stop_path_knows_had_already_ended(learnt, paths):
    tenant = Tenant(stop_path=learnt)
    cloud = Cloud()
    with pytest.raises(NotFoundError, match="the session had already ended"):
        await client(cloud, tenant=tenant).stop_session("s1")
    assert cloud.paths() == [f"app/session/s1/{path}" for path in paths]
    assert tenant.stop_path == learnt


async def test_a_stop_the_cloud_rejects_for_another_reason_is_not_tried_elsewhere():
    cloud = Cloud(**{"app/session/s1/end": RequestError("The session is not yours.", status=403)})
    with pytest.raises(RequestError):
        await client(cloud).stop_session("s1")
    assert cloud.paths() == ["app/session/s1/end"]


class Tokens:
    """An Authorizer that has `renewed` to give once the first token is rejected (None: no way to renew)."""

    def __init__(self, renewed: str | None) -> None:
        self.access_token = "t1"
        self.renewed = renewed
        self.asked: list[str] = []

    async def renew(self, rejected: str, /) -> bool:
        self.asked.append(rejected)
        if self.renewed is None:
            return False
        self.access_token = self.renewed
        return True


REJECTED = AuthError("the AMPECO token was rejected (HTTP 401)", status=401)


@pytest.mark.parametrize(
    ("renewed", "answers", "tokens", "works"),
    [
        ("t2", Answers(REJECTED, []), ["t1", "t2"], True),
        ("t2", Answers(REJECTED, REJECTED), ["t1", "t2"], False),  # renewed once, never twice
        (None, Answers(REJECTED, []), ["t1"], False),  # nothing to renew with: the first rejection stands
    ],
    ids=["renewed", "rejected-again", "cannot-renew"],
)
async def test_a_rejected_token_is_renewed_once_and_the_request_sent_again(renewed, answers, tokens, works):
    auth = Tokens(renewed)
    cloud = Cloud(**{LIST: answers})
    ampeco = AmpecoClient(cloud, auth)
    if works:
        assert (await ampeco.charge_points()).readings == {}
    else:
        with pytest.raises(AuthError):
            await ampeco.charge_points()
    assert [token for *_request, token in cloud.sent] == tokens and auth.asked == ["t1"]


async def test_while_a_429_holds_polls_back_commands_are_still_sent_and_reads_refused():
    cloud = Cloud(**{"app/session/start": None, "app/session/s1/end": None, f"{LIST}/{CP}": None})
    cloud.held = 42.0
    ampeco = client(cloud)
    with pytest.raises(RateLimitError, match="for another 42 s") as raised:
        await ampeco.charge_points()
    assert raised.value.retry_after == 42.0 and cloud.sent == []

    await ampeco.start_session(Evse(id=EVSE_ID, identifier=IDENTIFIER))
    await ampeco.stop_session("s1")
    await ampeco.set_max_current(CP, 16)
    assert [(method, path) for method, path, *_ in cloud.sent] == [
        ("POST", "app/session/start"),
        ("POST", "app/session/s1/end"),
        ("PATCH", f"{LIST}/{CP}"),
    ]
    assert cloud.sent[-1][2] == {"max_current_a": 16}


@pytest.mark.parametrize(
    ("key", "max_current", "body"),
    [
        (None, None, {"evseId": EVSE_ID}),
        ("identifier", None, {"evseId": IDENTIFIER}),
        (None, 16, {"evseId": EVSE_ID, "maxCurrent": 16}),
    ],
    ids=["by-id", "by-identifier", "with-current"],
)
async def test_a_start_names_the_evse_by_its_key_and_sends_max_current_only_when_given(key, max_current, body):
    cloud = Cloud(**{"app/session/start": None})
    await client(cloud).start_session(Evse(id=EVSE_ID, identifier=IDENTIFIER), key, max_current)
    assert cloud.sent == [("POST", "app/session/start", body, "token-1")]


async def test_a_start_by_a_key_the_evse_lacks_sends_nothing():
    cloud = Cloud()
    with pytest.raises(RequestError, match="has no identifier to start it by"):
        await client(cloud, tenant=Tenant("identifier")).start_session(Evse(id=EVSE_ID))
    assert cloud.sent == []


@pytest.mark.parametrize(
    ("answer", "session_id"),
    [(None, None), ({"session": None}, None), ("fixture", "648418")],
    ids=["202-empty", "session-null", "session"],
)
async def test_a_start_answers_its_session_or_nothing(fixture, answer, session_id):
    given = fixture("session-start.json") if answer == "fixture" else answer
    started = await client(Cloud(**{"app/session/start": given})).start_session(Evse(id=EVSE_ID))
    assert (started.id if started else None) == session_id
    if started is not None:
        assert started.evse_identifier == IDENTIFIER  # where it runs, for the caller to check


async def test_a_sessions_own_answer_carries_its_power_curve(fixture):
    cloud = Cloud(**{"app/session/648418": fixture("session-details.json")})
    details = await client(cloud).session("648418")
    assert details is not None and details.power_history
    assert cloud.paths() == ["app/session/648418?withPowerHistory=1"]


@pytest.mark.parametrize(
    ("expires_in", "expires_at"),
    [
        (3600, 3600.0),
        ("3600", 3600.0),  # as text, as a lax server sends it
        (1e308, 10 * 365 * 86400.0),  # no longer than ten years
        (0, None),
        (-1, None),
        (10, None),  # a few seconds would renew the token on every round
        (float("nan"), None),
        (float("-inf"), None),
        (-1e308, None),
        (True, None),
        (None, None),
    ],
)
async def test_an_opaque_tokens_end_comes_from_expires_in_only_when_it_can_be_true(expires_in, expires_at):
    answer = {"access_token": "opaque", "refresh_token": "r2", "expires_in": expires_in}
    grant = await TokenEndpoint(Cloud(**{"app/oauth/token": answer})).grant("r1", ClientCredentials("app", "secret"))
    assert (grant.access_token, grant.refresh_token, grant.expires_at) == ("opaque", "r2", expires_at)
    assert grant.issued_at == (None if expires_at is None else 0.0)  # the fake transport's clock
