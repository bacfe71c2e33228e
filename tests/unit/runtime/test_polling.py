import pytest

from ampeco_ev_charger.ampeco.errors import AuthError, PayloadError, RateLimitError, ServerError, TransportError
from ampeco_ev_charger.ampeco.models import Evse, Session
from ampeco_ev_charger.runtime.polling import Activity, PollPolicy, activity

POLICY = PollPolicy()
CHARGING, POSSIBLE, IDLE = Activity.CHARGING, Activity.POSSIBLE, Activity.IDLE


def test_idle_charging_and_confirming_cadence():
    assert POLICY.delay(activity=IDLE) == 300
    assert POLICY.delay(activity=CHARGING) == 30
    assert POLICY.delay(activity=IDLE, confirming=0) == 1  # a command waits to show: every second at first
    assert POLICY.delay(activity=IDLE, confirming=9.9) == 1
    assert POLICY.delay(activity=IDLE, confirming=10) == 5


def test_a_possible_session_starts_fast_and_stretches_back_to_idle_while_nothing_changes():
    delays = [POLICY.delay(activity=POSSIBLE, quiet_rounds=n) for n in range(7)]
    assert delays == [30, 60, 120, 240, 300, 300, 300]
    assert POLICY.delay(activity=CHARGING, quiet_rounds=50) == 30  # power flows: always watched closely


def test_intervals_come_from_the_configuration():
    policy = PollPolicy(charging_interval=45, idle_interval=600)
    assert (policy.delay(activity=CHARGING), policy.delay(activity=IDLE)) == (45, 600)
    assert policy.delay(activity=POSSIBLE, quiet_rounds=3) == 360


@pytest.mark.parametrize("error", [ServerError("x"), TransportError("x"), PayloadError("x")])
def test_errors_back_off_from_the_normal_interval_doubling_to_a_cap(error):
    charging = [POLICY.delay(activity=CHARGING, failures=n, error=error) for n in range(1, 9)]
    assert charging == [30, 60, 120, 240, 480, 960, 1800, 1800]
    idle = [POLICY.delay(activity=IDLE, failures=n, error=error) for n in range(1, 5)]
    assert idle == [300, 600, 1200, 1800]
    assert POLICY.delay(activity=CHARGING, failures=10_000, error=error) == 1800


def test_jitter_only_shortens_and_by_at_most_a_fifth():
    delays = [POLICY.delay(activity=CHARGING, failures=3, error=ServerError("x"), rand=r / 10) for r in range(10)]
    assert all(96 <= d <= 120 for d in delays)
    assert len(set(delays)) == 10


def test_a_rejected_token_is_asked_about_after_1_then_5_then_every_30_minutes():
    delays = [POLICY.delay(activity=CHARGING, failures=n, error=AuthError("x")) for n in (1, 2, 3, 4, 50)]
    assert delays == [60, 300, 1800, 1800, 1800]


def test_rate_limit_waits_at_least_what_the_server_asked():
    assert POLICY.delay(activity=CHARGING, failures=1, error=RateLimitError("x", retry_after=120)) == 120
    assert POLICY.delay(activity=CHARGING, failures=3, error=RateLimitError("x", retry_after=5)) == 120
    assert POLICY.delay(activity=CHARGING, failures=1, error=RateLimitError("x")) == 30


def test_back_to_normal_after_the_first_success():
    assert POLICY.delay(activity=CHARGING, failures=0, error=None) == 30


def session(status="active", power=None):
    return Session(id="9", status=status, power_kw=power)


@pytest.mark.parametrize(
    ("evse", "known", "expected"),
    [
        (Evse(id="1", status="charging"), False, CHARGING),
        (Evse(id="1", status="suspendedEV", session=session(power=3.4)), False, CHARGING),
        (Evse(id="1", status="suspendedEV", session=session(power=0)), False, POSSIBLE),  # a full car
        (Evse(id="1", status="available", session=session()), False, POSSIBLE),
        (Evse(id="1", status="available", session=session(status="finished")), False, IDLE),
        (Evse(id="1", status="available"), True, POSSIBLE),  # remembered through a glitchy answer
        (None, True, POSSIBLE),
        (None, False, IDLE),
    ],
)
def test_activity_of_an_evse(evse, known, expected):
    assert activity(evse, known) is expected


@pytest.mark.parametrize(
    "status", ["preparing", "suspended", "suspendedEV", "suspendedEVSE", "finishing", "occupied", "Hibernating"]
)
def test_statuses_around_a_session_and_unknown_ones_are_watched(status):
    """Unknown statuses too: a closer look costs less than a session never seen."""
    assert activity(Evse(id="1", status=status)) is POSSIBLE


@pytest.mark.parametrize("status", ["available", "faulted", "unavailable", "reserved", None])
def test_other_statuses_are_idle(status):
    assert activity(Evse(id="1", status=status)) is IDLE
