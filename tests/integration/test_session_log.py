"""Sessions as records: a month with sessions seen live, one missed during an outage and filled from the
history, a restart in between; the export's rows and totals are the simulator's sessions exactly; the month's
sensors agree; and each session's energy sits in the hours it was delivered, in Home Assistant's statistics."""

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
import pytz

from harness.stack import CP1, CP2, SLUG1, Stack, sensor, stack
from simulator import Fault
from simulator.model import SimSession

LIST = "app/personal/charge-points"
EXPORT = "ampeco_ev_charger_export_sessions"
EXPORTED = "ampeco_ev_charger_sessions_exported"
STATISTIC = f"ampeco_ev_charger:evse_{SLUG1}_energy"


async def charge(s: Stack, seconds: float, chargepoint_id: str = CP1) -> None:
    """A driver plugs in and starts from the phone; the car charges for `seconds`, then they stop it."""
    charger = s.model.chargers[chargepoint_id]
    charger.car_needs_wh = 200_000
    s.model.plug(charger, True)
    s.model.start(charger)
    await s.fake.advance(seconds)
    s.model.stop(charger, reason="local")
    await s.fake.advance(60)
    s.model.plug(charger, False)


async def export(s: Stack, **data: object) -> dict:
    before = len(s.fake.fired(EXPORTED))
    await s.fake.send(EXPORT, dict(data))
    (answer,) = s.fake.fired(EXPORTED)[before:]
    return answer


def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def rows(path: str) -> list[dict[str, str]]:
    data = read_bytes(path)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: a spreadsheet opens names like Åbyhøj as they are
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def local(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, pytz.timezone("Europe/Copenhagen")).isoformat(timespec="seconds")


async def test_a_month_seen_live_missed_in_an_outage_and_across_a_restart_is_exported_as_it_happened(tmp_path):
    async with stack(tmp_path) as s:
        await s.start()
        await charge(s, 1800)  # seen live
        await s.restart()
        s.simulator.faults.add(Fault("status", status=503, path=LIST))
        await charge(s, 2400)  # while the cloud could not be read: only its history has it
        s.simulator.faults.clear()
        await s.fake.advance(1800)
        await charge(s, 900, CP2)  # the other charger, live
        answer = await export(s, month="2025-11")

        ours = [(cp, session) for cp, session in s.model.history]
        assert answer["success"] is True and answer["period"] == "2025-11" and answer["sessions"] == 3
        table = rows(answer["file"])
        assert [(r["charger"], r["session"]) for r in table] == [(cp, session.id) for cp, session in ours]
        for row, (_cp, session) in zip(table, ours, strict=True):
            assert row["energy_kwh"] == f"{session.energy_wh / 1000:.3f}"
            assert row["start"] == local(session.started_at) and row["end"] == local(session.stopped_at or 0)
            assert (row["cost"], row["currency"], row["reimbursement_eligible"]) == (
                f"{round(session.energy_wh / 1000 * 2.5, 2):.2f}",
                "DKK",
                "no",
            )
        total = sum(round(session.energy_wh / 1000, 3) for _cp, session in ours)
        assert answer["energy_kwh"] == pytest.approx(total, abs=1e-9)
        assert answer["cost"] == {"DKK": pytest.approx(sum(float(r["cost"]) for r in table), abs=1e-9)}
        first = sum(round(session.energy_wh / 1000, 3) for cp, session in ours if cp == CP1)
        assert s.fake.state(sensor(SLUG1, "month_energy")) == pytest.approx(first, abs=0.001)
        assert s.fake.attributes(sensor(SLUG1, "month_energy"))["sessions"] == 2

        again = await export(s, month="2025-11")  # a re-export of the month gives the same file
        assert read_bytes(again["file"]) == read_bytes(answer["file"])


