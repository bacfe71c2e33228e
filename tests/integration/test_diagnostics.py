"""The diagnostics dump a user attaches to a bug report: what the app knows, and no secret, e-mail or name."""

import asyncio
import json
from pathlib import Path

from ampeco_ev_charger.diagnostics import main as diagnostics_cli
from harness.stack import CP1, CP2, TOKEN, Stack, stack
from simulator import CLIENT_ID, CLIENT_SECRET, Fault

WRITTEN = "ampeco_ev_charger_diagnostics_written"


async def dump(s: Stack) -> tuple[dict, str]:
    await s.fake.send("ampeco_ev_charger_diagnostics", {})
    (answer,) = s.fake.fired(WRITTEN)[-1:]
    assert answer["success"] is True
    text = await asyncio.to_thread(Path(answer["file"]).read_text)
    return json.loads(text), text


def secrets_of(s: Stack) -> list[str]:
    """Everything that must not be in it: every token the cloud handed out, the client secret, the e-mail
    addresses of the accounts, the chargers' names."""
    auth = s.model.auth
    tokens = [token for token in auth._access if token not in auth.chargers]  # the issued JWTs (not account names)
    names = [charger.name for charger in s.model.chargers.values()]
    return [TOKEN, CLIENT_SECRET, "@example.invalid", *tokens, *auth._refresh, *auth._used, *names]


async def test_the_dump_tells_what_the_app_knows_and_holds_no_secret(tmp_path):
    async with stack(tmp_path) as s:
        grant = s.model.auth.issue(next(iter(s.model.accounts)), 30 * 86400.0)
        account = {"auth_token": grant.access_token, "refresh_token": grant.refresh_token}
        s.charge_from_phone()
        # A name of the user's, on a charger with a mistake: the log line about it names the charger.
        named = [{"chargepoint_id": CP1}, {"chargepoint_id": CP2, "name": "Nanna's carport", "evse_id": "nope"}]
        await s.start(**account, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, push=True, chargers=named)
        s.simulator.faults.add(Fault("unknown_status", count=1, path="app/personal/charge-points"))
        await s.fake.advance(60)
        report, text = await dump(s)
        for secret in [*secrets_of(s), "Nanna"]:
            if secret:
                assert secret not in text, f"{secret[:6]}... is in the dump"
        assert {"app", "appdaemon", "python"} <= set(report["versions"])
        assert report["configuration"]["runtime"]["chargers"][0]["account"]["auth_token"] == "<set>"
        assert report["configuration"]["runtime"]["chargers"][0]["account"]["client"]["client_secret"] == "<set>"
        first = report["chargers"][CP1]
        assert first["reading"]["id"] == CP1 and first["reading"]["name"] == "<set>"
        assert first["session_open"] is True
        assert first["answer_shape"]["evses"][0]["status"] == "str"  # keys and types, never values
        assert set(report["chargers"]) == {CP1, CP2}
        (polled,) = report["accounts"]
        assert polled["chargers"] == [CP1, CP2] and polled["failed_polls"] == 0
        assert any("Hibernating" in said for said in report["said_since_start"])  # the oddity seen
        assert any(said.startswith(f"ERROR: {CP2}: ") for said in report["said_since_start"])  # named by its id
        assert report["memory"]["chargers"] == sorted([CP1, CP2])
        mode = (await asyncio.to_thread(Path(s.fake.fired(WRITTEN)[-1]["file"]).stat)).st_mode
        assert mode & 0o777 == 0o600


async def test_the_same_from_the_command_line_from_the_memory_file_alone(tmp_path, capsys):
    async with stack(tmp_path) as s:
        await s.start()
        await s.fake.advance(30)
    assert diagnostics_cli(["--state-file", str(tmp_path / "state.json"), "--out", str(tmp_path / "out")]) == 0
    (written,) = (tmp_path / "out").iterdir()
    text = await asyncio.to_thread(written.read_text)
    report = json.loads(text)
    assert set(report["chargers"]) == {CP1, CP2} and TOKEN not in text
    assert "holds no token" in capsys.readouterr().out


async def test_a_broken_apps_yaml_still_answers_the_ask(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(charging_interval="often")
        await s.fake.send("ampeco_ev_charger_diagnostics", {})
        (answer,) = s.fake.fired(WRITTEN)
        assert answer["success"] is False and answer["reason"] == "config_error"
