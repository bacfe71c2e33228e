"""Smart charging through the real app: Home Assistant inputs in, the app's own commands out, on a virtual
clock against the simulator. (The simulated day with its figures is tests/unit/smart/test_smart_day.py.)"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from harness.stack import CP1, SLUG1, sensor, stack
from simulator import Fault

MODE, GRID = "input_select.ev_mode", "sensor.grid_power"
PRICES, DEPARTURE, TARGET = "sensor.nordpool", "input_datetime.ev_departure", "input_number.ev_target"
SMART = {
    "mode_entity": MODE,
    "grid_power_entity": GRID,
    "price_entity": PRICES,
    "departure_entity": DEPARTURE,
    "target_energy_entity": TARGET,
    "min_change_interval": 300,
}
RESULT = "ampeco_ev_charger_command_result"
TZ = ZoneInfo("Europe/Copenhagen")


def smart_commands(s) -> list[dict]:
    return [e for e in s.fake.fired(RESULT) if e.get("origin") == "smart_charging"]


def nordpool(now: float) -> dict:
    """Hourly prices from today 00:00 for two days: dear in the evening, cheapest from 02:00 to 05:00."""
    day = datetime.fromtimestamp(now, TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    price = {h: 0.3 if 17 <= h < 21 else (0.05 if 2 <= h < 5 else 0.15) for h in range(24)}
    slots = [
        {
            "start": (day + timedelta(hours=h)).isoformat(),
            "end": (day + timedelta(hours=h + 1)).isoformat(),
            "value": price[h % 24],
        }
        for h in range(48)
    ]
    return {"raw_today": slots[:24], "raw_tomorrow": slots[24:], "unit_of_measurement": "DKK/kWh"}


CHARGERS = [{"chargepoint_id": CP1, "smart_charging": SMART}, {"chargepoint_id": "QNG0C18010"}]


async def started(s, mode: str = "off", grid: str = "0") -> None:
    s.fake.states.update(
        {
            MODE: (mode, {"options": ["off", "now", "solar", "min+solar", "cheapest"]}),
            GRID: (grid, {"unit_of_measurement": "W"}),
            PRICES: ("0.15", nordpool(s.fake.clock)),
            DEPARTURE: ("07:00:00", {"has_date": False, "has_time": True}),
            TARGET: ("10.0", {"unit_of_measurement": "kWh"}),
        }
    )
    await s.start(chargers=CHARGERS)


async def test_off_does_nothing_and_now_charges_at_the_maximum(tmp_path):
    async with stack(tmp_path) as s:
        await started(s)
        await s.fake.advance(600)
        assert smart_commands(s) == [] and s.model.chargers[CP1].session is None
        smart = s.fake.attributes(sensor(SLUG1, "smart_charging"))
        assert s.fake.state(sensor(SLUG1, "smart_charging")) == "off"
        assert smart["reason"] == "off: the app starts and stops nothing by itself"
        assert smart["friendly_name"] == "NT2 nr. 264 Smart Charging"

        await s.fake.user_sets(MODE, "now")
        await s.fake.advance(5)
        assert [(c["command"], c["success"]) for c in smart_commands(s)] == [("start_charging", True)]
        assert s.model.chargers[CP1].session is not None and s.model.chargers[CP1].max_current_a == 16
        await s.fake.advance(600)
        assert len(smart_commands(s)) == 1  # never a start while charging
        assert any("smart charging [now]: start at 16 A" in line for line in s.fake.lines("INFO"))


async def test_solar_follows_the_surplus_with_delays(tmp_path):
    async with stack(tmp_path) as s:
        await started(s, "solar", grid="-8000")  # 8 kW exported
        await s.fake.advance(30)
        assert smart_commands(s) == []  # the surplus must last a minute first
        await s.fake.advance(60)
        (start,) = smart_commands(s)
        assert start["command"] == "start_charging" and s.model.chargers[CP1].max_current_a == 11  # 8000 / 690
        await s.fake.user_sets(GRID, "-400")  # the car takes the rest
        await s.fake.advance(300)
        await s.fake.user_sets(GRID, "6000")  # a cloud: importing now
        await s.fake.advance(120)
        assert s.model.chargers[CP1].session is not None  # shorter than the stop delay: no stop
        await s.fake.advance(120)
        assert [c["command"] for c in smart_commands(s)][-1] == "stop_charging"
        assert s.model.chargers[CP1].session is None


async def test_cheapest_charges_in_the_cheap_night_and_the_plan_survives_a_restart(tmp_path):
    async with stack(tmp_path) as s:
        await started(s, "cheapest")
        await s.fake.advance(60)
        smart = s.fake.attributes(sensor(SLUG1, "smart_charging"))
        starts = [datetime.fromisoformat(slot["start"]).astimezone(TZ).hour for slot in smart["plan"]]
        assert starts and set(starts) <= {2, 3, 4} and smart["target_reachable"] is True
        assert smart["next_action"].startswith("start at 0")
        assert smart_commands(s) == []

        s.fake.states[PRICES] = ("unavailable", {})  # Home Assistant restarting: the prices are not back yet
        await s.restart(chargers=CHARGERS)
        await s.fake.advance(60)
        kept = s.fake.attributes(sensor(SLUG1, "smart_charging"))
        assert kept["plan"] == smart["plan"] and "following the plan made at" in kept["reason"]

        local = datetime.fromtimestamp(s.fake.clock, TZ)
        two_am = (local + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        s.fake.states[PRICES] = ("0.15", nordpool(s.fake.clock))  # the prices are back
        await s.fake.advance((two_am - local).total_seconds() + 3 * 3600)
        assert [c["command"] for c in smart_commands(s)] == ["start_charging", "stop_charging"]
        delivered = sum(session.energy_wh for _, session in s.model.history) / 1000
        assert delivered == pytest.approx(10, abs=0.3)
        assert s.fake.attributes(sensor(SLUG1, "smart_charging"))["progress_percent"] >= 97


async def test_nothing_is_sent_while_the_cloud_fails(tmp_path):
    async with stack(tmp_path) as s:
        await started(s)
        s.simulator.faults.add(Fault("status", status=503))
        await s.fake.advance(30)
        await s.fake.user_sets(MODE, "now")
        await s.fake.advance(1800)
        assert smart_commands(s) == []
        assert "the AMPECO cloud is failing" in s.fake.attributes(sensor(SLUG1, "smart_charging"))["reason"]
        s.simulator.faults.clear()
        await s.fake.advance(1800)
        assert [c["command"] for c in smart_commands(s)] == ["start_charging"]


async def test_a_mistake_in_smart_charging_names_its_key(tmp_path):
    async with stack(tmp_path) as s:
        await s.start(chargers=[{"chargepoint_id": CP1, "smart_charging": {"mode_entity": "switch.ev"}}])
        (line,) = s.fake.lines("ERROR")
        assert "`chargers[0].smart_charging.mode_entity`" in line and s.fake.timers == {}


async def test_an_input_home_assistant_cannot_give_is_a_missing_input_not_a_bug(tmp_path, mocker):
    async with stack(tmp_path) as s:
        answer = s.fake.get_state

        async def refusing(entity_id: str, **kwargs):
            if entity_id == GRID:
                raise RuntimeError("Home Assistant is stopping")
            return await answer(entity_id, **kwargs)

        mocker.patch.object(s.fake, "get_state", refusing)
        await started(s, mode="solar")
        await s.fake.advance(300)
        assert f"{GRID} has no usable power reading" in s.fake.attributes(sensor(SLUG1, "smart_charging"))["reason"]
        assert smart_commands(s) == []
        warnings = [line for line in s.fake.lines("WARNING") if GRID in line]
        assert len(warnings) == 1 and "Home Assistant is stopping" in warnings[0]
        assert not any("Please report" in line for line in s.fake.lines("ERROR"))
