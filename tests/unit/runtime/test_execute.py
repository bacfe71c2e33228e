"""`Executor`: a command on one charger, each rule of its docstring with a fake client, account, poller and
landing check. A start lands on our EVSE or nowhere; a stop says why it cannot look; every failure has a code."""

from dataclasses import dataclass, field

import pytest

from ampeco_ev_charger.ampeco import (
    AuthError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RefusedError,
    RequestError,
    ServerError,
    TransportError,
)
from ampeco_ev_charger.runtime.charger import Charger
from ampeco_ev_charger.runtime.commands import (
    Outcome,
    Reason,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateData,
    reason_of,
)
from ampeco_ev_charger.runtime.errors import InternalError
from ampeco_ev_charger.runtime.execute import Executor, check_current
from ampeco_ev_charger.runtime.landing import Landing

from .fakes import (
    IDENTIFIER,
    NOW,
    FakeAccount,
    FakeClient,
    FakeLanding,
    FakePoller,
    charger,
    checked,
    evse,
    read,
    session,
    shows,
)

CP = "CP1"
STRANGERS = "148964"  # a stranger's printed number: our EVSE's id


@dataclass
class Rig:
    """An executor and the fakes it was made with (as `build.build_account` makes it)."""

    charger: Charger
    client: FakeClient = field(default_factory=FakeClient)
    landing: FakeLanding = field(default_factory=FakeLanding)
    poller: FakePoller = field(default_factory=FakePoller)
    lessons: int = 0  # times the memory file was asked to keep what the tenant taught

    def __post_init__(self) -> None:
        self.account = FakeAccount([self.charger], self.client)

        async def learnt() -> None:
            self.lessons += 1

        self.executor = Executor(self.client, self.account, self.poller, self.landing, fresh_within=30.0, learnt=learnt)

    async def run(self, command: object) -> Outcome:
        return checked(await self.executor.run(command, self.charger))


def plugged(**config: object) -> Charger:
    """A charger read just now: a car at the socket, no session."""
    return read(charger(CP, **config), evse("preparing"))


def charging(session_status: str = "active") -> Charger:
    return read(charger(CP), evse("charging", session("s1", status=session_status, power_kw=7.0)))


async def test_a_start_that_lands_on_our_evse_succeeds_and_watches_for_its_power():
    rig = Rig(plugged())
    started = session("s9", status="starting")
    rig.client.answers["start_session"] = started
    rig.landing.landings = [Landing(started, ours=True)]

    outcome = await rig.run(StartCharging(CP))

    assert outcome == Outcome(True, session_id="s9", poll=True)
    assert rig.charger.session_id == "s9"  # known before the next poll shows it
    assert [c for c, _ in rig.poller.confirming] == [rig.charger]
    assert rig.client.tenant.evse_key == "id" and rig.lessons == 0


async def test_a_start_is_watched_until_readings_a_second_apart_show_its_power_no_longer_rising():
    rig = Rig(plugged())
    rig.landing.landings = [Landing(session("s9", status="starting"), ours=True)]
    await rig.run(StartCharging(CP))
    ((_, done),) = rig.poller.confirming

    def reads(power_kw: float, after: float) -> bool:
        read(rig.charger, evse("charging", session("s9", power_kw=power_kw)), at=NOW + after)
        return done()

    assert not reads(4.4, 2.0)
    assert not reads(6.6, 3.0)
    assert not reads(6.7, 3.1)  # a live update's read right behind the poll's, halfway up the ramp
    assert not done()  # asked again, with no new reading
    assert not reads(8.8, 4.0)
    assert not reads(11.0, 5.0)
    assert reads(11.0, 6.0)


