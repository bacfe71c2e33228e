"""`Account`: one round at a time however many ask; failures counted and said once per episode; discovered
chargers come and go; a charger missing from the list is asked for by id; impossible values are said once.
A real account over a fake client that answers in models."""

import asyncio

from ampeco_ev_charger.ampeco import (
    AuthError,
    ChargePoints,
    NotFoundError,
    PayloadError,
    RunningSessions,
    ServerError,
)
from ampeco_ev_charger.runtime.account import GONE_AFTER, MOST_DISCOVERED, Account, Round
from ampeco_ev_charger.runtime.errors import InternalError

from .fakes import Answers, FakeClient, Said, VirtualClock, charger, credentials, evse, reading, session


class Rig:
    """An account of the chargers `ids` (none: they are discovered), and every round it reported."""

    def __init__(self, *ids: str, client: FakeClient | None = None) -> None:
        self.said, self.clock = Said(), VirtualClock()
        self.client = client or FakeClient(charge_points=listing(*ids))
        self.rounds: list[Round] = []
        self.account = Account(
            self.client,
            [charger(i) for i in ids],
            credentials=credentials(self.said, self.clock.now),
            logbook=self.said.logbook,
            clock=self.clock.now,
            discover=None if ids else charger,
        )

        async def heard(_account: Account, found: Round) -> None:
            self.rounds.append(found)

        self.account.after_round(heard)

    async def rounds_of(self, count: int) -> None:
        for _ in range(count):
            await self.account.refresh()
            await self.clock.advance(300)


def listing(*ids: str, broken: tuple[str, ...] = (), **fields: object) -> ChargePoints:
    return ChargePoints(
        {i: reading(i, **fields) for i in ids},
        {i: PayloadError("the charge point in the answer has no id") for i in broken},
    )


async def test_one_round_serves_everyone_who_asks_while_it_runs():
    gate = asyncio.Event()

    async def slow_listing() -> ChargePoints:
        await gate.wait()
        return listing("CP1")

    rig = Rig("CP1", client=FakeClient(charge_points=slow_listing))
    asking = [asyncio.ensure_future(rig.account.refresh()) for _ in range(3)]  # the timer, a command, a push event
    await asyncio.sleep(0)
    asking[0].cancel()  # one who asked gives up: the round goes on for the others
    gate.set()
    assert await asyncio.gather(*asking[1:]) == [None, None]
    assert len(rig.client.asked("charge_points")) == 1 and len(rig.rounds) == 1

    await rig.account.refresh()  # the round is over: the next ask starts another
    assert len(rig.client.asked("charge_points")) == 2


async def test_a_failing_round_is_counted_said_once_and_its_end_said_too():
    rig = Rig("CP1")
    await rig.rounds_of(1)
    rig.client.answers["charge_points"] = ServerError("the AMPECO cloud had an error (HTTP 502)")
    await rig.rounds_of(3)
    assert rig.account.failures == 3 and isinstance(rig.account.error, ServerError)
    (warning,) = rig.said.lines("WARNING")
    assert warning == (
        "CP1: cannot read the AMPECO cloud (the AMPECO cloud had an error (HTTP 502)); keeping the last reading and "
        "retrying with back-off"
    )
    assert len(rig.rounds) == 4  # failed rounds are rounds too: the poller and the sensors follow them

    rig.client.answers["charge_points"] = listing("CP1")
    await rig.rounds_of(1)
    assert (rig.account.failures, rig.account.error) == (0, None)
    assert rig.said.lines("INFO", "AMPECO cloud answers again for CP1 after 3 failed poll(s)")
    assert len(rig.client.asked("session_history")) == 1  # what happened meanwhile is read once

    rig.client.answers["charge_points"] = ServerError("HTTP 503")
    await rig.rounds_of(1)
    assert len(rig.said.lines("WARNING", "cannot read the AMPECO cloud")) == 2  # a new episode


async def test_a_rejected_token_is_said_once_with_what_to_do():
    rig = Rig("CP1", client=FakeClient(charge_points=AuthError("the AMPECO token was rejected (HTTP 401)", status=401)))
    await rig.rounds_of(3)
    (line,) = rig.said.lines("ERROR")
    assert line.startswith(
        "CP1: the AMPECO token was rejected (HTTP 401); put a new token as `auth_token` in apps.yaml"
    )
    assert rig.account.problem is not None and "put a new token" in rig.account.problem


async def test_a_bug_costs_one_round_never_the_polling():
    rig = Rig("CP1", client=FakeClient(charge_points=Answers(TypeError("'NoneType' is not iterable"), listing("CP1"))))
    assert isinstance(await rig.account.refresh(), InternalError)
    assert rig.said.lines("ERROR", "internal error: TypeError: 'NoneType' is not iterable")
    assert await rig.account.refresh() is None and rig.account.chargers[0].last_success is not None


async def test_discovered_chargers_join_and_leave_with_the_account():
    rig = Rig(client=FakeClient(charge_points=Answers(listing("CP2", broken=("CP1",)), listing("CP2"))))
    await rig.rounds_of(1)
    assert [c.id for c in rig.rounds[0].added] == ["CP1", "CP2"]  # one with an unusable answer is still on it
    assert [c.id for c in rig.account.chargers] == ["CP1", "CP2"]
    assert rig.said.lines("INFO", "found charger CP1 on the account; watching it")

    await rig.rounds_of(GONE_AFTER - 1)
    assert [c.id for c in rig.account.chargers] == ["CP1", "CP2"]  # missing from a list or two: a glitch
    await rig.rounds_of(1)
    assert [c.id for c in rig.rounds[-1].removed] == ["CP1"] and rig.rounds[-1].added == []
    assert [c.id for c in rig.account.chargers] == ["CP2"]
    assert rig.said.lines("INFO", "CP1 is no longer on the account; it is no longer watched")


