"""`Hub`: every command answered exactly once, whatever happens to it; after each round the chargers are shown,
what happened told, round listeners followed and the memory kept. With fake accounts, pollers and executors."""

import asyncio
from collections.abc import Awaitable, Callable

from ampeco_ev_charger.ampeco import ServerError
from ampeco_ev_charger.runtime.account import Round
from ampeco_ev_charger.runtime.charger import Charger
from ampeco_ev_charger.runtime.commands import (
    Command,
    CommandRefused,
    CommandResult,
    Outcome,
    Reason,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateAll,
)
from ampeco_ev_charger.runtime.hub import AccountParts, Hub
from ampeco_ev_charger.runtime.lifecycle import SessionStarted, SessionSummary

from .fakes import (
    FakeAccount,
    FakeBook,
    FakeLanding,
    FakeMemory,
    FakePoller,
    FakePublisher,
    Said,
    VirtualClock,
    charger,
)

Run = Callable[[Command, Charger], Awaitable[Outcome]]


class FakeExecutor:
    """Carries out each command as the test says (`does`), and records what it was given."""

    def __init__(self, does: Run | None = None) -> None:
        self.ran: list[Command] = []
        self.does = does

    async def run(self, command: Command, target: Charger) -> Outcome:
        self.ran.append(command)
        return Outcome(True) if self.does is None else await self.does(command, target)


class Rig:
    """A hub over one account per list of charger ids."""

    def __init__(self, *accounts: list[str]) -> None:
        self.said = Said()
        self.publisher, self.memory, self.clock = FakePublisher(), FakeMemory(), VirtualClock()
        self.book = FakeBook()
        self.hub = Hub(
            self.publisher,
            memory=self.memory,
            book=self.book,
            scheduler=self.clock,
            logbook=self.said.logbook,
            unavailable_after=900,
        )
        self.parts = [
            AccountParts(
                FakeAccount([charger(i) for i in ids], said=self.said), FakePoller(), FakeLanding(), FakeExecutor()
            )
            for ids in accounts or (["CP1"],)
        ]
        for parts in self.parts:
            self.hub.add(parts)

    @property
    def account(self) -> FakeAccount:
        return self.parts[0].account

    @property
    def executor(self) -> FakeExecutor:
        return self.parts[0].executor

    def answered(self) -> list[tuple[str | None, str, bool, Reason | None]]:
        return [(r.chargepoint_id, r.command, r.success, r.reason) for r in self.publisher.answers]


async def test_a_command_is_carried_out_answered_once_and_read_again_when_it_changed_something():
    rig = Rig()
    rig.executor.does = lambda _command, _charger: _done(Outcome(True, session_id="s1", poll=True))
    outcome = await rig.hub.run(StartCharging("CP1"), "smart charging")
    assert outcome.success
    assert rig.publisher.answers == [
        CommandResult("CP1", "start_charging", True, session_id="s1", origin="smart charging")
    ]
    assert rig.account.refreshes == 1  # at once, so the sensors follow
    assert rig.said.lines("INFO", "CP1: start_charging (smart charging) done")


async def test_a_command_for_a_charger_no_longer_watched_is_refused_once():
    rig = Rig()
    outcome = await rig.hub.run(StopCharging("CP9"))
    assert outcome.reason is Reason.UNKNOWN_CHARGER and rig.executor.ran == []
    assert rig.answered() == [("CP9", "stop_charging", False, Reason.UNKNOWN_CHARGER)]


async def test_a_current_limit_superseded_before_it_ran_is_answered_so_and_only_the_newest_is_set():
    rig = Rig()
    release = asyncio.Event()

    async def does(command: Command, _charger: Charger) -> Outcome:
        if isinstance(command, StartCharging):
            await release.wait()  # the charger is busy: the limits queue behind it
        return Outcome(True)

    rig.executor.does = does
    start = asyncio.ensure_future(rig.hub.run(StartCharging("CP1")))
    await asyncio.sleep(0)
    older = asyncio.ensure_future(rig.hub.run(SetMaxCurrent("CP1", 10)))
    newer = asyncio.ensure_future(rig.hub.run(SetMaxCurrent("CP1", 16)))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(start, older, newer)

    assert older.result().reason is Reason.SUPERSEDED and newer.result().success
    assert rig.executor.ran == [StartCharging("CP1"), SetMaxCurrent("CP1", 16)]
    assert sorted(rig.answered(), key=str) == sorted(
        [
            ("CP1", "start_charging", True, None),
            ("CP1", "set_max_current", False, Reason.SUPERSEDED),
            ("CP1", "set_max_current", True, None),
        ],
        key=str,
    )
    assert not rig.said.lines("WARNING")  # superseded is no failure worth a warning


