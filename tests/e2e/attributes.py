"""The attributes docs/guide/entities.md lists, with the JSON types Home Assistant must give them back in.

AppDaemon 4.5.13's set_state drops 0, false and null and sends true as "true"; the app carries them another way
(see the entities page), and these checks read what arrived through Home Assistant's own REST API.
"""

from typing import Any

NUMBER = (int, float)
TEXT_OR_NULL = (str, type(None))
NUMBER_OR_NULL = (int, float, type(None))
# entity key: {attribute: JSON types}; every data entity also carries `stale` (a bool).
DOCUMENTED: dict[str, dict[str, tuple[type, ...]]] = {
    "charger_status": {
        "charger_name": TEXT_OR_NULL,
        "firmware_version": TEXT_OR_NULL,
        "smart_charging_enabled": (bool, type(None)),
        "allowed_max_power_kw": NUMBER_OR_NULL,
    },
    "polling_interval": {
        "is_charging": (bool,),
        "retry_count": (int,),
        "last_good_reading": TEXT_OR_NULL,
        "last_error": TEXT_OR_NULL,
    },
    "max_current": {"allowed_min_current": NUMBER_OR_NULL, "allowed_max_current": NUMBER_OR_NULL},
    "month_energy": {"month": (str,), "sessions": (int,)},
    "month_cost": {"month": (str,), "sessions": (int,)},
    "last_month_energy": {
        "month": (str,),
        "sessions": (int,),
        "as_the_cloud_counts_kwh": NUMBER_OR_NULL,
        "electricity_cost": NUMBER_OR_NULL,
        "tax_name": TEXT_OR_NULL,
        "tax_percent": NUMBER_OR_NULL,
    },
    "last_month_cost": {"month": (str,)},
    "session_cost": {"last_reset": TEXT_OR_NULL, "session_id": TEXT_OR_NULL},
    "energy_price": {"tariff": TEXT_OR_NULL},
    "live_updates": {
        "reason": TEXT_OR_NULL,
        "since": TEXT_OR_NULL,
    },
    "problem": {"reason": TEXT_OR_NULL},
}
ABOUT_THE_APP = {"polling_interval", "live_updates", "token_expiry", "problem"}  # no `stale`


# Through MQTT, `last_reset` is Home Assistant's own attribute of a `total` sensor: there once a session began.
HOME_ASSISTANTS_OWN = {"last_reset"}


def check(states: dict[str, dict[str, Any]], slug: str, mqtt: bool = False) -> list[tuple[str, str, Any]]:
    """Every documented attribute of one charger's entities is there with its type; returns (entity,
    attribute, value) for each, so a test can look for the 0, false, null and true it expects."""
    seen = []
    for entity_id, state in states.items():
        domain, _, rest = entity_id.partition(".")
        if not rest.startswith(f"evse_{slug}_") or domain not in ("sensor", "binary_sensor"):
            continue
        key = rest.removeprefix(f"evse_{slug}_")
        attributes = state["attributes"]
        wanted = dict(DOCUMENTED.get(key, {}))
        if key not in ABOUT_THE_APP and key != "smart_charging":
            wanted["stale"] = (bool,)
        for name, types in wanted.items():
            if mqtt and name in HOME_ASSISTANTS_OWN and name not in attributes:
                continue
            assert name in attributes, f"{entity_id} lost its attribute {name!r}: {attributes}"
            value = attributes[name]
            assert isinstance(value, types), f"{entity_id}.{name} = {value!r}, not {types}"
            assert not isinstance(value, bool) or bool in types, f"{entity_id}.{name} = {value!r}, not a number"
            seen.append((entity_id, name, value))
    return seen
