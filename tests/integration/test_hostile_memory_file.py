"""Issue 19, the memory file: one that cannot be read is never replaced and never risks a used refresh token,
a wrong value in it costs only that value, a save that fails is shown and made again, and the temporary
files a kill left behind (they hold tokens) are removed."""

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.stack import CP1, SLUG1, Stack, sensor, stack
from simulator import CLIENT_ID, CLIENT_SECRET

PROBLEM = f"binary_sensor.evse_{SLUG1}_problem"
STARTED = "ampeco_ev_charger_session_started"
HOUR = 3600.0


def refresh_args(grant) -> dict[str, Any]:
    return {
        "auth_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def short_lived(s: Stack):
    """A token of two hours with its refresh token, as Elaway-like tenants hand out."""
    s.simulator.settings.token_lifetime = 2 * HOUR
    return s.model.auth.issue(next(iter(s.model.accounts)), 2 * HOUR)


def grants_sent(s: Stack, refresh_token: str) -> list:
    return [r for r in s.requests("app/oauth/token", "POST") if (r.body or {}).get("refresh_token") == refresh_token]


def directory(path: Path) -> None:
    path.mkdir()
    (path / "keep").write_text("someone's")


def symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)  # a link to itself: every read fails (ELOOP)


def fifo(path: Path) -> None:
    os.mkfifo(path)  # no one ever writes to it: reading it would wait for ever (the test's timeout)


def huge(path: Path) -> None:
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # not one the app wrote; reading it whole would cost AppDaemon 64 MB


def identity(path: Path) -> tuple[int, int, int, int]:
    found = path.lstat()
    return found.st_ino, found.st_mode, found.st_size, found.st_mtime_ns


@pytest.mark.parametrize(
    "unreadable",
    [directory, symlink_loop, fifo, huge],
    ids=["a directory", "an I/O error", "a FIFO", "a huge file"],
)
async def test_an_unreadable_memory_file_is_kept_shown_and_no_refresh_token_is_risked(tmp_path, unreadable):
    async with stack(tmp_path) as s:
        first = short_lived(s)
        await s.fake.advance(1.5 * HOUR)  # the token is due for renewal when the app starts
        unreadable(s.state_file)
        found = identity(s.state_file)
        await s.start(**refresh_args(first))
        await s.fake.advance(900)  # rounds go on with the token, which has half an hour left
        await s.stop()
        assert identity(s.state_file) == found, "the unreadable memory file was replaced"
        if s.state_file.is_dir():
            assert (s.state_file / "keep").read_text() == "someone's"
        assert grants_sent(s, first.refresh_token) == [], "the refresh token was sent though it may have been used"
        assert s.fake.state(PROBLEM) == "on"
        reason = s.fake.attributes(PROBLEM)["reason"]
        assert s.state_file.name in reason, reason
        errors = [line for line in s.fake.lines("ERROR") if s.state_file.name in line]
        assert len(errors) == 1, errors


def session_energy(data: dict[str, Any]) -> None:
    data["chargers"][CP1]["memory"]["session"]["energy_kwh"] = "7.5"


def ended_energy(data: dict[str, Any]) -> None:
    data["chargers"][CP1]["memory"]["ended_energy_kwh"] = "x"


def started_ids(data: dict[str, Any]) -> None:
    data["chargers"][CP1]["memory"]["started"] = 5


@pytest.mark.parametrize(
    ("spoil", "keeps_ids"),
    [(session_energy, True), (ended_energy, True), (started_ids, False)],
    ids=["energy_kwh '7.5'", "ended_energy_kwh 'x'", "started 5"],
)
async def test_a_value_of_the_wrong_type_costs_only_that_value(tmp_path, spoil: Callable[[dict], None], keeps_ids):
    async with stack(tmp_path) as s:
        s.charge_from_phone()
        await s.start()
        await s.fake.advance(120)
        assert len(s.fake.fired(STARTED)) == 1
        await s.stop()
        data = json.loads(s.state_file.read_text())
        spoil(data)
        s.state_file.write_text(json.dumps(data))
        warnings_before = len(list(s.fake.lines("WARNING")))
        await s.start()  # initialize() must not raise
        await s.fake.advance(120)
        warnings = list(s.fake.lines("WARNING"))[warnings_before:]
        assert len(warnings) == 1, warnings
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "charging"
        if keeps_ids:
            assert len(s.fake.fired(STARTED)) == 1  # the announced ids were kept


async def test_a_save_that_fails_after_a_renewal_is_shown_and_made_again_until_it_works(tmp_path):
    async with stack(tmp_path) as s:
        folder = tmp_path / "memory"
        s.state_file = folder / "state.json"
        first = short_lived(s)
        await s.start(**refresh_args(first))
        await s.fake.advance(600)
        assert s.state_file.exists()
        shutil.rmtree(folder)
        folder.write_text("a file where the folder was")  # the memory cannot be written any more
        await s.fake.advance(HOUR)  # half the token's life: renewed
        assert s.model.auth.renewals == 1
        assert s.fake.state(PROBLEM) == "on"
        assert "state.json" in s.fake.attributes(PROBLEM)["reason"]
        await s.fake.advance(300)
        assert s.fake.state(PROBLEM) == "on"

        folder.unlink()
        folder.mkdir()  # put back: the next round saves
        await s.fake.advance(600)
        assert s.state_file.exists()
        saved = json.loads(s.state_file.read_text())
        (account,) = saved["accounts"].values()
        assert account["refresh_token"] and account["refresh_token"] != first.refresh_token
        assert s.fake.state(PROBLEM) == "off"


async def test_temporary_files_a_kill_left_beside_the_memory_file_are_removed_at_start(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(60)
        await s.stop()
        left = [tmp_path / f"{s.state_file.name}{suffix}.tmp" for suffix in ("k2j3h4_x", "9qwe81zz")]
        for path in left:
            path.write_text('{"accounts": {"x": {"refresh_token": "def50200leftbehind"}}}')
        other = tmp_path / "someone-elses.tmp"
        other.write_text("not ours")
        await s.start()
        assert [path.name for path in left if path.exists()] == []
        assert s.state_file.exists() and other.exists()
