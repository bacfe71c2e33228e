import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ampeco_ev_charger.runtime.commands import SetMaxCurrent, StartCharging, StopCharging
from ampeco_ev_charger.smart import (
    Action,
    ChargerState,
    Decision,
    Inputs,
    NextAction,
    SmartConfig,
    SmartMemory,
    decide,
    sensor_state,
)
from ampeco_ev_charger.smart.engine import MAX_TARGET_KWH
from ampeco_ev_charger.smart.prices import PriceSlot
from ampeco_ev_charger.smart.sensor import PLAN_SHOWN
from ampeco_ev_charger.times import iso_time

CEST = timezone(timedelta(hours=2))
MINUTE = timedelta(minutes=1)
CONFIG = SmartConfig(
    mode_entity="input_select.ev_mode",
    grid_power_entity="sensor.grid",
    price_entity="sensor.prices",
    departure_entity="input_datetime.leave",
    target_energy_entity="input_number.kwh",
    max_current=16,
)
PLUGGED = ChargerState(
    plugged_in=True, session_open=False, current_limit_a=16, allowed_min_a=6, allowed_max_a=32, energy_meter_kwh=100.0
)
CHARGING = replace(PLUGGED, session_open=True, power_kw=11.04)
UNPLUGGED = replace(PLUGGED, plugged_in=False)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 17) -> datetime:
    return datetime(2025, 6, day, hour, minute, second, tzinfo=CEST)


# 18:00 to 12:00 the next day: dear in the evening, cheap from 02:00 to 04:00.
PRICES = tuple(
    PriceSlot(at(18) + timedelta(hours=h), at(18) + timedelta(hours=h + 1), 0.05 if h in (8, 9) else 0.30)
    for h in range(18)
)
EVENING = at(18)
NIGHT: dict[str, Any] = {"prices": PRICES, "departure": at(7, day=18), "target_energy_kwh": 20.0}


def run(
    mode: str | None,
    charger: ChargerState = PLUGGED,
    memory: SmartMemory = SmartMemory(),
    now: datetime = EVENING,
    config: SmartConfig = CONFIG,
    **inputs: Any,
) -> Decision:
    return decide(config, Inputs(mode=mode, **inputs), charger, memory, now)


def test_off_never_sends_anything():
    for charger in (PLUGGED, CHARGING, UNPLUGGED):
        decision = run("off", charger)
        assert decision.action is None and decision.mode == "off" and decision.reason.startswith("off:")


@pytest.mark.parametrize(
    ("selected", "words"),
    [
        (
            "turbo",
            "unknown mode 'turbo' in input_select.ev_mode: doing nothing (modes: off, now, solar, min+solar, cheapest)",
        ),
        (None, "input_select.ev_mode is unavailable: doing nothing"),
    ],
)
def test_an_unknown_or_unavailable_mode_is_off_with_a_reason(selected, words):
    decision = run(selected, CHARGING)
    assert (decision.mode, decision.action, decision.reason) == ("off", None, words)


@pytest.mark.parametrize(
    ("selected", "mode"),
    [("PV", "solar"), ("Min + Solar", "min+solar"), ("minpv", "min+solar"), ("Cheapest", "cheapest"), (" now ", "now")],
)
def test_mode_names_are_read_loosely(selected, mode):
    assert run(selected).mode == mode


def test_now_charges_at_the_maximum_whenever_a_car_is_plugged_in():
    decision = run("now")
    assert decision.action == Action(StartCharging.name, 16) and decision.notable
    assert decision.log_line == "smart charging [now]: start at 16 A: charging now at the maximum of 16 A; starting"
    assert run("now", UNPLUGGED).action is None and run("now", UNPLUGGED).reason == "no car plugged in"
    assert run("now", replace(CHARGING, current_limit_a=10)).action == Action(SetMaxCurrent.name, 16)


def test_solar_starts_after_the_delay_and_says_when():
    first = run("solar", grid_power_w=-5000.0)
    assert first.action is None and first.next_action == NextAction("start at 18:01 if the surplus stays so", at(18, 1))
    assert first.wake_at == at(18, 1)
    second = run("solar", memory=first.memory, now=at(18, 1), grid_power_w=-5000.0)
    assert second.action == Action(StartCharging.name, 7)


def test_solar_counts_the_car_s_own_draw_as_surplus_it_takes():
    drawing = replace(CHARGING, power_kw=4.14, current_limit_a=6)
    assert run("solar", drawing, grid_power_w=-3000.0).action == Action(SetMaxCurrent.name, 10)


def test_solar_stops_after_the_stop_delay():
    first = run("solar", CHARGING, grid_power_w=9000.0)  # a cloud: 2 kW of surplus left
    assert first.action == Action(SetMaxCurrent.name, 6)  # the minimum while it waits
    at_minimum = replace(CHARGING, current_limit_a=6, power_kw=4.14)
    waiting = run("solar", at_minimum, first.memory, at(18, 2, 59), grid_power_w=2140.0)
    assert waiting.action is None and waiting.next_action.text == "stop at 18:03 if the surplus stays so"
    assert run("solar", at_minimum, waiting.memory, at(18, 3), grid_power_w=2140.0).action == Action(StopCharging.name)


