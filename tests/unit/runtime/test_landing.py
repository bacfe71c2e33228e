"""`LandingCheck`: a start's session is ours only once the cloud shows it on our EVSE; a start that showed up
nowhere is watched for a while; what a start left elsewhere is stopped after each round until it is gone.
On a virtual clock, over a fake account."""

from ampeco_ev_charger.ampeco import NotFoundError, RunningSessions, ServerError
from ampeco_ev_charger.runtime.landing import LANDING_WITHIN, WATCH_LATE_LANDING, Landing, LandingCheck

from .fakes import IDENTIFIER, NOW, FakeAccount, FakeClient, VirtualClock, charger, evse, read, session, shows

STRANGERS = "148964"  # a stranger's printed number, which is our EVSE's id


class Rig:
    def __init__(self, *running: object) -> None:
        self.clock = VirtualClock()
        self.charger = read(charger("CP1"), evse("preparing"), at=self.clock.now())
        self.account = FakeAccount([self.charger], FakeClient(), running=RunningSessions(list(running)))
        self.landing = LandingCheck(self.account, self.clock)

    async def find(self, told: object = None, before: frozenset[str] = frozenset()) -> Landing:
        assert self.charger.evse is not None
        return await self.landing.find(self.charger, self.charger.evse, told, set(before))

    def lines(self, level: str, containing: str) -> list[str]:
        return self.account.said.lines(level, containing)


async def test_a_session_the_start_names_on_our_evse_is_ours_without_looking():
    rig = Rig()
    told = session("s9")
    assert await rig.find(told) == Landing(told, ours=True)
    assert rig.account.refreshes == 0


async def test_a_session_the_start_names_on_another_evse_is_not_ours_even_by_our_evses_id():
    rig = Rig()
    told = session("s9", evse_identifier=STRANGERS)  # our EVSE's id, as the stranger's printed number
    assert await rig.find(told) == Landing(told, ours=False)


async def test_a_session_the_start_places_by_our_charge_point_is_ours():
    rig = Rig()
    told = session("s9", evse_identifier=None, charge_point_id="CP1")
    assert (await rig.find(told)).ours


async def test_an_answer_that_does_not_say_where_is_placed_by_the_next_reading():
    rig = Rig()
    rig.account.reads = shows(rig.charger, evse("charging", session("s9")))
    landing = await rig.find(session("s9", evse_identifier=None))
    assert landing.ours and landing.session is not None and landing.session.id == "s9"
    assert rig.account.refreshes == 1


async def test_a_new_session_elsewhere_on_the_account_is_the_starts_and_not_ours():
    stray = session("s8", evse_identifier=STRANGERS)
    rig = Rig(stray)
    assert await rig.find() == Landing(stray, ours=False)


async def test_sessions_from_before_the_start_are_not_the_starts():
    old = session("s7", evse_identifier=STRANGERS, at=NOW - 3600)  # began an hour earlier
    known = session("s6", evse_identifier=STRANGERS)
    rig = Rig(old, known)
    assert await rig.find(before=frozenset({"s6"})) == Landing(None)


async def test_a_start_that_shows_up_nowhere_is_given_up_on_within_30_seconds():
    rig = Rig()
    assert await rig.find() == Landing(None)
    assert sum(rig.clock.slept) <= LANDING_WITHIN and rig.clock.slept[:4] == [1.0, 1.0, 2.0, 2.0]
    assert rig.account.refreshes == len(rig.clock.slept) + 1  # a look after every pause


async def test_a_start_that_lands_late_elsewhere_is_stopped_after_a_round():
    rig = Rig()
    await rig.find()
    await rig.clock.advance(100)
    rig.account.running = RunningSessions([session("s8", evse_identifier=STRANGERS, at=rig.clock.now() - 90)])
    await rig.landing.tidy()
    assert rig.account.client.asked("stop_session") == [("s8",)]
    assert rig.lines("WARNING", f"session s8 on EVSE {STRANGERS}, after a start of CP1, left by a start of ours")


async def test_a_start_that_lands_late_on_our_evse_is_left_running_and_watched_no_more():
    rig = Rig()
    await rig.find()
    rig.account.running = RunningSessions([session("s9", evse_identifier=IDENTIFIER)])
    await rig.landing.tidy()
    rig.account.running = RunningSessions([session("s8", evse_identifier=STRANGERS)])
    await rig.landing.tidy()
    assert rig.account.client.asked("stop_session") == []


async def test_late_landing_is_watched_for_ten_minutes_only():
    rig = Rig()
    await rig.find()
    await rig.clock.advance(WATCH_LATE_LANDING)
    rig.account.running = RunningSessions([session("s8", evse_identifier=STRANGERS)])
    await rig.landing.tidy()
    assert rig.account.client.asked("stop_session") == []


async def test_a_stray_is_stopped_after_each_round_until_it_is_gone_and_said_once_meanwhile():
    rig = Rig()
    rig.account.client.answers["stop_session"] = ServerError("the AMPECO cloud had an error (HTTP 500)")
    stray = session("s8", evse_identifier=STRANGERS)
    rig.landing.stray(stray, f"EVSE {STRANGERS}, which is not CP1's")
    await rig.landing.tidy()
    await rig.landing.tidy()
    assert rig.landing.strays == {"s8": f"EVSE {STRANGERS}, which is not CP1's"}
    assert len(rig.lines("ERROR", "cannot stop session s8 on EVSE 148964, which is not CP1's yet")) == 1

    rig.account.client.answers["stop_session"] = None
    await rig.landing.tidy()
    assert rig.landing.strays == {} and len(rig.account.client.asked("stop_session")) == 3
    assert rig.lines("WARNING", "session s8 on EVSE 148964, which is not CP1's, left by a start of ours, was stopped")


async def test_a_stray_that_has_ended_by_itself_is_tried_no_more():
    rig = Rig()
    rig.account.client.answers["stop_session"] = NotFoundError("the session had already ended", status=404)
    rig.landing.stray(session("s8", evse_identifier=STRANGERS), "EVSE 148964")
    await rig.landing.tidy()
    await rig.landing.tidy()
    assert rig.landing.strays == {} and len(rig.account.client.asked("stop_session")) == 1


async def test_what_runs_before_a_start_is_every_session_known_to_the_account():
    rig = Rig(session("s8", evse_identifier=STRANGERS))
    read(rig.charger, evse("charging", session("s1")))
    assert await rig.landing.running() == {"s1", "s8"}
    rig.account.running = None  # no endpoint could tell: what the chargers show is all there is
    assert await rig.landing.running() == {"s1"}
