import copy

import pytest

from ampeco_ev_charger.ampeco.errors import PayloadError
from ampeco_ev_charger.ampeco.models import charge_point_items, item_id, parse_charge_point, parse_session
from ampeco_ev_charger.ampeco.units import Units


def test_captured_charge_point_list_parses_as_it_is(fixture):
    items = charge_point_items(fixture("charge-points-list.json"))
    parsed = parse_charge_point(items[0], Units())
    cp = parsed.charge_point
    assert (cp.id, cp.name, cp.status) == ("ACE0549935", "NT2 nr. 264", "available")
    assert (cp.max_current_a, cp.allowed_min_current_a, cp.allowed_max_current_a) == (16, 6, 16)
    assert cp.allowed_max_power_kw == pytest.approx(11.1)  # sent as the string "11.1"
    assert cp.last_month_energy_kwh == pytest.approx(37.221)  # sent as the string "37.221"
    assert (cp.tax_name, cp.tax_percent, cp.firmware_version) == ("Moms", 25, "6.3.0-4185")
    evse = cp.evse()
    assert (evse.id, evse.identifier, evse.status) == ("148964", "2317", "suspended")
    assert evse.max_power_kw == pytest.approx(11.0)
    assert evse.connectors == ("Type 2 (cable)",)
    session = evse.session
    assert (session.id, session.evse_identifier, session.status, session.charging_state) == (
        "648418",
        "2317",
        "active",
        "suspendedEV",
    )
    assert session.is_open  # a full car (0 W, suspendedEV) still has its session
    assert parsed.oddities == []


def test_list_answer_may_be_bare(fixture):
    bare = fixture("charge-points-list.json")["data"]
    assert [item_id(i) for i in charge_point_items(bare)] == ["ACE0549935"]


@pytest.mark.parametrize("payload", [{"data": {"unexpected": True}}, {"items": []}, "text", 42, None])
def test_list_answer_of_the_wrong_shape_is_a_payload_error(payload):
    with pytest.raises(PayloadError):
        charge_point_items(payload)


def test_single_charge_point_may_be_wrapped_or_bare(fixture):
    item = fixture("charge-points-list.json")["data"][0]
    assert parse_charge_point({"data": item}, Units()).charge_point == parse_charge_point(item, Units()).charge_point


def test_charge_point_without_id_is_a_payload_error():
    with pytest.raises(PayloadError):
        parse_charge_point({"name": "no id"}, Units())


def test_captured_sessions_parse_in_kw_and_kwh(fixture):
    details = parse_session(fixture("session-details.json"), Units(), [])
    assert details.energy_kwh == pytest.approx(10.873)
    assert details.duration_s == 252855
    assert (details.status, details.stop_reason, details.currency) == ("finished", "remote", "DKK")
    assert not details.is_open
    end = parse_session(fixture("session-end.json"), Units(), [])
    assert end.power_kw == pytest.approx(3.481)
    assert end.energy_kwh == pytest.approx(0.489)
    assert (end.status, end.amount) == ("stopping", 2.5)
    start = parse_session(fixture("session-start.json"), Units(), [])
    assert (start.status, start.evse_status, start.charging_state) == ("starting", "preparing", "eVConnected")


def test_every_session_of_the_captured_history_parses(fixture):
    entries = fixture("session-history.json")["session_history"]
    energies = [parse_session(e["session"], Units(), []).energy_kwh for e in entries]
    assert energies == pytest.approx([10.873, 7.544, 8.233])


def test_units_override_applies_to_session_numbers(fixture):
    session = parse_session({"id": "1", "energy": 12.5, "power": 7.2}, Units(power="kW", energy="kWh"), [])
    assert (session.energy_kwh, session.power_kw) == (12.5, 7.2)


def test_unknown_fields_are_ignored_and_unknown_statuses_kept(fixture):
    item = copy.deepcopy(fixture("charge-points-list.json")["data"][0])
    item["brand_new_field"] = {"nested": [1, 2]}
    item["evses"][0]["status"] = "Hibernating"
    parsed = parse_charge_point(item, Units())
    assert parsed.charge_point.evse().status == "Hibernating"
    assert [o.kind for o in parsed.oddities] == ["evses[].status: unknown status"]


def test_known_statuses_get_one_spelling():
    item = {"id": "X", "evses": [{"id": "1", "status": "SuspendedEv", "session": None}]}
    assert parse_charge_point(item, Units()).charge_point.evse().status == "suspendedEV"


def test_bad_fields_become_none_and_are_reported_once_each(fixture):
    item = copy.deepcopy(fixture("charge-points-list.json")["data"][0])
    item["max_current_a"] = "abc"
    item["last_month_energy_kwh"] = None
    item["evses"][0]["session"]["energy"] = {"value": 1}
    del item["evses"][0]["session"]["power"]
    parsed = parse_charge_point(item, Units())
    cp = parsed.charge_point
    assert cp.max_current_a is None and cp.last_month_energy_kwh is None
    session = cp.evse().session
    assert session.energy_kwh is None and session.power_kw is None
    assert sorted(o.kind for o in parsed.oddities) == [
        "charge_point.max_current_a: not a number",
        "evses[].session.energy: not a number",
    ]