def test_min_solar_starts_at_once_at_the_minimum():
    assert run("min+solar", grid_power_w=300.0).action == Action(StartCharging.name, 6)


@pytest.mark.parametrize(
    ("config", "inputs", "words"),
    [
        (replace(CONFIG, grid_power_entity=None), {}, "solar charging needs `grid_power_entity` in apps.yaml"),
        (CONFIG, {}, "sensor.grid has no usable power reading: holding"),
        (
            replace(CONFIG, battery_power_entity="sensor.battery"),
            {"grid_power_w": -5000.0},
            "sensor.battery has no usable power reading: holding",
        ),
    ],
)
def test_solar_without_its_inputs_holds_with_a_reason(config, inputs, words):
    decision = run("solar", CHARGING, config=config, **inputs)
    assert (decision.action, decision.reason) == (None, words)


def test_cheapest_waits_for_the_cheap_slot_then_charges_and_stops_at_the_target():
    waiting = run("cheapest", CHARGING, **NIGHT)  # the charger started a session at plug-in
    assert waiting.action == Action(StopCharging.name)
    assert waiting.next_action == NextAction("start at 02:00", at(2, day=18))
    assert waiting.reason == "next cheapest slot at 02:00 (0.0 of 20 kWh); stopping"
    assert waiting.plan is not None and [s.price for s in waiting.plan.slots] == [0.05, 0.05]
    slot = run("cheapest", PLUGGED, waiting.memory, at(2, day=18), **NIGHT)
    assert slot.action == Action(StartCharging.name, 16) and slot.next_action.text == "stop at 03:48"
    done = run("cheapest", replace(CHARGING, energy_meter_kwh=120.0), slot.memory, at(3, 48, day=18), **NIGHT)
    assert done.action == Action(StopCharging.name) and done.reason.startswith(
        "target of 20 kWh reached (20.0 kWh delivered)"
    )
    assert done.progress.delivered_kwh == 20 and done.progress.target_kwh == 20


def test_cheapest_says_when_the_known_prices_cannot_meet_the_target():
    decision = run("cheapest", **{**NIGHT, "target_energy_kwh": 250.0})
    assert decision.action == Action(StartCharging.name, 16)
    assert "the known prices before 07:00 allow only 143.5 of the 250.0 kWh still needed" in decision.reason
    assert not decision.plan.feasible


def test_cheapest_after_a_departure_that_has_passed_does_not_charge():
    decision = run("cheapest", CHARGING, now=at(8, day=18), **{**NIGHT, "departure": at(7, day=18)})
    assert decision.action == Action(StopCharging.name) and "the departure at 07:00 has passed" in decision.reason


def test_cheapest_needs_its_entities_configured():
    config = replace(CONFIG, price_entity=None, target_energy_entity=None)
    decision = run("cheapest", config=config, **NIGHT)
    assert decision.reason == "cheapest charging needs `price_entity`, `target_energy_entity` in apps.yaml"


def test_cheapest_follows_the_remembered_plan_while_its_inputs_are_unavailable():
    planned = run("cheapest", **NIGHT).memory
    restarted = SmartMemory.from_dict(planned.to_dict())
    during_slot = run("cheapest", memory=restarted, now=at(3, day=18), departure=NIGHT["departure"])
    assert during_slot.action == Action(StartCharging.name, 16)
    assert during_slot.reason == (
        "cheapest slot until 03:48 (input_number.kwh unavailable: following the plan made at 18:00); starting"
    )
    assert run("cheapest", memory=restarted, now=at(1, day=18)).action is None


def test_cheapest_without_inputs_or_a_plan_holds():
    decision = run("cheapest", CHARGING)
    assert decision.action is None
    assert decision.reason == ("input_number.kwh, input_datetime.leave unavailable: no plan to follow, holding")


def test_cheapest_without_an_energy_reading_holds():
    decision = run("cheapest", replace(PLUGGED, energy_meter_kwh=None), **NIGHT)
    assert decision.action is None and "the charger's energy reading unavailable" in decision.reason


def test_progress_counts_from_the_plug_in_and_starts_again_at_the_next():
    plugged = run("cheapest", replace(PLUGGED, energy_meter_kwh=50.0), **NIGHT)
    charged = run("cheapest", replace(PLUGGED, energy_meter_kwh=62.5), plugged.memory, **NIGHT)
    assert charged.progress.delivered_kwh == 12.5
    away = run("cheapest", replace(UNPLUGGED, energy_meter_kwh=70.0), charged.memory, **NIGHT)
    back = run("cheapest", replace(PLUGGED, energy_meter_kwh=70.0), away.memory, **NIGHT)
    assert (away.progress.delivered_kwh, back.progress.delivered_kwh) == (None, 0.0)


