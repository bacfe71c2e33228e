"""What a client learns of its tenant, kept across restarts: nothing foreign in the memory file is taken up."""

import pytest

from ampeco_ev_charger.ampeco import Evse, Tenant, other_key


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        ({"evse_key": "identifier", "active": False, "ongoing": True}, Tenant("identifier", False, True)),
        ({"evse_key": "identifier", "stop_path": "stop"}, Tenant("identifier", stop_path="stop")),
        ({"evse_key": "serial", "active": "yes", "stop_path": "/etc/passwd"}, Tenant()),
        (None, Tenant()),
        ([1, 2], Tenant()),
    ],
)
def test_what_a_tenant_taught_survives_a_restart_and_nothing_foreign_does(saved, expected):
    assert Tenant.from_dict(saved) == expected
    assert Tenant.from_dict(expected.to_dict()) == expected
    restored = Tenant()
    restored.restore(saved)
    assert restored == expected


def test_the_other_way_to_name_an_evse():
    assert other_key("identifier") == "id"
    assert other_key("id") == "identifier"


def test_a_start_tries_the_learnt_key_first_and_each_distinct_value_once():
    evse = Evse(id="148964", identifier="2317")
    assert Tenant().start_keys(evse) == ["id", "identifier"]
    assert Tenant("identifier").start_keys(evse) == ["identifier", "id"]
    assert Tenant().start_keys(Evse(id="7", identifier="7")) == ["id"]  # both name it alike: one try
    assert Tenant().start_keys(Evse(id="7")) == ["id"]
