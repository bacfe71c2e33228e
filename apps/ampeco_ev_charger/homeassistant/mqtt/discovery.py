"""MQTT discovery as plain data: the topics, and the payloads that make each charger a Home Assistant device.

One device-based discovery message per charger (`{prefix}/device/{id}/config`, Home Assistant 2024.11 and
later) lists all its components; an empty retained message there removes the device and its entities.
Each entity's state and attributes travel together as one retained JSON message, so attributes keep their
types (0, false and null included) and `last_reset` can come with the state.

Pinned to Home Assistant 2025.4: `object_id` picks each entity id there. Home Assistant 2025.10 deprecated it
for `default_entity_id` (a full entity id), and `object_id` stops working in 2026.4; 2025.4 drops
`default_entity_id` without a word. Both are sent, so the ids are the same on either side of that change (and
once an entity is in the registry, its id stays whatever the keys say).
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ... import __version__
from ...ampeco import as_amps
from ...const import DOMAIN, entity_id
from ...runtime.commands import COMMANDS, MAX_CURRENT_A, MIN_CURRENT_A, Button, CommandRow
from ...runtime.view import ChargerView
from ..controls import SWITCH_OFF, SWITCH_ON, Controls
from ..entities import Entity

ONLINE, OFFLINE = "online", "offline"
SMART_MODE_KEY = "smart_charging_mode"  # the select the app offers for the smart charging mode
SMART_MODE_DOC = (
    "the smart charging mode, where `smart_charging` names no `mode_entity` of its own (just `true`); kept across "
    "restarts"
)
ACCOUNT_KEY = "cloud_connection"  # the account device's one entity
PRESS = "PRESS"
ORIGIN = {"name": "AMPECO EV charger for AppDaemon", "sw_version": __version__}
STATE = "{{ value_json.state }}"
ATTRIBUTES = "{{ value_json.attributes | tojson }}"
LAST_RESET = "{{ value_json.attributes.last_reset or '' }}"  # empty: no session yet, nothing to reset


@dataclass(frozen=True)
class Availability:
    """A topic that says whether something is there: the app, AppDaemon, a charger's reading."""

    topic: str
    online: str = ONLINE
    offline: str = OFFLINE

    def config(self) -> dict[str, str]:
        return {"topic": self.topic, "payload_available": self.online, "payload_not_available": self.offline}


@dataclass(frozen=True)
class Topics:
    prefix: str  # Home Assistant's discovery prefix
    base: str  # the app's own topics

    @property
    def app_status(self) -> str:
        return f"{self.base}/status"

    @property
    def commands(self) -> str:
        """Every control's command topic, as one subscription."""
        return f"{self.base}/+/+/set"

    @property
    def home_assistant_status(self) -> str:
        return f"{self.prefix}/status"

    def availability(self, slug: str) -> str:
        return f"{self.base}/{slug}/availability"

    def state(self, slug: str, key: str) -> str:
        return f"{self.base}/{slug}/{key}"

    def command(self, slug: str, key: str) -> str:
        return f"{self.state(slug, key)}/set"

    def device(self, device_id: str) -> str:
        return f"{self.prefix}/device/{device_id}/config"

    def parse_command(self, topic: str) -> tuple[str, str] | None:
        """(slug, key) of a command topic, else None."""
        parts = topic.removeprefix(f"{self.base}/").split("/")
        if not topic.startswith(f"{self.base}/") or len(parts) != 3 or parts[2] != "set":
            return None
        return parts[0], parts[1]


Act = Callable[[Controls, str, str], Awaitable[object]]  # (the charger's controls, the payload, the entity id)
ControlDomain = Literal["switch", "number", "button"]


def _no_config(_view: ChargerView) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class Control:
    """A control of a charger's device; it carries what it does with a command message (`act`)."""

    key: str
    domain: ControlDomain
    name: str
    icon: str
    doc: str  # what it does, for the documentation
    act: Act
    state: Callable[[ChargerView], Any] | None = None  # None: a button, nothing to show
    needs_reading: bool = True  # unavailable while the charger cannot be read
    config: Callable[[ChargerView], dict[str, Any]] = _no_config