def test_ids_sent_as_numbers_become_text():
    item = {"id": 12345, "evses": [{"id": 148964, "identifier": 2317, "session": {"id": 648418, "status": "active"}}]}
    cp = parse_charge_point(item, Units()).charge_point
    assert (cp.id, cp.evse().id, cp.evse().identifier, cp.evse().session.id) == ("12345", "148964", "2317", "648418")


def test_an_evse_without_session_key_says_so():
    cp = parse_charge_point({"id": "X", "evses": [{"id": "1", "status": "charging"}]}, Units()).charge_point
    assert cp.evse().session is None and not cp.evse().session_reported
    cp = parse_charge_point({"id": "X", "evses": [{"id": "1", "session": None}]}, Units()).charge_point
    assert cp.evse().session is None and cp.evse().session_reported


def test_evse_lookup_by_id_or_printed_identifier():
    item = {"id": "X", "evses": [{"id": "10", "identifier": "A"}, {"id": "11", "identifier": "B"}]}
    cp = parse_charge_point(item, Units()).charge_point
    assert cp.evse().id == "10"
    assert cp.evse("11").identifier == "B"
    assert cp.evse("B").id == "11"
    assert cp.evse("99") is None


def test_allowed_current_range_takes_the_stricter_minimum():
    cp = parse_charge_point(
        {"id": "X", "allowed_min_current_a": 6, "min_charging_current": 8, "allowed_max_current_a": 32}, Units()
    ).charge_point
    assert cp.current_range == (8, 32)
    assert parse_charge_point({"id": "X"}, Units()).charge_point.current_range == (None, None)


def test_entries_that_are_not_objects_are_skipped():
    items = charge_point_items({"data": [None, "x", {"id": "A"}]})
    assert [item_id(i) for i in items] == ["A"]
    cp = parse_charge_point({"id": "A", "evses": ["junk", {"id": "1"}, {"no": "id"}]}, Units())
    assert [e.id for e in cp.charge_point.evses] == ["1"]
    assert {o.kind for o in cp.oddities} == {
        "charge_point.evses: list entries that are not objects",
        "evses[]: EVSE without an id",
    }


def test_a_trimmed_answer_parses_the_same_at_under_half_the_size(fixture):
    import json

    from ampeco_ev_charger.ampeco.models import trimmed

    item = fixture("charge-points-list.json")["data"][0]
    small = trimmed(item)
    assert parse_charge_point(small, Units()) == parse_charge_point(item, Units())
    assert len(json.dumps(small)) < len(json.dumps(item)) / 2


@pytest.mark.parametrize("spelt", ["out of order", "Out Of Order", "OUT_OF_ORDER", "out-of-order", "outOfOrder"])
def test_out_of_order_is_one_known_status_however_it_is_spelt(spelt):
    item = {"id": "X", "evses": [{"id": "1", "status": spelt, "session": None}]}
    parsed = parse_charge_point(item, Units())
    assert parsed.charge_point.evse().status == "out of order" and parsed.oddities == []


def test_what_other_tenants_send_about_the_charger_and_the_car(fixture):
    item = copy.deepcopy(fixture("charge-points-list.json")["data"][0])
    item["is_rebooting"] = True
    item["evses"][0] |= {"socPercent": 57, "isAvailable": False}
    cp = parse_charge_point(item, Units()).charge_point
    evse = cp.evse()
    assert cp.is_rebooting is True and evse.soc_percent == 57 and evse.is_available is False
    assert (evse.tariff_name, evse.price_per_kwh, evse.tariff_currency) == (
        "B-lav + spot-pris + 0,38 kr. gebyr (Sjælland)",
        1.068,
        "DKK",
    )
    item["evses"][0]["tariff"]["currency"] = {"code": "NOK", "sign": "kr"}  # a tenant sending the object
    assert parse_charge_point(item, Units()).charge_point.evse().tariff_currency == "NOK"


@pytest.mark.parametrize(
    ("answer", "percent"),
    [
        ({"session": {"id": "1"}, "carBatteryPercent": 64}, 64),  # beside the session
        ({"session": {"id": "1", "carBatteryPercent": "64"}}, 64),  # inside it, as text
        ({"session": {"id": "1"}, "carBatteryPercent": ""}, None),  # the car does not report it
        ({"session": {"id": "1", "carBatteryPercent": 140}}, None),  # not a percentage: not shown
        ({"id": "1"}, None),
    ],
)
def test_the_cars_state_of_charge_beside_or_inside_the_session(answer, percent):
    oddities = []
    assert parse_session(answer, Units(), oddities).car_battery_percent == percent
    assert oddities == []


def test_a_trimmed_answer_keeps_what_is_shown_of_the_tariff(fixture):
    from ampeco_ev_charger.ampeco.models import trimmed

    item = fixture("charge-points-list.json")["data"][0]
    assert trimmed(item)["evses"][0]["tariff"] == {
        "name": "B-lav + spot-pris + 0,38 kr. gebyr (Sjælland)",
        "currency": "DKK",
        "pricing": {"pricePerKwh": 1.068},
    }
