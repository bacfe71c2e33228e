import pytest

from ampeco_ev_charger.errors import AuthError, PayloadError, RateLimitError, ServerError, TransportError
from ampeco_ev_charger.models import Evse, Session
from ampeco_ev_charger.polling import PollPolicy, may_be_charging

POLICY = PollPolicy()


def test_idle_charging_and_confirming_cadence():
    assert POLICY.delay(active=False) == 300
    assert POLICY.delay(active=True) == 30
    assert POLICY.delay(active=False, confirming=True) == 2


def test_intervals_come_from_the_configuration():
    policy = PollPolicy(charging_interval=45, idle_interval=600)
    assert (policy.delay(active=True), policy.delay(active=False)) == (45, 600)


@pytest.mark.parametrize("error", [ServerError("x"), TransportError("x"), PayloadError("x")])
def test_errors_back_off_from_the_normal_interval_doubling_to_a_cap(error):
    charging = [POLICY.delay(active=True, failures=n, error=error) for n in range(1, 9)]
    assert charging == [30, 60, 120, 240, 480, 960, 1800, 1800]
    idle = [POLICY.delay(active=False, failures=n, error=error) for n in range(1, 5)]
    assert idle == [300, 600, 1200, 1800]
    assert POLICY.delay(active=True, failures=10_000, error=error) == 1800


def test_jitter_only_shortens_and_by_at_most_a_fifth():
    delays = [POLICY.delay(active=True, failures=3, error=ServerError("x"), rand=r / 10) for r in range(10)]
    assert all(96 <= d <= 120 for d in delays)
    assert len(set(delays)) == 10


def test_a_rejected_token_is_asked_about_rarely():
    assert POLICY.delay(active=True, failures=1, error=AuthError("x")) == 1800
    assert POLICY.delay(active=False, failures=50, error=AuthError("x")) == 1800


def test_rate_limit_waits_at_least_what_the_server_asked():
    assert POLICY.delay(active=True, failures=1, error=RateLimitError("x", retry_after=120)) == 120
    assert POLICY.delay(active=True, failures=3, error=RateLimitError("x", retry_after=5)) == 120
    assert POLICY.delay(active=True, failures=1, error=RateLimitError("x")) == 30


def test_back_to_normal_after_the_first_success():
    assert POLICY.delay(active=True, failures=0, error=None) == 30


@pytest.mark.parametrize(
    "status", ["charging", "preparing", "suspended", "suspendedEV", "suspendedEVSE", "finishing", "occupied", "Hibernating"]
)
def test_statuses_that_may_have_a_session_poll_fast(status):
    """Unknown statuses too: a faster poll costs less than a session never seen."""
    assert may_be_charging(Evse(id="1", status=status))


@pytest.mark.parametrize("status", ["available", "faulted", "unavailable", "reserved", None])
def test_other_statuses_poll_slowly(status):
    assert not may_be_charging(Evse(id="1", status=status))
    assert not may_be_charging(None)


def test_an_open_session_polls_fast_whatever_the_status():
    assert may_be_charging(Evse(id="1", status="available", session=Session(id="9", status="active")))
    assert not may_be_charging(Evse(id="1", status="available", session=Session(id="9", status="finished")))