def _limit_range(view: ChargerView) -> dict[str, Any]:
    low, high = view.charge_point.current_range if view.charge_point is not None else (None, None)
    low_a, high_a = as_amps(low), as_amps(high)
    minimum = max(MIN_CURRENT_A, int(low_a) if low_a is not None else MIN_CURRENT_A)
    maximum = min(MAX_CURRENT_A, int(high_a) if high_a is not None else MAX_CURRENT_A)
    return {
        "min": minimum,
        "max": max(minimum, maximum),
        "step": 1,
        "mode": "slider",
        "unit_of_measurement": "A",
        "device_class": "current",
    }


def _charging(view: ChargerView) -> str | None:
    if not view.available:
        return None
    return "on" if view.session is not None else "off"


def _limit(view: ChargerView) -> float | None:
    return as_amps(view.charge_point.max_current_a) if view.available and view.charge_point is not None else None


SWITCH = {"payload_on": SWITCH_ON, "payload_off": SWITCH_OFF, "state_on": SWITCH_ON, "state_off": SWITCH_OFF}


def _button(row: CommandRow, button: Button) -> Control:
    """A command of the registry offered as a button: it acts on its press payload only."""

    async def act(controls: Controls, payload: str, by: str) -> object:
        if payload == PRESS:
            return await controls.press(row, by)
        return await controls.wrong_payload(row, by, payload)

    return Control(
        key=button.key,
        domain="button",
        name=button.name,
        icon=button.icon,
        doc=button.doc,
        act=act,
        needs_reading=button.needs_reading,
    )


CONTROLS: tuple[Control, ...] = (
    Control(
        key="charge",
        domain="switch",
        name="Charge",
        icon="mdi:ev-station",
        doc="on while a session runs; turning it on starts charging, off stops it",
        act=lambda controls, payload, by: controls.switch(payload, by),
        state=_charging,
        config=lambda _view: SWITCH,
    ),
    Control(
        key="current_limit",
        domain="number",
        name="Current Limit",
        icon="mdi:current-ac",
        doc="the charger's current limit, whole amps within its range; a change works during a session",
        act=lambda controls, payload, by: controls.limit(payload, by, always=True),
        state=_limit,
        config=_limit_range,
    ),
    *(_button(row, row.button) for row in COMMANDS if row.button is not None),
)


@dataclass
class Device:
    """A device's discovery message: the device, and its components by key."""

    device_id: str
    info: dict[str, Any]
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    def payload(self) -> str:
        body = {"device": self.info, "origin": ORIGIN, "components": self.components}
        return json.dumps(body, separators=(",", ":"), sort_keys=True)


def charger_device(view: ChargerView, via: str) -> Device:
    cp, evse = view.charge_point, view.evse
    info: dict[str, Any] = {
        "identifiers": [charger_device_id(view.slug)],
        "name": view.name,
        "manufacturer": "AMPECO",
        "model": _model(evse.max_power_kw if evse else None, evse.connectors if evse else ()),
        "serial_number": view.chargepoint_id,
        "via_device": via,
    }
    if cp is not None and cp.firmware_version:
        info["sw_version"] = cp.firmware_version
    return Device(charger_device_id(view.slug), info)


def _model(max_power_kw: float | None, connectors: tuple[str, ...]) -> str:
    """The API names no model: what it says of the hardware, e.g. "22 kW type2 charge point"."""
    parts = [f"{max_power_kw:g} kW" if max_power_kw else "", " ".join(connectors), "charge point"]
    return " ".join(part for part in parts if part)


def charger_device_id(slug: str) -> str:
    return f"{DOMAIN}_{slug}"


def account_device_id(first_slug: str) -> str:
    return f"{DOMAIN}_account_{first_slug}"


def account_device(first_slug: str, host: str) -> Device:
    name = host.split("://", 1)[-1]
    info = {"identifiers": [account_device_id(first_slug)], "name": f"AMPECO account {name}", "manufacturer": "AMPECO"}
    return Device(account_device_id(first_slug), info | {"model": "Driver account"})


