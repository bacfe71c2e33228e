"""The dashboard and the blueprints users paste: valid YAML naming only entities and events the app has."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampeco_ev_charger.config import parse_config
from ampeco_ev_charger.homeassistant.entities import SENSORS
from ampeco_ev_charger.homeassistant.events import (
    COMMAND_EVENTS,
    COMMAND_RESULT,
    DIAGNOSTICS,
    DIAGNOSTICS_WRITTEN,
    SESSION_ENDED,
    SESSION_STARTED,
    STATUS_CHANGED,
    TOKEN_EXPIRING,
)
from ampeco_ev_charger.homeassistant.exports import EXPORT_SESSIONS, SESSIONS_EXPORTED

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((REPO / "blueprints").rglob("*.yaml"))
DOCUMENTATION = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
EVENTS = set(COMMAND_EVENTS) | {COMMAND_RESULT, SESSION_STARTED, SESSION_ENDED, STATUS_CHANGED, TOKEN_EXPIRING}
EVENTS |= {EXPORT_SESSIONS, SESSIONS_EXPORTED, DIAGNOSTICS, DIAGNOSTICS_WRITTEN}
APP_ENTITY = re.compile(r"^(sensor|binary_sensor)\.evse_[a-z0-9_]+?_(?P<key>[a-z_]+)$")


class Input(str):
    """A blueprint's `!input name`."""

    __slots__ = ()


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!input", lambda loader, node: Input(loader.construct_scalar(node)))


def load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=Loader)


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def pairs(node: Any, wanted: str) -> list[Any]:
    """Every value stored under the key `wanted`, anywhere."""
    if isinstance(node, dict):
        return [v for k, value in node.items() for v in ([value] if k == wanted else []) + pairs(value, wanted)]
    if isinstance(node, list):
        return [v for item in node for v in pairs(item, wanted)]
    return []


def known_entity(entity_id: str) -> bool:
    match = APP_ENTITY.match(entity_id)
    if not match:
        return False
    domain = entity_id.split(".", maxsplit=1)[0]
    return any(entity_id.endswith(f"_{s.key}") and s.domain == domain for s in SENSORS)


def test_the_dashboard_shows_only_entities_the_app_makes():
    dashboard = load(REPO / "examples" / "dashboard.yaml")
    cards = dashboard["views"][0]["cards"]
    assert {card["type"] for card in cards} >= {"entities", "gauge", "history-graph", "statistics-graph"}
    entities = [e for e in strings(dashboard) if re.match(r"^[a-z_]+\.[a-z0-9_]+$", e) and "." in e]
    app_entities = [e for e in entities if e.startswith(("sensor.", "binary_sensor."))]
    assert app_entities and all(known_entity(e) for e in app_entities), app_entities
    assert {"input_boolean.ev_charging", "input_number.ev_current"} <= set(entities)
    shown = {APP_ENTITY.match(e)["key"] for e in app_entities}
    assert {"evse_status", "charging_session", "charging_energy", "session_id", "total_energy", "problem"} <= shown


@pytest.mark.parametrize("path", BLUEPRINTS, ids=[p.stem for p in BLUEPRINTS])
def test_each_blueprint_is_complete_and_uses_the_contract(path: Path):
    blueprint = load(path)
    meta = blueprint["blueprint"]
    assert meta["domain"] == "automation" and meta["name"].startswith("EV charger - ")
    declared = set(meta["input"])
    used = {s for s in strings({k: v for k, v in blueprint.items() if k != "blueprint"}) if isinstance(s, Input)}
    assert used == declared, f"inputs declared but unused, or used but undeclared: {used ^ declared}"
    assert blueprint["triggers"] and blueprint["actions"]
    events = pairs(blueprint, "event_type") + pairs(blueprint, "event")
    assert set(events) <= EVENTS, events
    for value in strings(blueprint):
        if value.startswith(("sensor.evse_", "binary_sensor.evse_")):
            assert known_entity(value), value


def documentation() -> str:
    """The README and every page of docs/."""
    return "\n".join(path.read_text() for path in DOCUMENTATION)


def test_the_events_the_documentation_names_exist():
    # Whole names only: `ampeco_ev_charger_account_<slug>` is a device id with a placeholder, not an event.
    whole = r"ampeco_ev_charger_[a-z_]*[a-z](?![a-z_<{])"
    # Not events: the exports folder's name.
    named = set(re.findall(whole, documentation())) - {"ampeco_ev_charger_config_error", "ampeco_ev_charger_exports"}
    assert named <= EVENTS, named - EVENTS


def test_every_test_the_documentation_names_exists():
    """The reliability and security rows point at tests: each must be there, under that name, and a test file
    named by its path (`tests/unit/runtime/test_store.py`) where the path says."""
    named = set(re.findall(r"(test_\w+)::(test_\w+)", documentation()))
    assert len(named) > 30
    for module, test in sorted(named):
        texts = [path.read_text() for path in (REPO / "tests").rglob(f"{module}.py")]
        assert any(f"def {test}(" in text for text in texts), f"{module}::{test}"
    paths = set(re.findall(r"\btests/[\w/]+\.py\b", documentation()))
    assert sorted(path for path in paths if not (REPO / path).exists()) == []


@pytest.mark.parametrize("mqtt", [False, True])
def test_the_apps_yaml_example_is_a_valid_configuration(mqtt):
    """What the install steps tell users to copy, with the token from secrets.yaml (and MQTT turned on)."""
    text = (REPO / "apps" / "ampeco_ev_charger" / "apps.yaml.example").read_text()
    if mqtt:
        text = text.replace("# mqtt: true", "mqtt: true")
    Loader.add_constructor("!secret", lambda loader, node: "eyJ0eXAi.from-secrets")
    ((name, args),) = yaml.load(text, Loader=Loader).items()
    config = parse_config({**args, "name": name})
    assert config.chargers[0].chargepoint_id == "QNG0C18010" and not config.warnings
    assert (config.mqtt is not None) == mqtt
