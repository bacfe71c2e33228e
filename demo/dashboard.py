"""The demo's Home Assistant side: a dashboard for both chargers with their history, the Energy dashboard's
configuration, scripts behind its buttons, the helpers
of the dashboard controls, buttons that stand in for the driver (plug the simulated car in and out, start
from the vendor's phone app: the simulator's control API via `rest_command`), and an automation on
`session_ended` (which the end-to-end tests watch)."""

from typing import Any

import yaml

from ampeco_ev_charger.const import slugify


def _charger_cards(chargepoint_id: str, name: str, controls: str, smart: str | None) -> list[dict[str, Any]]:
    """`controls`: "helpers" (input_boolean, input_number), "device" (MQTT's switch and number) or "";
    `smart`: the entity choosing the smart charging mode, if any."""
    slug = slugify(chargepoint_id)
    sensor, binary = f"sensor.evse_{slug}", f"binary_sensor.evse_{slug}"
    rows: list[Any] = [
        {"entity": f"{sensor}_evse_status", "name": "Status"},
        {"entity": f"{binary}_plugged_in", "name": "Car plugged in"},
        {"entity": f"{binary}_charging", "name": "Charging"},
        {"entity": f"{sensor}_charging_energy", "name": "Session energy"},
        {"entity": f"{sensor}_charging_duration", "name": "Session duration"},
        {"entity": f"{sensor}_session_id", "name": "Session"},
        {"entity": f"{sensor}_total_energy", "name": "Total energy"},
        {"entity": f"{binary}_problem", "name": "Problem"},
        {"entity": f"{sensor}_live_updates", "name": "Live updates", "secondary_info": "last-changed"},
    ]
    if controls == "helpers":
        rows += [
            {"entity": f"input_boolean.ev_charging_{slug}", "name": "Charge (toggle)"},
            {"entity": f"input_number.ev_current_{slug}", "name": "Current limit"},
        ]
    elif controls == "device":
        rows += [
            {"entity": f"switch.evse_{slug}_charge", "name": "Charge"},
            {"entity": f"number.evse_{slug}_current_limit", "name": "Current limit"},
        ]
    if smart:
        rows += [
            {"entity": smart, "name": "Smart charging mode"},
            {
                "entity": f"{sensor}_smart_charging",
                "name": "Smart charging",
                "secondary_info": "attribute",
                "attribute": "reason",
            },
        ]
    return [
        {
            "type": "vertical-stack",
            "cards": [
                {"type": "entities", "title": name, "state_color": True, "entities": rows},
                {
                    "type": "gauge",
                    "entity": f"{sensor}_charging_session",
                    "name": f"{name} power",
                    "unit": "kW",
                    "min": 0,
                    "max": 11,
                    "needle": True,
                },
                {
                    "type": "horizontal-stack",
                    "cards": [
                        _button(f"Start {name}", "mdi:play", f"script.start_{slug}"),
                        _button(f"Stop {name}", "mdi:stop", f"script.stop_{slug}"),
                    ],
                },
                {
                    "type": "horizontal-stack",
                    "cards": [
                        _button("Plug in car", "mdi:power-plug", f"rest_command.simulator_plug_in_{slug}"),
                        _button("Unplug car", "mdi:power-plug-off", f"rest_command.simulator_unplug_{slug}"),
                        _button("Start from phone", "mdi:cellphone", f"rest_command.simulator_phone_start_{slug}"),
                    ],
                },
            ],
        }
    ]


def _button(name: str, icon: str, action: str) -> dict[str, Any]:
    return {
        "type": "button",
        "name": name,
        "icon": icon,
        "tap_action": {"action": "perform-action", "perform_action": action},
    }


def _mode_entity(charger: dict[str, Any]) -> str | None:
    smart = charger.get("smart_charging")
    if smart is True:  # with MQTT: the app's own select
        return f"select.evse_{slugify(charger['chargepoint_id'])}_smart_charging_mode"
    return smart["mode_entity"] if isinstance(smart, dict) else None