def entity_component(
    entity: Entity, topics: Topics, availability: list[Availability], options: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One sensor or binary sensor; `options` are every state an enum sensor has shown so far."""
    config = _common(entity.domain, entity.slug, entity.key, entity.name, entity.icon, availability)
    config |= {"state_topic": topics.state(entity.slug, entity.key), "value_template": STATE}
    config |= {"json_attributes_topic": topics.state(entity.slug, entity.key), "json_attributes_template": ATTRIBUTES}
    for key, value in (
        ("unit_of_measurement", entity.unit),
        ("device_class", entity.device_class),
        ("state_class", entity.state_class),
        ("entity_category", "diagnostic" if entity.diagnostic else None),
        ("options", list(options or entity.options) or None),
        ("last_reset_value_template", LAST_RESET if entity.state_class == "total" else None),
        ("enabled_by_default", None if entity.enabled_by_default else False),
    ):
        if value is not None:
            config[key] = value
    if entity.domain == "binary_sensor":
        config |= {"payload_on": "on", "payload_off": "off"}
    return config


def control_component(
    control: Control, view: ChargerView, topics: Topics, availability: list[Availability]
) -> dict[str, Any]:
    config = _common(control.domain, view.slug, control.key, control.name, control.icon, availability)
    config["command_topic"] = topics.command(view.slug, control.key)
    if control.state is None:
        config["payload_press"] = PRESS
    else:
        config |= {"state_topic": topics.state(view.slug, control.key), "value_template": STATE}
    return config | control.config(view)


def select_component(
    slug: str, key: str, name: str, options: tuple[str, ...], topics: Topics, availability: list[Availability]
) -> dict[str, Any]:
    config = _common("select", slug, key, name, "mdi:car-electric", availability)
    return config | {
        "command_topic": topics.command(slug, key),
        "state_topic": topics.state(slug, key),
        "value_template": STATE,
        "options": list(options),
    }


def account_entity_id(first_slug: str) -> str:
    return f"binary_sensor.ampeco_account_{first_slug}_{ACCOUNT_KEY}"


def account_component(first_slug: str, topics: Topics, availability: list[Availability]) -> dict[str, Any]:
    """The account's cloud connection: on while its last request to the AMPECO cloud worked."""
    unique_id = f"{account_device_id(first_slug)}_{ACCOUNT_KEY}"
    config = _identity("Cloud Connection", unique_id, account_entity_id(first_slug)) | {
        "device_class": "connectivity",
        "entity_category": "diagnostic",
        "state_topic": account_state_topic(topics, first_slug),
        "value_template": STATE,
        "json_attributes_topic": account_state_topic(topics, first_slug),
        "json_attributes_template": ATTRIBUTES,
        "payload_on": "on",
        "payload_off": "off",
    }
    return config | _availability(availability)


def account_state_topic(topics: Topics, first_slug: str) -> str:
    return f"{topics.base}/account_{first_slug}/{ACCOUNT_KEY}"


def tombstone(domain: str) -> dict[str, Any]:
    """A component that must not be there (smart charging was turned off): Home Assistant removes it."""
    return {"platform": domain}


def state_payload(state: Any, attributes: Mapping[str, Any] | None = None) -> str:
    """An entity's state with its attributes, as one JSON message (None: unknown)."""
    body: dict[str, Any] = {"state": state}
    if attributes is not None:
        body["attributes"] = dict(attributes)
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def _common(domain: str, slug: str, key: str, name: str, icon: str, availability: list[Availability]) -> dict[str, Any]:
    identity = _identity(name, f"{DOMAIN}_{slug}_{key}", entity_id(slug, key, domain))
    return identity | {"icon": icon} | _availability(availability)


def _identity(name: str, unique_id: str, full_id: str) -> dict[str, Any]:
    """Who an entity is: its unique id, and its entity id as Home Assistant before and after 2025.10 reads it."""
    domain, object_id = full_id.split(".", 1)
    return {
        "platform": domain,
        "name": name,
        "unique_id": unique_id,
        "object_id": object_id,
        "default_entity_id": full_id,
    }


def _availability(availability: list[Availability]) -> dict[str, Any]:
    return {"availability": [a.config() for a in availability], "availability_mode": "all"}