async def test_a_start_that_lands_elsewhere_is_stopped_the_other_key_learnt_and_the_start_made_again():
    rig = Rig(plugged())
    stray, ours = session("s8", evse_identifier=STRANGERS), session("s9")
    rig.landing.landings = [Landing(stray), Landing(ours, ours=True)]

    outcome = await rig.run(StartCharging(CP))

    assert outcome.success and outcome.session_id == "s9"
    assert (
        outcome.note == f"the start by EVSE id landed on EVSE {STRANGERS}, which is not {CP}'s and was stopped at once"
    )
    assert rig.client.asked("stop_session") == [("s8",)]
    assert [key for _evse, key, _amps in rig.client.asked("start_session")] == ["id", "identifier"]
    assert rig.client.tenant.evse_key == "identifier" and rig.lessons == 1  # kept in the memory file
    assert rig.account.said.lines("WARNING", f"landed on EVSE {STRANGERS}")


async def test_a_stray_that_cannot_be_stopped_is_left_to_the_landing_check_and_no_second_start_is_made():
    rig = Rig(plugged(), FakeClient(stop_session=ServerError("HTTP 500")))
    rig.landing.landings = [Landing(session("s8", evse_identifier=STRANGERS))]

    outcome = await rig.run(StartCharging(CP))

    assert outcome.reason is Reason.NOT_LANDED and "stopping it failed (HTTP 500)" in outcome.error
    assert "the app tries again after each poll (or stop session s8 in the vendor's app)" in outcome.error
    assert rig.landing.strays == {"s8": f"EVSE {STRANGERS}, which is not {CP}'s"}
    assert len(rig.client.asked("start_session")) == 1
    assert rig.client.tenant.evse_key == "identifier"  # learnt all the same


async def test_a_stray_that_ended_by_itself_counts_as_stopped():
    rig = Rig(plugged(), FakeClient(stop_session=NotFoundError("gone", status=404)))
    rig.landing.landings = [Landing(session("s8", evse_identifier=STRANGERS)), Landing(session("s9"), ours=True)]
    outcome = await rig.run(StartCharging(CP))
    assert outcome.success and "was stopped at once" in outcome.note


@pytest.mark.parametrize(
    ("held", "reason", "says"),
    [
        (0.0, Reason.NOT_LANDED, f"no session showed up on EVSE {IDENTIFIER} within 30 s"),
        (60.0, Reason.RATE_LIMITED, "holds reads back for 60 s"),
    ],
    ids=["not-seen", "reads-held-back"],
)
async def test_a_start_no_session_shows_up_for_is_no_success(held, reason, says):
    rig = Rig(plugged())
    rig.client.held = held
    rig.landing.landings = [Landing(None)]
    outcome = await rig.run(StartCharging(CP))
    assert outcome.reason is reason and says in outcome.error and outcome.poll


async def test_a_start_rejected_by_both_keys_says_the_clouds_reason():
    rig = Rig(plugged(), FakeClient(start_session=RequestError("The selected evse id is invalid.", status=422)))
    outcome = await rig.run(StartCharging(CP))
    assert outcome.reason is Reason.REJECTED and outcome.error == "start failed: The selected evse id is invalid."
    assert [key for _evse, key, _amps in rig.client.asked("start_session")] == ["id", "identifier"]


@pytest.mark.parametrize(("status", "reason"), [("preparing", Reason.REFUSED), ("available", Reason.NOT_PLUGGED)])
async def test_a_refused_start_says_whether_a_car_is_plugged_in(status, reason):
    rig = Rig(read(charger(CP), evse(status)), FakeClient(start_session=RefusedError("car not ready", status=406)))
    outcome = await rig.run(StartCharging(CP))
    assert outcome.reason is reason and outcome.error == "the charger refused to start: car not ready"
    assert len(rig.client.asked("start_session")) == 1  # a refusal is the charger's, not the key's


async def test_a_start_while_a_session_runs_is_refused_without_a_call():
    rig = Rig(charging())
    outcome = await rig.run(StartCharging(CP))
    assert outcome.reason is Reason.ALREADY_CHARGING and outcome.session_id == "s1"
    assert rig.client.calls == []