async def test_an_empty_list_for_a_round_takes_no_charger_away():
    """One `{"data": []}` once took every charger away (and stopped the polling: no charger, no cadence)."""
    rig = Rig(client=FakeClient(charge_points=Answers(listing("CP1"), listing(), listing("CP1"))))
    await rig.rounds_of(4)
    assert [c.id for c in rig.account.chargers] == ["CP1"]
    assert [[c.id for c in r.added] for r in rig.rounds] == [["CP1"], [], [], []]
    assert all(r.removed == [] for r in rig.rounds)


async def test_at_most_50_chargers_are_discovered_and_never_two_with_the_same_entities():
    ids = ["cp-1", "CP-1", "CP_1", *(f"X{n:03d}" for n in range(60))]
    rig = Rig(client=FakeClient(charge_points=listing(*ids)))
    await rig.rounds_of(2)
    watched = [c.id for c in rig.account.chargers]
    assert len(watched) == MOST_DISCOVERED and watched[0] == "CP-1"  # the first in id order of the three
    assert not {"cp-1", "CP_1"} & set(watched)
    [warning] = rig.said.lines("WARNING")
    assert warning.startswith("some charge points on the account are not watched (13: [") and len(warning) < 400


async def test_configured_chargers_never_leave_and_missing_ones_are_asked_for_by_id():
    rig = Rig("CP1", "CP2", client=FakeClient(charge_points=listing("CP2"), charge_point=reading("CP1")))
    await rig.rounds_of(1)
    assert rig.client.asked("charge_point") == [("CP1",)]
    assert all(c.last_success is not None for c in rig.account.chargers)


async def test_a_charger_the_account_does_not_have_says_check_the_id_once():
    client = FakeClient(charge_points=listing("CP2"), charge_point=NotFoundError("not found", status=404))
    rig = Rig("CP1", "CP2", client=client)
    await rig.rounds_of(2)
    cp1, cp2 = rig.account.chargers
    problem = "charge point CP1 was not found on this account (HTTP 404); check chargepoint_id"
    assert cp1.problem == problem and rig.said.lines("ERROR") == [f"CP1: {problem}"]
    assert cp2.problem is None and rig.account.error is None  # the others are read as usual

    client.answers["charge_points"] = listing("CP1", "CP2")
    await rig.rounds_of(1)
    assert cp1.problem is None and rig.said.lines("INFO", "CP1: found on the account again")


async def test_a_charger_whose_answer_is_unusable_is_not_asked_for_again():
    rig = Rig("CP1", "CP2", client=FakeClient(charge_points=listing("CP2", broken=("CP1",))))
    await rig.rounds_of(1)
    assert rig.account.chargers[0].problem == (
        "unusable answer for charge point CP1: the charge point in the answer has no id"
    )
    assert rig.client.asked("charge_point") == []


async def test_an_impossible_value_is_dropped_and_said_once_per_episode():
    def power(kw: float) -> ChargePoints:
        return ChargePoints({"CP1": reading("CP1", evse("charging", session(power_kw=kw), max_power_kw=11.0))}, {})

    rig = Rig("CP1", client=FakeClient(charge_points=Answers(power(7400.0), power(7400.0), power(7.4), power(7400.0))))
    await rig.rounds_of(2)
    (said,) = rig.said.lines("WARNING")
    assert said.startswith("CP1: a reading that cannot be true was dropped (session.power_kw: 7400 kW is more than")
    assert "check `units` for this charger" in said  # 1000 times too large: most likely W taken for kW
    assert rig.account.chargers[0].session is not None and rig.account.chargers[0].session.power_kw is None

    await rig.rounds_of(2)  # a good value ends the episode; the next impossible one is said again
    assert len(rig.said.lines("WARNING", "cannot be true")) == 2


async def test_rounds_that_read_nothing_new_are_counted_quiet():
    rig = Rig("CP1")
    await rig.rounds_of(3)
    assert rig.account.quiet_rounds == 2
    rig.client.answers["charge_points"] = ChargePoints({"CP1": reading("CP1", evse("preparing"))}, {})
    await rig.rounds_of(1)
    assert rig.account.quiet_rounds == 0


async def test_a_failing_session_lookup_is_said_once_and_costs_only_itself():
    unembedded = ChargePoints({"CP1": reading("CP1", evse("charging", session_reported=False))}, {})
    client = FakeClient(charge_points=unembedded, running_sessions=ServerError("app/session/active: HTTP 500"))
    rig = Rig("CP1", client=client)
    await rig.rounds_of(2)
    assert rig.account.error is None and rig.account.chargers[0].evse.status == "charging"
    assert len(rig.said.lines("WARNING", "cannot look up the running session (app/session/active: HTTP 500)")) == 1

    client.answers["running_sessions"] = RunningSessions([session()], ("active",))
    await rig.rounds_of(1)
    assert rig.account.chargers[0].session_id == "s1"
    assert rig.said.lines("INFO", "the running session can be looked up again (app/session/active)")
