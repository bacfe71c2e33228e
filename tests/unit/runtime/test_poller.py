"""`Poller`: after every round of its account the next poll is set from what that round saw; a command's effect
is watched every second or few; live updates relax the idle cadence; a reading turns unavailable on time.
On a virtual clock, over a fake account of real chargers."""

import pytest

from ampeco_ev_charger.ampeco import AuthError, RateLimitError, ServerError
from ampeco_ev_charger.runtime.poller import CONFIRM_WITHIN, Poller
from ampeco_ev_charger.runtime.polling import PollPolicy

from .fakes import FakeAccount, VirtualClock, charger, evse, read, session

UNAVAILABLE_AFTER = 900.0


class Rig:
    def __init__(self, *evses: object) -> None:
        self.clock = VirtualClock()
        self.charger = read(charger("CP1"), *evses, at=self.clock.now())
        self.account = FakeAccount([self.charger], clock=self.clock.now)
        self.expired: list[float] = []  # when the hub was asked to show the chargers again

        async def on_expiry(_account: object) -> None:
            self.expired.append(self.clock.now())

        self.poller = Poller(
            self.account,
            PollPolicy(),
            self.clock,
            unavailable_after=UNAVAILABLE_AFTER,
            on_expiry=on_expiry,
            rand=lambda: 0.0,
        )
        self.account.after_round(lambda _account, _found: self.poller.after_round())

    async def round(self) -> float:
        """A round of the account (whoever asked); returns the delay to the next poll."""
        await self.account.refresh()
        return self.poller.delay


async def test_the_first_poll_is_at_once_and_each_round_sets_the_next():
    rig = Rig()
    await rig.poller.start()
    await rig.clock.advance(0)
    assert rig.account.refreshes == 1 and rig.clock.pending == [300]
    await rig.clock.advance(300)
    assert rig.account.refreshes == 2 and rig.clock.pending == [300]


@pytest.mark.parametrize(
    ("status", "power_kw", "delay"),
    [("available", None, 300), ("charging", 7.4, 30), ("preparing", None, 30)],
    ids=["idle", "charging", "car-plugged-in"],
)
async def test_the_cadence_follows_what_the_round_saw(status, power_kw, delay):
    running = session(power_kw=power_kw) if power_kw else None
    rig = Rig(evse(status, running))
    assert await rig.round() == delay
    assert rig.poller.cadence == delay


async def test_a_car_left_plugged_in_stretches_back_to_the_idle_cadence_while_nothing_changes():
    rig = Rig(evse("preparing"))
    delays = []
    for quiet in range(6):
        rig.account.quiet_rounds = quiet
        delays.append(await rig.round())
    assert delays == [30, 60, 120, 240, 300, 300]


@pytest.mark.parametrize(
    ("error", "delays"),
    [
        (ServerError("HTTP 500"), [300, 600, 1200, 1800, 1800]),
        (AuthError("rejected", status=401), [60, 300, 1800, 1800, 1800]),
        (RateLimitError("slow down", retry_after=1200.0), [1200, 1200, 1200, 1800, 1800]),  # never before its wait
    ],
    ids=["failing", "token-rejected", "rate-limited"],
)
async def test_a_failing_account_backs_off_and_recovers_at_once(error, delays):
    rig = Rig()
    rig.account.reads = lambda: error
    assert [await rig.round() for _ in delays] == delays
    rig.account.reads = lambda: None
    assert await rig.round() == 300


async def test_a_commands_effect_is_watched_every_second_then_every_five_until_it_shows():
    rig = Rig()
    shown = False
    rig.poller.confirm(rig.charger, lambda: shown)
    assert await rig.round() == 1
    assert rig.poller.cadence == 300  # the cadence shown does not flicker to 1 s
    await rig.clock.advance(10)
    assert await rig.round() == 5
    shown = True
    assert await rig.round() == 300


async def test_a_commands_effect_that_never_shows_is_watched_for_a_minute_only():
    rig = Rig()
    rig.poller.confirm(rig.charger, lambda: False)
    await rig.clock.advance(CONFIRM_WITHIN)
    assert await rig.round() == 300 and not rig.poller.confirming(rig.charger)


async def test_a_newer_command_replaces_what_an_older_one_waited_for():
    rig = Rig()
    rig.poller.confirm(rig.charger, lambda: False)  # a start whose effect a stop will undo
    rig.poller.confirm(rig.charger, lambda: True)  # the stop: shown already
    assert await rig.round() == 300


async def test_live_updates_relax_the_idle_cadence_and_bring_it_back_the_moment_they_stop():
    rig = Rig()
    await rig.poller.relax(True)
    assert await rig.round() == 1800 and rig.clock.pending == [1800]
    await rig.clock.advance(100)
    await rig.poller.relax(False)
    assert rig.clock.pending == [300]  # brought forward from 1700 s away
    await rig.clock.advance(250)
    await rig.poller.relax(False)
    assert rig.clock.pending == [50]  # a poll already nearer stays


async def test_live_updates_never_relax_the_charging_cadence():
    rig = Rig(evse("charging", session(power_kw=7.4)))
    await rig.poller.relax(True)
    assert await rig.round() == 30


async def test_while_the_cloud_fails_a_reading_turns_unavailable_at_the_moment_its_grace_ends():
    rig = Rig()
    await rig.clock.advance(800)  # read 800 s ago; the grace ends in 100 s, the next poll is further
    rig.account.reads = lambda: ServerError("HTTP 500")
    assert await rig.round() == 300
    assert rig.clock.pending == [100, 300]
    await rig.clock.advance(100)
    assert rig.expired == [rig.charger.last_success + UNAVAILABLE_AFTER]
    assert rig.clock.pending == [200]  # said once: the next is the poll


async def test_without_a_failure_no_reading_expires():
    rig = Rig()
    await rig.clock.advance(800)
    await rig.round()
    assert rig.clock.pending == [300]


async def test_a_stopped_poller_sets_no_more_polls():
    rig = Rig()
    await rig.poller.start()
    await rig.poller.stop()
    await rig.round()
    await rig.poller.relax(False)
    assert rig.clock.pending == []
