import pytest

from ampeco_ev_charger.const import SET_MAX_CURRENT, START, STOP, UPDATE
from ampeco_ev_charger.homeassistant.command_events import parse_command
from ampeco_ev_charger.homeassistant.events import COMMAND_EVENTS
from ampeco_ev_charger.runtime.commands import (
    CommandRefused,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateData,
)
from ampeco_ev_charger.runtime.execute import check_current

ONE = ["QNG0C18010"]
TWO = ["QNG0C18010", "ACE0549935"]


def event(name):
    return f"ampeco_ev_charger_{name}"


def refused(name, data, ids=TWO) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        parse_command(event(name), data, ids)
    return caught.value


def test_the_four_command_events():
    assert sorted(COMMAND_EVENTS.values()) == sorted([START, STOP, SET_MAX_CURRENT, UPDATE])


def test_a_start_with_whole_amps():
    assert parse_command(event(START), {"chargepoint_id": "ACE0549935", "max_current": 16}, TWO) == StartCharging(
        "ACE0549935", 16
    )
    assert parse_command(event(START), {"chargepoint_id": "ACE0549935", "max_current": 16.0}, TWO).max_current == 16


def test_the_charger_may_be_left_out_with_one_charger():
    assert parse_command(event(STOP), {"metadata": {"origin": "LOCAL"}}, ONE) == StopCharging("QNG0C18010")


def test_charger_ids_match_whatever_the_case_or_type():
    assert parse_command(event(STOP), {"chargepoint_id": "ace0549935"}, TWO).chargepoint_id == "ACE0549935"
    assert parse_command(event(STOP), {"chargepoint_id": 12345}, ["12345"]).chargepoint_id == "12345"


def test_update_without_a_charger_means_every_charger():
    assert parse_command(event(UPDATE), {}, TWO) == UpdateData(None)


@pytest.mark.parametrize("value", [5, 33, 16.5, "16", "abc", None, True, [16], -1, 0])
def test_current_must_be_whole_amps_from_6_to_32(value):
    err = refused(START, {"chargepoint_id": "ACE0549935", "max_current": value})
    assert err.chargepoint_id == "ACE0549935" and err.name == START
    assert "max_current" in err.message


def test_unknown_charger_names_the_configured_ones():
    err = refused(START, {"chargepoint_id": "NOPE"})
    assert err.chargepoint_id == "NOPE"
    assert "NOPE" in err.message and "QNG0C18010" in err.message


def test_missing_charger_with_two_configured():
    err = refused(STOP, {})
    assert err.chargepoint_id is None and "chargepoint_id is required" in err.message


def test_set_max_current_needs_a_current():
    assert "max_current is required" in refused(SET_MAX_CURRENT, {}, ONE).message
    assert parse_command(event(SET_MAX_CURRENT), {"max_current": 10}, ONE) == SetMaxCurrent(ONE[0], 10)


def test_a_current_outside_the_chargers_own_range():
    assert check_current(16, (6, 16)) is None
    assert check_current(20, (6, 16)) == "max_current 20 A is above this charger's maximum of 16 A"
    assert check_current(6, (8, 16)) == "max_current 6 A is below this charger's minimum of 8 A"
    assert check_current(32, (None, None)) is None