async def test_a_start_with_a_current_sets_the_limit_first_and_one_outside_the_cap_starts_nothing():
    rig = Rig(plugged(max_current=10), FakeClient(start_session=session("s9")))
    refused = await rig.run(StartCharging(CP, max_current=16))
    assert refused.reason is Reason.OUT_OF_RANGE
    assert refused.error == (
        "max_current 16 A is above the 10 A configured for this charger (max_current); charging was not started"
    )
    assert rig.client.calls == []

    assert (await rig.run(StartCharging(CP, max_current=8))).success
    assert [call[0] for call in rig.client.calls] == ["set_max_current", "start_session"]
    assert rig.client.asked("start_session")[0][2] == 8 and rig.charger.current_limit == 8


@pytest.mark.parametrize(
    ("amps", "allowed", "cap", "says"),
    [
        (16, (6.0, 16.0), None, None),
        (16, (None, None), None, None),  # the range unknown: the cloud decides
        (5, (6.0, 16.0), None, "below this charger's minimum of 6 A"),
        (20, (6.0, 16.0), None, "above this charger's maximum of 16 A"),
        (12, (6.0, 16.0), 10, "above the 10 A configured for this charger (max_current)"),
        (10, (6.0, 16.0), 10, None),
        (20, (6.0, 32.0), 16, "above the 16 A configured"),  # the cap is stricter than the charger
    ],
)
def test_check_current_holds_a_limit_against_the_chargers_range_and_the_configured_cap(amps, allowed, cap, says):
    refused = check_current(amps, allowed, cap)
    if says is None:
        assert refused is None
    else:
        assert refused is not None and refused.reason is Reason.OUT_OF_RANGE and says in refused.error


async def test_a_stop_after_a_fresh_reading_without_a_session_has_nothing_to_stop():
    rig = Rig(plugged())
    outcome = await rig.run(StopCharging(CP))
    assert outcome.reason is Reason.NOTHING_TO_STOP and rig.account.refreshes == 0 and rig.client.calls == []


@pytest.mark.parametrize(
    "error",
    [
        TransportError("no answer"),
        AuthError("token rejected", status=401),
        RateLimitError("slow down"),
        ServerError("500"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("why", ["never-read", "reading-old", "reads-failing"])
async def test_a_stop_that_cannot_look_says_why_never_nothing_to_stop(error, why):
    target = charger(CP) if why == "never-read" else read(charger(CP), evse("preparing"), at=NOW - 3600)
    rig = Rig(target)
    if why == "reads-failing":
        target.last_success = NOW
        rig.account.error = ServerError("failed before")
    rig.account.reads = lambda: error

    outcome = await rig.run(StopCharging(CP))

    assert outcome.reason is reason_of(error) and outcome.reason is not Reason.NOTHING_TO_STOP
    assert outcome.error == f"cannot tell whether a session runs on {CP}: {error.message}"
    assert rig.account.refreshes == 1


async def test_a_stop_where_the_running_session_cannot_be_looked_up_says_so_never_nothing_to_stop():
    """A tenant whose list carries no session, while its session lookup fails: the EVSE charges, its session is
    unknown (not none), and the look the stop makes first cannot tell either."""
    unknown = evse("charging", session_reported=False)
    rig = Rig(read(charger(CP), unknown))
    rig.account.reads = shows(rig.charger, unknown)
    outcome = await rig.run(StopCharging(CP))
    assert outcome.reason is Reason.UNAVAILABLE and rig.account.refreshes == 1
    assert outcome.error == f"cannot tell whether a session runs on {CP}: its running session cannot be looked up now"

    rig.account.reads = shows(rig.charger, evse("charging", session("s1")))  # the lookup works again
    assert await rig.run(StopCharging(CP)) == Outcome(True, session_id="s1", poll=True)


async def test_a_stop_where_no_session_needs_looking_up_has_nothing_to_stop():
    rig = Rig(read(charger(CP), evse("available", session_reported=False)))
    assert (await rig.run(StopCharging(CP))).reason is Reason.NOTHING_TO_STOP


async def test_a_stop_after_a_restart_looks_first_and_stops_what_it_finds():
    rig = Rig(charger(CP))
    rig.account.reads = shows(rig.charger, evse("charging", session("s1")))
    outcome = await rig.run(StopCharging(CP))
    assert outcome == Outcome(True, session_id="s1", poll=True)
    assert rig.client.asked("stop_session") == [("s1",)]
    ((waiting, done),) = rig.poller.confirming
    assert waiting is rig.charger and not done()  # until a poll shows the session gone


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, Outcome(True, session_id="s1", poll=True)),
        (NotFoundError("the session had already ended", status=404), Outcome(True, session_id="s1", poll=True)),
        (
            ServerError("the AMPECO cloud had an error (HTTP 500)"),
            Outcome.failed(
                Reason.CLOUD_ERROR, "stop failed: the AMPECO cloud had an error (HTTP 500)", session_id="s1", poll=True
            ),
        ),
    ],
    ids=["stopped", "already-ended", "cloud-failed"],
)
async def test_a_stop_of_a_running_session(answer, expected):
    rig = Rig(charging(), FakeClient(stop_session=answer))
    assert await rig.run(StopCharging(CP)) == expected