async def test_a_bug_in_the_executor_is_answered_internal_once():
    rig = Rig()

    async def does(_command: Command, _charger: Charger) -> Outcome:
        raise KeyError("evse")

    rig.executor.does = does
    outcome = await rig.hub.run(StopCharging("CP1"))
    assert outcome.reason is Reason.INTERNAL and outcome.error.startswith("internal error: KeyError: 'evse' at ")
    assert rig.answered() == [("CP1", "stop_charging", False, Reason.INTERNAL)]
    assert rig.said.lines("WARNING", "stop_charging failed: internal error")


async def test_a_stopping_hub_runs_nothing_and_answers_busy():
    rig = Rig()
    await rig.hub.halt()
    outcome = await rig.hub.run(StartCharging("CP1"))
    assert outcome.reason is Reason.BUSY and rig.executor.ran == []
    refused = await rig.hub.refuse(CommandRefused("set_max_current", "CP1", "half an amp", Reason.INVALID_VALUE))
    assert refused.reason is Reason.INVALID_VALUE
    assert rig.publisher.answers == []  # Home Assistant is going away: nothing is written to it
    assert rig.account.stopped and not rig.parts[0].poller.running


async def test_update_data_without_a_charger_reads_every_account_once_and_answers_once():
    rig = Rig(["CP1"], ["CP2", "CP3"])
    rig.parts[1].account.reads = lambda: ServerError("the AMPECO cloud had an error (HTTP 502)")
    outcome = await rig.hub.run(UpdateAll())
    assert [parts.account.refreshes for parts in rig.parts] == [1, 1]
    assert outcome.reason is Reason.CLOUD_ERROR and outcome.error == "the AMPECO cloud had an error (HTTP 502)"
    assert rig.answered() == [(None, "update_data", False, Reason.CLOUD_ERROR)]


async def test_after_each_round_the_chargers_are_shown_and_their_listeners_called():
    rig = Rig(["CP1", "CP2"])
    heard: list[str] = []
    rig.hub.after_each_round("CP2", lambda: heard.append("CP2"))
    await rig.account.refresh()
    await rig.account.refresh()
    assert heard == ["CP2", "CP2"]
    assert [view.chargepoint_id for view in rig.publisher.shown] == ["CP1", "CP2", "CP1", "CP2"]
    assert rig.parts[0].poller.rounds == 2  # the next poll is set from each round
    assert rig.parts[0].landing.tidied == 2  # what a start left elsewhere is stopped after each round

    await rig.hub.halt()
    await rig.account.round(Round())
    assert heard == ["CP2", "CP2"]  # no listener once the app stops


async def test_the_memory_is_saved_at_once_after_a_round_that_changed_something():
    rig = Rig(["CP1"])
    await rig.account.refresh()
    session = SessionSummary("s1")
    cp1 = rig.account.chargers[0]
    await rig.account.round(Round(found=[(cp1, [SessionStarted(session)])]))
    assert rig.memory.saves == [False, True]  # a quiet round saves only when due
    assert rig.publisher.announced == [("CP1", SessionStarted(session))]
    assert rig.said.lines("INFO", "CP1: session s1 started")


async def test_a_charger_that_joins_the_account_is_settled_into_the_lineup():
    rig = Rig(["CP1"])
    joined = charger("CP2")
    rig.account.chargers.append(joined)
    await rig.account.round(Round(added=[joined]))
    assert rig.publisher.lineups == [["CP1", "CP2"]]
    assert rig.memory.saves == [True]


async def test_a_failing_home_assistant_is_said_once_and_the_round_still_followed():
    rig = Rig()
    heard: list[int] = []
    rig.hub.after_each_round("CP1", lambda: heard.append(1))
    rig.publisher.broken = True
    await rig.account.refresh()
    await rig.account.refresh()
    assert len(rig.said.lines("ERROR", "cannot update Home Assistant: ConnectionError")) == 1
    assert heard == [1, 1] and rig.memory.saves == [False, False]


async def test_what_a_start_left_elsewhere_is_tidied_only_after_a_round_that_read_the_account():
    rig = Rig()
    rig.account.reads = lambda: ServerError("HTTP 500")
    await rig.account.refresh()
    assert rig.parts[0].landing.tidied == 0


async def _done(outcome: Outcome) -> Outcome:
    return outcome


async def test_a_bug_in_the_session_log_is_said_once_and_the_chargers_are_still_shown():
    rig = Rig(["CP1"])
    rig.book.broken = True
    await rig.account.refresh()
    await rig.account.refresh()
    assert len(rig.said.lines("ERROR", "internal error in the session log: OverflowError")) == 1
    assert [view.chargepoint_id for view in rig.publisher.shown] == ["CP1", "CP1"]
