"""The export's command line: python3 -m ampeco_ev_charger.export --log ... --month YYYY-MM."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ampeco_ev_charger.export import BAD_ARGUMENTS, CANNOT_WRITE, LOG_UNREADABLE, OK, main
from ampeco_ev_charger.runtime.session_log import SessionLog, SessionRecord

UTC = timezone.utc
COPENHAGEN = {"TZ": "Europe/Copenhagen"}


def session(session_id: str, stop: str, charger: str = "ACE0549935", **values) -> SessionRecord:
    stopped = datetime.fromisoformat(stop).replace(tzinfo=UTC)
    defaults = {"energy_kwh": 7.4, "cost": 18.5, "currency": "DKK"}
    return SessionRecord(charger, session_id, stopped - timedelta(hours=1), stopped, **defaults | values)


@pytest.fixture
def log_file(tmp_path) -> Path:
    path = tmp_path / "apps.sessions.sqlite3"
    with SessionLog(path) as log:
        log.write(
            [
                session("1", "2026-10-31T23:30:00"),  # 00:30 on 1 November in Copenhagen
                session("2", "2026-11-12T19:00:00", energy_kwh=2.2, cost=5.0, currency="EUR"),
                session("3", "2026-11-21T05:00:00", "QNG0C18010", energy_kwh=30.0, cost=66.0),
            ]
        )
    return path


def test_a_month_is_written_and_its_path_and_totals_printed(tmp_path, log_file, capsys):
    out = tmp_path / "reports"
    code = main(["--log", str(log_file), "--month", "2026-11", "--tz", "Europe/Copenhagen", "--out", str(out)], {})
    assert code == OK
    assert capsys.readouterr().out.splitlines() == [
        f"Wrote {out / 'ampeco_sessions_2026-11.csv'}",
        "3 session(s) from 2026-11-01 to 2026-11-30, Europe/Copenhagen time: 39.600 kWh, 84.50 DKK, 5.00 EUR.",
    ]
    lines = (out / "ampeco_sessions_2026-11.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("ACE0549935,1,2026-10-31T23:30:00+01:00,2026-11-01T00:30:00+01:00,7.400,18.50,DKK,")


def test_one_charger_over_some_days_in_the_zone_of_the_environment(tmp_path, log_file, capsys):
    argv = ["--log", str(log_file), "--from", "2026-11-01", "--to", "2026-11-30", "--charger", "QNG0C18010"]
    assert main([*argv, "--out", str(tmp_path)], COPENHAGEN) == OK
    output = capsys.readouterr().out
    assert "ampeco_sessions_2026-11-01_2026-11-30_qng0c18010.csv" in output
    assert (
        "1 session(s) of charger QNG0C18010 from 2026-11-01 to 2026-11-30, Europe/Copenhagen time: 30.000 kWh" in output
    )


def test_a_month_without_sessions_says_so(tmp_path, log_file, capsys):
    assert main(["--log", str(log_file), "--month", "2027-02", "--out", str(tmp_path)], {"TZ": "UTC"}) == OK
    assert capsys.readouterr().out.splitlines()[1] == "No session stopped from 2027-02-01 to 2027-02-28, UTC time."


@pytest.mark.parametrize(
    ("argv", "environ", "says"),
    [
        (["--month", "2026-13"], COPENHAGEN, "Problem: 2026-13 is not a month: the month is 01 to 12"),
        (["--month", "abc"], COPENHAGEN, "Problem: 'abc' is not a month: write it as YYYY-MM, for example 2026-11"),
        (["--from", "2026-11-15", "--to", "2026-11-01"], COPENHAGEN, "Problem: the end date 2026-11-01 is before"),
        (["--from", "2026-11-15"], COPENHAGEN, "Problem: --from needs --to"),
        (["--month", "2026-11", "--to", "2026-11-15"], COPENHAGEN, "Problem: --to goes with --from, not with --month"),
        (["--month", "2026-11", "--tz", "Mars/Olympus"], {}, "Problem: --tz 'Mars/Olympus' is not a time zone"),
        (["--month", "2026-11"], {"TZ": "CET-1CEST"}, "Problem: the TZ environment variable 'CET-1CEST' is not a time"),
    ],
)
def test_a_mistake_in_the_arguments_is_exit_2_with_a_sentence(tmp_path, log_file, capsys, argv, environ, says):
    assert main(["--log", str(log_file), *argv, "--out", str(tmp_path / "out")], environ) == BAD_ARGUMENTS
    assert capsys.readouterr().out.startswith(says)
    assert not (tmp_path / "out").exists()


def test_arguments_argparse_refuses_are_exit_2_too(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--month", "2026-11"], {})  # no --log
    assert stopped.value.code == BAD_ARGUMENTS
    assert "the following arguments are required: --log" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda path: None, "(there is no such file)"),
        (lambda path: path.mkdir(), "(a folder is there, not a file)"),
        (lambda path: path.write_bytes(b"\x00garbage" * 500), "(file is not a database)"),
    ],
    ids=["missing", "a-folder", "garbage"],
)
def test_a_log_that_cannot_be_read_is_exit_3_and_left_as_it_is(tmp_path, capsys, make, says):
    path = tmp_path / "apps.sessions.sqlite3"
    make(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["--log", str(path), "--month", "2026-11", "--out", str(tmp_path)], COPENHAGEN)
    assert code == LOG_UNREADABLE
    assert capsys.readouterr().out.startswith(f"Problem: cannot use the session log {path} {says}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_folder_that_cannot_be_written_is_exit_4(tmp_path, log_file, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["--log", str(log_file), "--month", "2026-11", "--out", str(blocker)], COPENHAGEN) == CANNOT_WRITE
    assert capsys.readouterr().out.startswith(f"Problem: cannot write into {blocker} (")


def test_it_runs_as_a_module_without_a_traceback(tmp_path, log_file):
    apps = Path(__file__).resolve().parents[2] / "apps"
    ran = subprocess.run(
        [sys.executable, "-m", "ampeco_ev_charger.export", "--log", str(log_file), "--month", "2026-13"],
        cwd=apps,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        2,
        "Problem: 2026-13 is not a month: the month is 01 to 12\n",
        "",
    )
