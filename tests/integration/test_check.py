"""The connection check a new user runs before writing apps.yaml, against the simulator."""

import pytest

from ampeco_ev_charger.connection import check
from simulator import Fault, Simulator, demo_model, running

TOKEN = "check-token-55aa"


@pytest.fixture
def simulator() -> Simulator:
    simulator = Simulator(demo_model(TOKEN))
    simulator.model.start(simulator.model.chargers["ACE0549935"])
    return simulator


async def test_all_is_well_lists_the_account_and_what_to_configure(simulator):
    async with running(simulator) as url:
        code, lines = await check(url, TOKEN)
    text = "\n".join(lines)
    assert code == 0
    assert f"OK: the token works on {url}; the account has 2 home charger(s)." in text
    assert 'Charge point ACE0549935 "NT2 nr. 264": status available, limit 16 A (allowed 6-16 A)' in text
    assert "EVSE id 148964 (printed 2317): preparing, 11 kW, Type 2 (cable)" in text
    assert "session 648419: starting" in text and "no session running" in text
    assert f"  api_host: {url}" in text and "    - chargepoint_id: QNG0C18010" in text
    assert "The token carries no end date (it is not a JWT)." in text
    assert TOKEN not in text


async def test_a_jwt_says_when_it_ends(simulator):
    grant = simulator.model.auth.issue(TOKEN, 40 * 86400.0)
    async with running(simulator) as url:
        code, lines = await check(url, grant.access_token)
    assert code == 0 and any(line.endswith("(40 days from now).") and "The token ends on" in line for line in lines)


async def test_a_named_charger_that_is_not_on_the_account(simulator):
    async with running(simulator) as url:
        code, lines = await check(url, TOKEN, chargepoint="NOPE")
    assert (
        code == 5 and lines[-1] == "Problem: charge point NOPE is not on this account (it has: ACE0549935, QNG0C18010)."
    )


@pytest.mark.parametrize(
    ("token", "host", "fault", "code", "message"),
    [
        ("wrong", None, None, 3, "rejected the token (HTTP 401)"),
        (TOKEN, "http://127.0.0.1:9", None, 4, "cannot connect to 127.0.0.1:9"),
        (TOKEN, "http://example.com", None, 2, "--host must use https://"),
        ("", None, None, 2, "no token"),
        (TOKEN, None, Fault("malformed"), 6, "not JSON"),
        (TOKEN, None, Fault("rate_limit", retry_after=60), 6, "rate limited by the AMPECO cloud for 60 s"),
    ],
)
async def test_what_is_wrong_in_plain_words(simulator, token, host, fault, code, message):
    if fault:
        simulator.faults.add(fault)
    async with running(simulator) as url:
        result, lines = await check(host or url, token)
    assert result == code and len(lines) == 1 and message in lines[0] and lines[0].startswith("Problem:")