def test_a_session_ended_outside_the_app_is_not_started_again_until_the_car_is_plugged_in_again():
    charging = run("now", CHARGING)
    ended = run("now", PLUGGED, charging.memory)
    assert ended.action is None and ended.reason.startswith("the session was ended outside the app")
    assert run("now", PLUGGED, ended.memory).action is None
    replugged = run("now", PLUGGED, run("now", UNPLUGGED, ended.memory).memory)
    assert replugged.action == Action(StartCharging.name, 16)
    assert run("solar", PLUGGED, ended.memory, grid_power_w=-9000.0).reason.startswith("surplus")  # a new mode


def test_a_stop_sent_by_the_app_is_no_reason_to_keep_hands_off():
    stop = run("cheapest", CHARGING, **NIGHT)
    assert stop.action == Action(StopCharging.name)
    slot = run("cheapest", PLUGGED, run("cheapest", PLUGGED, stop.memory, **NIGHT).memory, at(2, 30, day=18), **NIGHT)
    assert slot.action == Action(StartCharging.name, 16)


def test_nothing_is_sent_while_the_api_fails_but_the_timers_keep_running():
    failing = replace(PLUGGED, api_ok=False)
    first = run("solar", failing, grid_power_w=-5000.0)
    later = run("solar", failing, first.memory, at(18, 2), grid_power_w=-5000.0)
    assert later.action is None and "the AMPECO cloud is failing" in later.reason
    assert run("solar", PLUGGED, later.memory, at(18, 3), grid_power_w=-5000.0).action == Action(StartCharging.name, 7)


def test_a_change_of_mode_starts_the_solar_timers_afresh():
    waiting = run("solar", grid_power_w=-5000.0)
    other = run("now", UNPLUGGED, waiting.memory)
    assert run("solar", memory=other.memory, now=at(18, 2), grid_power_w=-5000.0).action is None


def test_only_commands_and_new_situations_are_notable():
    first = run("now", CHARGING)
    assert first.notable and first.code == "now/now/charging"
    assert not run("now", CHARGING, first.memory).notable
    assert run("now", UNPLUGGED, first.memory).notable


def test_a_restart_between_two_decisions_changes_nothing():
    memory = run("solar", grid_power_w=-5000.0).memory
    for later in (memory, SmartMemory.from_dict(memory.to_dict())):
        assert run("solar", memory=later, now=at(18, 1), grid_power_w=-5000.0).action == Action(StartCharging.name, 7)


def test_the_sensor_shows_the_mode_the_reason_the_plan_and_the_progress():
    decision = run(
        "cheapest", replace(PLUGGED, energy_meter_kwh=105.0), replace(SmartMemory(), plugged_meter_kwh=100.0), **NIGHT
    )
    state, attributes = sensor_state(decision)
    assert state == "cheapest"
    assert attributes == {
        "reason": "next cheapest slot at 02:00 (5.0 of 20 kWh); not charging, as wanted",
        "command": None,
        "next_action": "start at 02:00",
        "next_action_at": "2025-06-18T02:00:00+02:00",
        "plan": [
            {
                "start": "2025-06-18T02:00:00+02:00",
                "end": "2025-06-18T03:00:00+02:00",
                "price": 0.05,
                "energy_kwh": 11.04,
            },
            {
                "start": "2025-06-18T03:00:00+02:00",
                "end": "2025-06-18T03:21:31+02:00",
                "price": 0.05,
                "energy_kwh": 3.96,
            },
        ],
        "plan_slots_left_out": 0,
        "plan_energy_kwh": 15.0,
        "plan_cost": 0.75,
        "departure": "2025-06-18T07:00:00+02:00",
        "target_reachable": True,
        "delivered_kwh": 5.0,
        "target_kwh": 20.0,
        "progress_percent": 25,
    }


def test_the_sensor_without_a_plan():
    state, attributes = sensor_state(run("now", CHARGING))
    assert state == "now" and attributes["plan"] == [] and attributes["target_reachable"] is None


@pytest.mark.parametrize("asked", [1e9, 1e300])
def test_a_target_more_than_any_car_holds_is_planned_as_the_most_a_car_holds_and_says_so(asked):
    decision = run("cheapest", **{**NIGHT, "target_energy_kwh": asked})
    assert decision.action == Action(StartCharging.name, 16)  # every known slot: the car takes what it can
    assert decision.progress.target_kwh == MAX_TARGET_KWH and decision.plan.needed_kwh == MAX_TARGET_KWH
    assert f"input_number.kwh asks for {asked:g} kWh, more than any car holds" in decision.reason


def test_the_sensor_shows_the_first_slots_of_a_long_plan_and_counts_the_rest():
    minutes = tuple(PriceSlot(EVENING + i * MINUTE, EVENING + (i + 1) * MINUTE, 0.1 + i % 7 / 100) for i in range(600))
    decision = run("cheapest", **{**NIGHT, "prices": minutes, "target_energy_kwh": 100.0})
    _, attributes = sensor_state(decision)
    assert len(decision.plan.slots) == 544 and attributes["plan_slots_left_out"] == 544 - PLAN_SHOWN
    assert [slot["start"] for slot in attributes["plan"]] == [
        iso_time(slot.start, CEST) for slot in decision.plan.slots[:PLAN_SHOWN]
    ]
    assert attributes["plan_energy_kwh"] == 100 and len(json.dumps(attributes)) < 16_000 / 2
