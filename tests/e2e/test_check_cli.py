"""The connection check as a user runs it: `python3 -m ampeco_ev_charger.check` from the apps folder."""

import subprocess
import sys
from pathlib import Path

from demo.processes import REPO, simulator

TOKEN = "cli-token-31f0"


def run(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **({"AMPECO_TOKEN": token} if token else {})}
    return subprocess.run(
        [sys.executable, "-m", "ampeco_ev_charger.check", *args],
        cwd=REPO / "apps",
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_check_with_the_token_from_the_environment(tmp_path: Path):
    with simulator(tmp_path, TOKEN) as url:
        good = run("--host", url, "--chargepoint", "QNG0C18010", token=TOKEN)
        bad = run("--host", url, "--token", "expired")
    assert good.returncode == 0, good.stderr
    assert "OK: the token works" in good.stdout and "chargepoint_id: QNG0C18010" in good.stdout
    assert TOKEN not in good.stdout + good.stderr
    assert bad.returncode == 3 and "rejected the token" in bad.stdout


def test_the_check_explains_itself():
    result = run("--help")
    assert result.returncode == 0 and "AMPECO_TOKEN" in result.stdout
