import pytest

from ampeco_ev_charger.homeassistant.command_events import parse_command
from ampeco_ev_charger.homeassistant.events import COMMAND_EVENTS
from ampeco_ev_charger.runtime.commands import (
    CommandRefused,
    Reason,
    SetMaxCurrent,
    StartCharging,
    StopCharging,
    UpdateAll,
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


def test_one_event_per_command_of_the_registry():
    names = sorted(row.name for row in COMMAND_EVENTS.values())
    assert names == sorted([StartCharging.name, StopCharging.name, SetMaxCurrent.name, UpdateData.name])


def test_a_start_with_whole_amps():
    assert parse_command(
        event(StartCharging.name), {"chargepoint_id": "ACE0549935", "max_current": 16}, TWO
    ) == StartCharging("ACE0549935", 16)
    assert (
        parse_command(event(StartCharging.name), {"chargepoint_id": "ACE0549935", "max_current": 16.0}, TWO).max_current
        == 16
    )


def test_the_charger_may_be_left_out_with_one_charger():
    assert parse_command(event(StopCharging.name), {"metadata": {"origin": "LOCAL"}}, ONE) == StopCharging("QNG0C18010")


def test_charger_ids_match_whatever_the_case_or_type():
    assert parse_command(event(StopCharging.name), {"chargepoint_id": "ace0549935"}, TWO).chargepoint_id == "ACE0549935"
    assert parse_command(event(StopCharging.name), {"chargepoint_id": 12345}, ["12345"]).chargepoint_id == "12345"


def test_update_without_a_charger_means_every_charger():
    assert parse_command(event(UpdateData.name), {}, TWO) == UpdateAll()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (5, Reason.OUT_OF_RANGE),
        (33, Reason.OUT_OF_RANGE),
        ("40", Reason.OUT_OF_RANGE),
        (-1, Reason.OUT_OF_RANGE),
        (0, Reason.OUT_OF_RANGE),
        (16.5, Reason.INVALID_VALUE),
        ("16.5", Reason.INVALID_VALUE),
        ("abc", Reason.INVALID_VALUE),
        ("", Reason.INVALID_VALUE),
        ("nan", Reason.INVALID_VALUE),
        (float("inf"), Reason.INVALID_VALUE),
        (True, Reason.INVALID_VALUE),
        ([16], Reason.INVALID_VALUE),
    ],
)
def test_current_must_be_whole_amps_from_6_to_32(value, reason):
    err = refused(StartCharging.name, {"chargepoint_id": "ACE0549935", "max_current": value})
    assert err.chargepoint_id == "ACE0549935" and err.name == StartCharging.name
    assert "max_current" in err.message and err.reason is reason


def test_numbers_as_text_are_numbers_as_templates_render_them():
    """Home Assistant templates often render numbers as text: "10" is 10, as apps.yaml takes "30"."""
    data = {"chargepoint_id": "ACE0549935", "max_current": " 10 "}
    assert parse_command(event(SetMaxCurrent.name), data, TWO) == SetMaxCurrent("ACE0549935", 10)
    assert parse_command(event(StartCharging.name), data | {"max_current": "16.0"}, TWO).max_current == 16
    assert "got the text 'abc'" in refused(SetMaxCurrent.name, data | {"max_current": "abc"}).message


@pytest.mark.parametrize(
    "value",
    ["9" * 100_000, 10**5000, -(10**400), {"a": ["b" * 10_000]}],
    ids=["long text", "too many digits to print", "400 digits", "nested"],
)
def test_a_huge_current_is_refused_in_a_short_answer(value):
    """Whatever a script sends, the answer (an event, a log line, a notification) stays one short sentence."""
    err = refused(SetMaxCurrent.name, {"chargepoint_id": "ACE0549935", "max_current": value})
    assert err.reason in {Reason.INVALID_VALUE, Reason.OUT_OF_RANGE}
    assert err.message.startswith("max_current must be") and len(err.message) < 200


def test_a_start_without_a_current_or_with_null_keeps_the_chargers_limit():
    assert parse_command(event(StartCharging.name), {"max_current": None}, ONE) == StartCharging(ONE[0], None)


def test_unknown_charger_names_the_configured_ones():
    err = refused(StartCharging.name, {"chargepoint_id": "NOPE"})
    assert err.chargepoint_id == "NOPE" and err.reason is Reason.UNKNOWN_CHARGER
    assert "NOPE" in err.message and "QNG0C18010" in err.message


def test_an_unknown_charger_of_a_megabyte_is_echoed_as_40_characters():
    err = refused(StopCharging.name, {"chargepoint_id": "x" * 1_000_000})
    assert err.chargepoint_id == "x" * 40 and len(err.message) < 200


def test_missing_charger_with_two_configured():
    err = refused(StopCharging.name, {})
    assert err.chargepoint_id is None and "chargepoint_id is required" in err.message


def test_set_max_current_needs_a_current():
    assert "max_current is required" in refused(SetMaxCurrent.name, {}, ONE).message
    assert parse_command(event(SetMaxCurrent.name), {"max_current": 10}, ONE) == SetMaxCurrent(ONE[0], 10)


def test_a_current_outside_the_chargers_own_range_or_its_configured_cap():
    assert check_current(16, (6, 16)) is None
    assert check_current(32, (None, None)) is None
    above, below, capped = check_current(20, (6, 16)), check_current(6, (8, 16)), check_current(16, (6, 32), cap=13)
    assert above is not None and above.error == "max_current 20 A is above this charger's maximum of 16 A"
    assert below is not None and below.error == "max_current 6 A is below this charger's minimum of 8 A"
    assert capped is not None and "above the 13 A configured for this charger" in (capped.error or "")
    assert {above.reason, below.reason, capped.reason} == {Reason.OUT_OF_RANGE}
