"""Credentials that keep working: the token's end shown and said ahead, renewal with rotating refresh tokens,
and a token replaced in secrets.yaml taken up without a restart."""

import json
import stat

from harness.stack import CP1, SLUG1, SLUG2, sensor, stack
from simulator import CLIENT_ID, CLIENT_SECRET

DAY = 86400.0
EXPIRING = "ampeco_ev_charger_token_expiring"
PROBLEM = f"binary_sensor.evse_{SLUG1}_problem"


def refresh_args(grant) -> dict:
    return {
        "auth_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def every_token(s) -> list:
    return [r.token for r in s.requests() if r.token]


async def test_the_tokens_end_is_shown_and_said_once_14_days_ahead(tmp_path):
    async with stack(tmp_path) as s:
        account = next(iter(s.model.accounts))
        grant = s.model.auth.issue(account, 14 * DAY + 3600, refresh=False)  # a Drivee-like token: no refresh
        await s.start(auth_token=grant.access_token)
        expiry = sensor(SLUG1, "token_expiry")
        assert (
            s.fake.state(expiry).startswith("2025-12-08T") and s.fake.attributes(expiry)["device_class"] == "timestamp"
        )
        assert s.fake.state(PROBLEM) == "off" and s.fake.fired(EXPIRING) == []

        await s.fake.advance(2 * 3600)
        (event,) = s.fake.fired(EXPIRING)
        assert event["chargepoint_ids"] == [CP1, "QNG0C18010"] and event["days_left"] == 14
        assert event["expires_at"] == s.fake.state(expiry)
        assert s.fake.state(PROBLEM) == "on"
        assert "the AMPECO token ends in 14 day(s); put a new token" in s.fake.attributes(PROBLEM)["reason"]
        assert s.fake.attributes(sensor(SLUG1, "max_current"))["stale"] is False  # nothing stale about it yet
        await s.fake.advance(3600)
        assert len(s.fake.fired(EXPIRING)) == 1
        assert len([line for line in s.fake.lines("WARNING") if "token ends" in line]) == 1


async def test_a_refresh_grant_renews_ahead_keeps_the_new_pair_and_never_reuses_a_refresh_token(tmp_path):
    async with stack(tmp_path) as s:
        s.simulator.settings.token_lifetime = 2 * 3600.0
        first = s.model.auth.issue(next(iter(s.model.accounts)), 2 * 3600.0)
        await s.start(**refresh_args(first))
        await s.fake.advance(3600 + 600)  # half its life gone: renewed ahead of its end
        assert s.model.auth.renewals == 1
        assert every_token(s)[-1] != first.access_token
        saved = s.state_file.read_text()
        assert stat.S_IMODE(s.state_file.stat().st_mode) == 0o600  # the owner's alone: it holds the refresh token
        assert first.refresh_token not in saved and first.access_token not in saved  # never what the user gave

        await s.restart(**refresh_args(first))  # AppDaemon gives the same (used) pair again
        await s.fake.advance(5400)
        assert s.model.auth.renewals == 2  # renewed again from the kept pair...
        assert s.model.auth.reused == []  # ...and never with a refresh token already used
        assert s.fake.state(PROBLEM) == "off" and s.fake.fired(EXPIRING) == []
        logged = json.dumps([s.fake.logs, s.fake.events, s.fake.states])
        assert "def50200" not in logged and first.access_token not in logged


async def test_a_rejected_token_is_renewed_once_and_the_request_made_again(tmp_path):
    async with stack(tmp_path) as s:
        first = s.model.auth.issue(next(iter(s.model.accounts)), 30 * DAY)
        await s.start(**refresh_args(first))
        s.model.auth.revoke(first.access_token)  # e.g. logged out everywhere
        await s.fake.advance(300)
        assert s.model.auth.renewals == 1
        assert s.fake.state(PROBLEM) == "off" and list(s.fake.lines("ERROR")) == []
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"


async def test_a_refused_refresh_is_tried_once_and_shown(tmp_path):
    async with stack(tmp_path) as s:
        first = s.model.auth.issue(next(iter(s.model.accounts)), 30 * DAY)
        s.model.auth.renew(first.refresh_token, CLIENT_ID, CLIENT_SECRET, DAY)  # used up elsewhere
        before = len(s.model.auth.reused)
        await s.start(**refresh_args(first))
        s.model.auth.revoke(first.access_token)
        await s.fake.advance(3 * 3600)
        assert len(s.model.auth.reused) == before + 1  # one try, then never again
        for slug in (SLUG1, SLUG2):
            reason = s.fake.attributes(f"binary_sensor.evse_{slug}_problem")["reason"]
            assert "the refresh token was refused (HTTP 400: The refresh token is invalid.)" in reason
            assert "capture a new token and refresh token" in reason
        assert len([line for line in s.fake.lines("ERROR") if "renewing the AMPECO token failed" in line]) == 1


async def test_a_token_replaced_in_secrets_yaml_is_taken_up_within_a_minute(tmp_path):
    async with stack(tmp_path) as s:
        account = next(iter(s.model.accounts))
        old, new = s.model.auth.issue(account, 30 * DAY, refresh=False), s.model.auth.issue(account, 365 * DAY)
        secrets = tmp_path / "secrets.yaml"  # AppDaemon's, beside its configuration
        secrets.write_text(f"ha_token: abc\nampeco_token: {old.access_token}\n")
        await s.start(auth_token=old.access_token)  # what `!secret ampeco_token` gave at start
        s.model.auth.revoke(old.access_token)
        await s.fake.advance(300)
        assert s.fake.state(PROBLEM) == "on"
        reason = s.fake.attributes(PROBLEM)["reason"]
        assert "put a new token in secrets.yaml under `ampeco_token`: the app takes it up within a minute" in reason

        secrets.write_text(f"ha_token: abc\nampeco_token: {new.access_token}\n")  # the documented step
        replaced = s.fake.clock
        while s.fake.state(PROBLEM) == "on" and s.fake.clock - replaced < 120:
            await s.fake.advance(5)
        assert s.fake.clock - replaced <= 60
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"
        assert every_token(s)[-1] == new.access_token
        assert any(
            "a new AMPECO token was found in secrets.yaml (under `ampeco_token`)" in line
            for line in s.fake.lines("INFO")
        )
        assert new.access_token not in json.dumps([s.fake.logs, s.fake.events])