async def test_each_sessions_energy_sits_in_the_hours_it_was_delivered_in_home_assistants_statistics(tmp_path):
    """Also the session the app saw only after an outage: its hours, not the hour the app came back."""
    async with stack(tmp_path) as s:
        await s.start()
        await charge(s, 1800)
        s.simulator.faults.add(Fault("status", status=503, path=LIST))
        await s.fake.advance(3600)
        outage_began = s.fake.clock
        await charge(s, 5400)  # an hour and a half, unseen
        s.simulator.faults.clear()
        await s.fake.advance(3 * 3600)  # the app is back hours later
        changes = s.fake.recorder.changes(STATISTIC)
        ours = [session for cp, session in s.model.history if cp == CP1]
        assert sum(changes.values()) == pytest.approx(sum(x.energy_wh for x in ours) / 1000, abs=0.002)
        hidden = ours[-1]
        began_hour = outage_began - outage_began % 3600
        hours = {hour: kwh for hour, kwh in changes.items() if datetime.fromisoformat(hour).timestamp() >= began_hour}
        assert sum(hours.values()) == pytest.approx(hidden.energy_wh / 1000, abs=0.002)
        assert max(datetime.fromisoformat(h).timestamp() for h in hours) < (hidden.stopped_at or 0)  # not when seen
        assert all(kwh >= 0 for kwh in changes.values())  # no hour counted twice, none taken back
        metadata = s.fake.recorder.metadata[STATISTIC]
        assert (metadata["source"], metadata["unit_of_measurement"], metadata["has_sum"]) == (
            "ampeco_ev_charger",
            "kWh",
            True,
        )


async def test_the_first_watch_fills_the_log_from_the_previous_months_history(tmp_path):
    """A company-car driver installs the app late in the month: the month's report is complete all the same,
    and so is last month's."""
    async with stack(tmp_path) as s:
        charger = s.model.chargers[CP1]
        for days_ago in (40, 10):  # last month, and earlier this month, before the app watched
            began = s.fake.clock - days_ago * 86400
            session = SimSession(f"old-{days_ago}", charger.identifier, began, "finished", energy_wh=7500.0)
            session.stopped_at, session.owner = began + 3600, s.model.home_of(charger)
            s.model.history.append((CP1, session))
        await s.start()
        this = await export(s, month="2025-11", chargepoint_id=CP1.lower())
        last = await export(s, month="2025-10")
        assert this["success"] and this["chargepoint_id"] == CP1 and this["sessions"] == 1
        assert (last["sessions"], last["energy_kwh"]) == (1, 7.5)
        assert s.fake.state(sensor(SLUG1, "last_month_energy")) == 7.5


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"month": "2025-13"}, "invalid_value"),
        ({"month": "last"}, "invalid_value"),
        ({"start": "2025-11-30", "end": "2025-11-01"}, "invalid_value"),
        ({"start": "2025-11-01"}, "invalid_value"),
        ({}, "invalid_value"),
        ({"month": "2025-11", "chargepoint_id": "NOPE"}, "unknown_charger"),
        ({"month": "9999-12"}, "invalid_value"),  # the calendar's edges, which the time zone cannot reach
        ({"month": "0001-01"}, "invalid_value"),
        ({"start": "0001-01-01", "end": "0001-01-05"}, "invalid_value"),
        ({"start": "9999-12-01", "end": "9999-12-31"}, "invalid_value"),
        ({"start": "0002-01-01", "end": "9999-12-30"}, "invalid_value"),
    ],
)
async def test_an_export_asked_wrongly_gets_one_answer_that_says_why(tmp_path, data, reason):
    async with stack(tmp_path) as s:
        await s.start()
        answer = await export(s, **data)
        assert answer["success"] is False and answer["reason"] == reason and answer["error"]


async def test_a_session_log_that_cannot_be_read_is_a_problem_never_thrown_away(tmp_path):
    async with stack(tmp_path) as s:
        log = tmp_path / "state.sessions.sqlite3"
        log.mkdir()  # something other than the log where it should be
        await s.start()
        await charge(s, 600)
        problem = s.fake.attributes(f"binary_sensor.evse_{SLUG1}_problem")["reason"]
        assert "cannot use the session log" in problem and str(log) in problem
        assert s.fake.state(sensor(SLUG1, "session_id")) == "none"  # the readings go on
        answer = await export(s, month="2025-11")
        assert answer["success"] is False and answer["reason"] == "unavailable"
        assert log.is_dir()
        assert sum("cannot use the session log" in line for line in s.fake.lines("ERROR")) == 1
