"""Issue 19, secrets: what the cloud echoes back never leaves the app, credentials in api_host are refused, the
connection check takes its token without putting it in the process list, and a secrets.yaml that is a FIFO
or huge never holds the app up."""

import asyncio
import errno
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.stack import SLUG1, TOKEN, Stack, sensor, stack
from simulator import CLIENT_ID, CLIENT_SECRET, Fault, Simulator, demo_model, running

from .test_mqtt_discovery import BASE, broker, mqtt_stack  # noqa: F401  (the broker fixture)

PROBLEM = f"binary_sensor.evse_{SLUG1}_problem"
APPS = Path(__file__).resolve().parents[2] / "apps"


def refresh_args(grant) -> dict:
    return {
        "auth_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def echoed_secrets(s: Stack, **args) -> tuple[str, ...]:
    """The token endpoint refuses a renewal with a message that echoes the refresh token and the client
    secret; returns what must never be seen."""
    grant = s.model.auth.issue(next(iter(s.model.accounts)), 30 * 86400.0)
    echo = f"refresh_token={grant.refresh_token} client_secret={CLIENT_SECRET} is not valid"
    s.simulator.faults.add(
        Fault(
            "replay",
            path="app/oauth/token",
            status=400,
            body={"error": "invalid_grant", "error_description": echo, "message": echo},
        )
    )
    await s.start(**refresh_args(grant), **args)
    s.model.auth.revoke(grant.access_token)  # rejected: the app renews, and is refused
    await s.fake.advance(600)
    assert s.requests("app/oauth/token", "POST"), "the renewal was never tried"
    return grant.refresh_token, CLIENT_SECRET


def leaks(secrets: tuple[str, ...], *places: object) -> list[str]:
    everything = json.dumps(places, default=str)
    return [secret for secret in secrets if secret in everything]


async def test_a_token_endpoint_echoing_the_secrets_puts_them_nowhere(tmp_path):
    async with stack(tmp_path) as s:
        secrets = await echoed_secrets(s)
        assert s.fake.state(PROBLEM) == "on"
        await s.stop()
        assert leaks(secrets, s.fake.states, s.fake.events, s.fake.logs) == []


async def test_a_token_endpoint_echoing_the_secrets_puts_them_in_no_retained_message(tmp_path, broker):  # noqa: F811
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        secrets = await echoed_secrets(s, mqtt=True)
        problem = f"{BASE}/{SLUG1}/problem"
        await s.fake.run_until("the problem published", lambda: (ha.json(problem) or {}).get("state") == "on")
        assert leaks(secrets, ha.snapshot(), s.fake.mqtt.published, s.fake.events, s.fake.logs) == []


async def test_credentials_in_api_host_are_a_configuration_error_and_the_password_is_nowhere(tmp_path):
    async with stack(tmp_path) as s:
        password = "pw-9f8e7d6c"
        host = s.url.replace("http://", f"http://someone:{password}@")
        await s.start(api_host=host)
        await s.fake.advance(60)
        errors = s.fake.fired("ampeco_ev_charger_config_error")
        assert [e["key"] for e in errors] == ["api_host"], errors
        assert s.requests() == []
        assert leaks((password,), s.fake.states, s.fake.events, s.fake.logs) == []


def run_check(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ampeco_ev_charger.check", "--host", url, *args],
        cwd=APPS,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def simulator_url():
    async with running(Simulator(demo_model(TOKEN))) as url:
        yield url


async def test_the_check_warns_that_a_token_on_the_command_line_shows_in_the_process_list(simulator_url):
    given = await asyncio.to_thread(run_check, simulator_url, "--token", TOKEN)
    assert given.returncode == 0, given.stdout + given.stderr
    assert "process list" in (given.stdout + given.stderr).lower(), given.stdout + given.stderr
    quiet = await asyncio.to_thread(run_check, simulator_url, env={"AMPECO_TOKEN": TOKEN})
    assert quiet.returncode == 0 and "process list" not in (quiet.stdout + quiet.stderr).lower()
    assert TOKEN not in given.stdout + given.stderr + quiet.stdout + quiet.stderr


def check_at_a_terminal(url: str, token: str) -> tuple[int, str]:
    """The check run by a person at a terminal (its controlling terminal, as a login shell gives it), without
    --token or AMPECO_TOKEN: whatever it asks, the token is typed once after the first prompt, within 20 s."""
    pid, controller = pty.fork()
    if pid == 0:  # the child: the check, on the new terminal
        os.chdir(APPS)
        os.execve(sys.executable, [sys.executable, "-m", "ampeco_ev_charger.check", "--host", url], {"PATH": ""})
    shown, typed, deadline = b"", False, time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError as err:  # the process ended: its terminal is gone
                if err.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            shown += chunk
            if not typed and b"token" in shown.lower():
                os.write(controller, token.encode() + b"\n")
                typed = True
    finally:
        os.close(controller)
    return _reaped(pid), shown.decode(errors="replace")


def _reaped(pid: int) -> int:
    """The child's exit code, once it has ended (killed after 10 s more)."""
    deadline = time.monotonic() + 10
    while (ended := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if ended[0] == 0:
        os.kill(pid, signal.SIGKILL)
        ended = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(ended[1])


async def test_the_check_asks_for_the_token_at_a_terminal(simulator_url):
    code, shown = await asyncio.to_thread(check_at_a_terminal, simulator_url, TOKEN)
    assert code == 0, shown
    assert "OK: the token works" in shown
    assert TOKEN not in shown  # not echoed, not printed


def replacement_off(s: Stack) -> list[str]:
    return [line for line in s.fake.lines("WARNING") if "secrets.yaml" in line]


async def test_a_fifo_as_secrets_yaml_never_holds_the_app_up(tmp_path):
    async with stack(tmp_path) as s:
        secrets = tmp_path / "secrets.yaml"
        os.mkfifo(secrets)  # no one ever writes to it: reading it would wait for ever (the test's timeout)
        await s.start()
        await s.fake.advance(3600)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"
        (warning,) = replacement_off(s)
        assert "is not a regular file" in warning


@pytest.mark.timeout(120)
async def test_an_18_mb_secrets_yaml_never_holds_the_app_up(tmp_path):
    async with stack(tmp_path) as s:
        secrets = tmp_path / "secrets.yaml"
        with secrets.open("w") as out:
            out.write(f"ampeco_token: {TOKEN}\n")
            line = "x" * 80
            for index in range(18 * 1024 * 1024 // 90):
                out.write(f"k{index:07d}: {line}\n")
        await s.start()
        await s.fake.advance(3600)
        assert s.fake.state(sensor(SLUG1, "evse_status")) == "preparing"
        (warning,) = replacement_off(s)
        assert "is larger than" in warning  # never read, let alone parsed on the event loop
