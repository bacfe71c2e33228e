"""Which apps.yaml edits AppDaemon 4.5 does not reload the app for, so the app restarts itself."""

from ampeco_ev_charger.reload_gap import unnoticed_removals

ENTRY = {
    "module": "ampeco_ev_charger.app",
    "auth_token": "t",
    "max_current": 45,
    "units": {"power": "kW", "energy": "kWh"},
    "chargers": [{"chargepoint_id": "A"}],
}


def without(entry: dict, *keys: str) -> dict:
    return {k: v for k, v in entry.items() if k not in keys}


def test_a_key_only_removed_is_what_appdaemon_misses():
    assert unnoticed_removals(without(ENTRY, "max_current"), ENTRY) == ["max_current"]
    assert unnoticed_removals(without(ENTRY, "chargers", "max_current"), ENTRY) == ["max_current", "chargers"]
    smaller_units = {**ENTRY, "units": {"power": "kW"}}
    assert unnoticed_removals(smaller_units, ENTRY) == ["units.energy"]


def test_a_change_appdaemon_reloads_for_by_itself_is_left_to_it():
    assert unnoticed_removals(ENTRY, ENTRY) == []  # nothing changed
    changed = {**without(ENTRY, "max_current"), "auth_token": "new"}  # a value changed as well
    assert unnoticed_removals(changed, ENTRY) == []
    assert unnoticed_removals({**ENTRY, "idle_interval": 60}, ENTRY) == []  # a key added
    assert unnoticed_removals({**ENTRY, "chargers": []}, ENTRY) == []  # lists are compared whole
    assert unnoticed_removals({**ENTRY, "units": "kW"}, ENTRY) == []  # a mapping that became text