def _history_cards(chargers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What people would rather look at than read: power and current over the last hours, energy per day."""
    slugs = [(slugify(c["chargepoint_id"]), c["name"]) for c in chargers]
    return [
        {
            "type": "vertical-stack",
            "cards": [
                {
                    "type": "history-graph",
                    "title": "Charging power and current",
                    "hours_to_show": 3,
                    "entities": [
                        {"entity": f"sensor.evse_{slug}_{key}", "name": f"{name} {label}"}
                        for slug, name in slugs
                        for key, label in (("charging_power", "power"), ("charging_current", "current"))
                    ],
                },
                {
                    "type": "statistics-graph",
                    "title": "Energy per day",
                    "period": "day",
                    "days_to_show": 7,
                    "chart_type": "bar",
                    "stat_types": ["change"],
                    "entities": [{"entity": f"sensor.evse_{slug}_total_energy", "name": name} for slug, name in slugs],
                },
            ],
        }
    ]


def energy_prefs(chargers: list[dict[str, Any]]) -> dict[str, Any]:
    """The Energy dashboard as its settings page saves it: each charger an individual device; and, since Home
    Assistant takes a cost entity only with a consumption source, each charger's meter also a grid
    consumption with the cost of its sessions (this demo has no house meter)."""
    meters = [(f"sensor.evse_{slugify(c['chargepoint_id'])}", c["name"]) for c in chargers]
    return {
        "energy_sources": [
            {
                "type": "grid",
                "flow_from": [
                    {
                        "stat_energy_from": f"{prefix}_total_energy",
                        "stat_cost": f"{prefix}_session_cost",
                        "entity_energy_price": None,
                        "number_energy_price": None,
                    }
                    for prefix, _name in meters
                ],
                "flow_to": [],
                "cost_adjustment_day": 0,
            }
        ],
        "device_consumption": [{"stat_consumption": f"{prefix}_total_energy", "name": name} for prefix, name in meters],
    }


def dashboard(chargers: list[dict[str, Any]], mqtt: bool) -> str:
    """ui-lovelace.yaml: one column per charger, and one of history."""
    cards = [
        card
        for c in chargers
        for card in _charger_cards(
            c["chargepoint_id"],
            c["name"],
            "helpers" if "charging_switch" in c else "device" if mqtt else "",
            _mode_entity(c),
        )
    ] + _history_cards(chargers)
    return yaml.safe_dump(
        {
            "title": "AMPECO demo",
            "views": [{"title": "EV chargers", "path": "ev", "icon": "mdi:ev-station", "cards": cards}],
        },
        sort_keys=False,
    )


def package(chargers: list[dict[str, Any]], simulator_url: str) -> str:
    """Scripts that fire the app's events, the helpers, the simulator's plug, and the automation the tests watch."""
    scripts: dict[str, Any] = {}
    plugs: dict[str, Any] = {}
    for c in chargers:
        slug, cp = slugify(c["chargepoint_id"]), c["chargepoint_id"]
        scripts[f"start_{slug}"] = {
            "alias": f"Start charging {c['name']}",
            "sequence": [
                {"event": "ampeco_ev_charger_start_charging", "event_data": {"chargepoint_id": cp, "max_current": 16}}
            ],
        }
        scripts[f"stop_{slug}"] = {
            "alias": f"Stop charging {c['name']}",
            "sequence": [{"event": "ampeco_ev_charger_stop_charging", "event_data": {"chargepoint_id": cp}}],
        }
        for action, plugged in (("plug_in", "true"), ("unplug", "false")):
            plugs[f"simulator_{action}_{slug}"] = {
                "url": f"{simulator_url}/_sim/chargers/{cp}",
                "method": "post",
                "content_type": "application/json",
                "payload": f'{{"plugged": {plugged}}}',
            }
        plugs[f"simulator_phone_start_{slug}"] = {"url": f"{simulator_url}/_sim/chargers/{cp}/start", "method": "post"}
    controlled = [c for c in chargers if "charging_switch" in c]
    modes = {
        c["smart_charging"]["mode_entity"].split(".")[1]: {
            "name": f"{c['name']} smart charging",
            "options": ["off", "now", "solar", "min+solar", "cheapest"],
            "initial": "off",
        }
        for c in chargers
        if isinstance(c.get("smart_charging"), dict)
    }
    return yaml.safe_dump(
        {
            "script": scripts,
            "rest_command": plugs,
            "input_select": modes,
            "input_boolean": {
                c["charging_switch"].split(".")[1]: {"name": f"{c['name']} charging"} for c in controlled
            },
            "input_number": {
                c["current_limit"].split(".")[1]: {
                    "name": f"{c['name']} current limit",
                    "min": 6,
                    "max": 16,
                    "step": 1,
                    "unit_of_measurement": "A",
                    "mode": "slider",
                }
                for c in controlled
            },
            "counter": {"sessions_ended": {"name": "Sessions ended"}},
            "input_text": {"last_session": {"name": "Last session", "max": 255}},
            "automation": [
                {
                    "id": "demo_session_ended",
                    "alias": "Note each ended charging session",
                    "triggers": [{"trigger": "event", "event_type": "ampeco_ev_charger_session_ended"}],
                    "actions": [
                        {"action": "counter.increment", "target": {"entity_id": "counter.sessions_ended"}},
                        {
                            "action": "input_text.set_value",
                            "target": {"entity_id": "input_text.last_session"},
                            "data": {
                                "value": "{{ trigger.event.data.session_id }}: {{ trigger.event.data.energy_kwh }} kWh"
                            },
                        },
                    ],
                }
            ],
        },
        sort_keys=False,
    )