async def test_a_session_already_stopping_is_not_stopped_again():
    rig = Rig(charging(session_status="stopping"))
    assert await rig.run(StopCharging(CP)) == Outcome(True, session_id="s1")
    assert rig.client.calls == []


async def test_a_limit_the_charger_already_has_is_not_sent_again_and_one_the_cloud_refuses_says_so():
    rig = Rig(plugged())
    assert (await rig.run(SetMaxCurrent(CP, 16))).success and rig.client.calls == []

    rig.client.answers["set_max_current"] = RequestError("The max current a must be at least 8.", status=422)
    outcome = await rig.run(SetMaxCurrent(CP, 7))
    assert outcome.reason is Reason.REJECTED and outcome.poll
    assert outcome.error == "could not set the current limit to 7 A: The max current a must be at least 8."


async def test_a_command_on_a_charger_never_read_reads_it_first_and_says_why_it_cannot():
    rig = Rig(charger(CP, evse_id="999"))
    rig.account.reads = shows(rig.charger)  # its EVSE is not on the charge point
    outcome = await rig.run(SetMaxCurrent(CP, 10))
    assert outcome.reason is Reason.UNAVAILABLE
    assert outcome.error.startswith(f"cannot read charger {CP}: EVSE 999 is not on charge point {CP}")


ERRORS = [
    AuthError("rejected", status=401),
    RateLimitError("slow down", retry_after=60.0),
    TransportError("no answer"),
    ServerError("HTTP 502", status=502),
    PayloadError("not JSON"),
    RefusedError("refused", status=406),
    RequestError("rejected", status=422),
    NotFoundError("not found", status=404),
]
COMMANDS = [
    StartCharging(CP),
    StartCharging(CP, max_current=10),
    StopCharging(CP),
    SetMaxCurrent(CP, 10),
    UpdateData(CP),
]


@pytest.mark.parametrize("error", [*ERRORS, InternalError("internal error: bug")], ids=lambda e: type(e).__name__)
async def test_every_failed_outcome_carries_a_reason(error):
    """Whatever fails where (the reading, the limit, the start, the stop), the answer has a code."""
    for state in ("never-read", "plugged", "charging"):
        for command in COMMANDS:
            target = {"never-read": lambda: charger(CP), "plugged": plugged, "charging": charging}[state]()
            rig = Rig(target)
            rig.account.reads = lambda error=error: error
            if not isinstance(error, InternalError):
                for name in ("start_session", "stop_session", "set_max_current"):
                    rig.client.answers[name] = error
            outcome = await rig.run(command)  # `checked`: a failure has its reason and sentence
            assert outcome.success or isinstance(outcome.reason, Reason), (state, command)
