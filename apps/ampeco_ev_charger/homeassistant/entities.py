"""What one charger looks like in Home Assistant: its sensors and binary sensors, as plain data.

Values are never faked: without a reading a sensor is `unavailable`; while the cloud fails the last good
reading stays, marked `stale`, until `unavailable_after` seconds have passed since it was read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..ampeco import KNOWN_EVSE_STATUSES, ChargePoint, as_amps, is_fault_status, is_known_status, rounded, status_is
from ..const import entity_id
from ..runtime.view import ChargerView
from ..times import iso_time
from .hass import EntityState

ATTRIBUTION = "Data provided by the AMPECO cloud"
UNAVAILABLE = "unavailable"
IEC_LETTERS = ("A", "B", "C", "E", "F")
PUSH_STATES = ("off", "connecting", "subscribed", "failed")


@dataclass(frozen=True)
class Sensor:
    """One entity of a charger; binary sensors are sensors of the `binary_sensor` domain."""

    key: str
    name: str
    icon: str
    state: Callable[[ChargerView], Any]
    attributes: Callable[[ChargerView], dict[str, Any]] = lambda _view: {}
    unit: str | None = None
    unit_of: Callable[[ChargerView], str | None] | None = None  # a unit known only from the reading (money)
    device_class: str | None = None
    state_class: str | None = None
    diagnostic: bool = False
    # Describes the app itself, so it is shown even when the cloud cannot be read.
    always_available: bool = False
    domain: str = "sensor"
    options: tuple[str, ...] = ()  # an enum sensor's states (a status the app does not know is added)


def _cp(view: ChargerView) -> ChargePoint:
    assert view.charge_point is not None  # callers only read sensors of an available view
    return view.charge_point


def _power(view: ChargerView) -> float:
    """Present power; 0 without a session (the car is not drawing anything)."""
    session = view.session
    if session is None or session.power_kw is None:
        return 0.0
    return round(session.power_kw, 3)


def _current(view: ChargerView) -> float | int:
    """The limit in force while a session runs: the API reports no measured current."""
    limit = _cp(view).max_current_a
    if view.session is None or limit is None:
        return 0
    return as_amps(limit) or 0


def _session_attributes(view: ChargerView) -> dict[str, Any]:
    session, summary = view.session, view.memory.session
    if session is None or summary is None:
        return {}
    return {
        "session_id": session.id,
        "started_at": summary.started_at,
        "energy_kwh": rounded(summary.energy_kwh, 3),
        "duration_min": rounded(summary.duration_min, 1),
        "power_kw": rounded(session.power_kw, 3),
        "average_power_kw": rounded(session.power_avg_kw, 3),
        "status": session.status,
        "evse_status": session.evse_status,
        "charging_state": session.charging_state,
        "amount": summary.amount,
        "currency": summary.currency,
        "electricity_cost": session.electricity_cost,
    }


def _evse_attributes(view: ChargerView) -> dict[str, Any]:
    evse = view.evse
    if evse is None:
        return {}
    return {
        "evse_id": evse.id,
        "evse_identifier": evse.identifier,
        "connectors": list(evse.connectors),
        "max_power_kw": rounded(evse.max_power_kw, 2),
    }


def _charger_attributes(view: ChargerView) -> dict[str, Any]:
    cp = _cp(view)
    return {
        "charger_name": cp.name,
        "firmware_version": cp.firmware_version,
        "smart_charging_enabled": cp.smart_charging_enabled,
        "allowed_max_power_kw": cp.allowed_max_power_kw,
    }


def _poll_attributes(view: ChargerView) -> dict[str, Any]:
    """Nothing here changes on a poll that brings no news: Home Assistant's recorder writes a row per change."""
    return {
        "is_charging": view.poll.is_charging,
        "retry_count": view.poll.retry_count,
        "last_good_reading": iso_time(view.last_success) if view.stale else None,
        "last_error": view.poll.error or view.problem,
    }


def _limit_attributes(view: ChargerView) -> dict[str, Any]:
    low, high = _cp(view).current_range
    return {"allowed_min_current": as_amps(low), "allowed_max_current": as_amps(high)}


def _month_attributes(view: ChargerView) -> dict[str, Any]:
    cp = _cp(view)
    return {"electricity_cost": cp.last_month_electricity_cost, "tax_name": cp.tax_name, "tax_percent": cp.tax_percent}


def _energy(view: ChargerView) -> float | None:
    summary = view.summary
    return None if summary is None else rounded(summary.energy_kwh, 3)


def _duration(view: ChargerView) -> float | None:
    summary = view.summary
    return None if summary is None else rounded(summary.duration_min, 1)


def _on(flag: bool | None) -> str | None:
    return None if flag is None else ("on" if flag else "off")


def _charging(view: ChargerView) -> str | None:
    """Power flows (or the charger says it is charging and power is about to show)."""
    session = view.session
    status = view.evse.status if view.evse is not None else None
    return _on(session is not None and ((session.power_kw or 0) > 0 or status_is(status, "charging")))


def _plugged_in(view: ChargerView) -> str | None:
    if view.evse is not None and view.evse.car_plugged_in:
        return "on"
    status = view.evse.status if view.evse is not None else None
    return None if status is None or not is_known_status(status) else "off"


def _iec_status(view: ChargerView) -> str | None:
    """The IEC 61851 letter evcc and others read: A no car, B a car, C charging, E an error, F not available."""
    evse = view.evse
    if evse is None or evse.status is None:
        return None
    if status_is(evse.status, "faulted"):
        return "E"
    if is_fault_status(evse.status) or evse.is_available is False or _cp(view).is_rebooting:
        return "F"
    if _charging(view) == "on":
        return "C"
    if evse.car_plugged_in:
        return "B"
    return "A" if is_known_status(evse.status) else None


def _total_energy(view: ChargerView) -> float:
    return round(view.memory.total_energy_kwh, 3)


def _session_cost(view: ChargerView) -> float | None:
    """What the current session has cost so far, else what the last one cost."""
    summary = view.summary
    return None if summary is None else summary.amount


def _cost_attributes(view: ChargerView) -> dict[str, Any]:
    """A new session starts the count again: Home Assistant's statistics add each session's cost up."""
    summary = view.summary
    if summary is None:
        return {"last_reset": None, "session_id": None}
    return {"last_reset": summary.started_at, "session_id": summary.id}


def _price_unit(view: ChargerView) -> str | None:
    currency = view.evse.tariff_currency if view.evse is not None else None
    return f"{currency}/kWh" if currency else None


def _live_updates(view: ChargerView) -> str:
    return "off" if view.push is None else view.push.state


def _live_update_attributes(view: ChargerView) -> dict[str, Any]:
    push = view.push
    if push is None:
        return {"reason": "turned off in apps.yaml (push: false)"}
    return {"reason": push.reason, "since": iso_time(push.since)}  # not per event: a database row each


def _tariff_attributes(view: ChargerView) -> dict[str, Any]:
    return {"tariff": view.evse.tariff_name if view.evse is not None else None}


SENSORS: tuple[Sensor, ...] = (
    Sensor("charger_status", "Charger Status", "mdi:ev-station", lambda v: _cp(v).status, _charger_attributes),
    Sensor(
        "charging_session",
        "Charging Session",
        "mdi:ev-plug-type2",
        _power,
        _session_attributes,
        unit="kW",
        device_class="power",
        state_class="measurement",
    ),
    Sensor(
        "charging_power",
        "Charging Power",
        "mdi:flash",
        lambda v: round(_power(v) * 1000),
        unit="W",
        device_class="power",
        state_class="measurement",
    ),
    Sensor(
        "charging_current",
        "Charging Current",
        "mdi:current-ac",
        _current,
        unit="A",
        device_class="current",
        state_class="measurement",
    ),
    Sensor(
        "charging_energy",
        "Charging Energy",
        "mdi:lightning-bolt",
        _energy,
        unit="kWh",
        device_class="energy",
        state_class="total_increasing",
    ),
    Sensor(
        "charging_duration", "Charging Duration", "mdi:timer-outline", _duration, unit="min", device_class="duration"
    ),
    Sensor(
        "evse_status",
        "EVSE Status",
        "mdi:ev-plug-type2",
        lambda v: v.evse.status if v.evse else None,
        _evse_attributes,
        device_class="enum",
        options=KNOWN_EVSE_STATUSES,
    ),
    Sensor(
        "polling_interval",
        "Polling Interval",
        "mdi:timer-sync-outline",
        lambda v: round(v.poll.delay),
        _poll_attributes,
        unit="s",
        device_class="duration",
        diagnostic=True,
        always_available=True,
    ),
    Sensor(
        "max_current",
        "Max Current",
        "mdi:current-ac",
        lambda v: as_amps(_cp(v).max_current_a),
        _limit_attributes,
        unit="A",
        device_class="current",
        diagnostic=True,
    ),
    Sensor(
        "last_month_energy",
        "Last Month Energy",
        "mdi:calendar-month",
        lambda v: rounded(_cp(v).last_month_energy_kwh, 3),
        _month_attributes,
        unit="kWh",
        device_class="energy",
        diagnostic=True,
    ),
    Sensor(
        "session_id", "Session ID", "mdi:identifier", lambda v: v.session.id if v.session else "none", diagnostic=True
    ),
    Sensor(
        "total_energy",
        "Total Energy",
        "mdi:counter",
        _total_energy,
        unit="kWh",
        device_class="energy",
        state_class="total_increasing",
    ),
    Sensor(
        "charging",
        "Charging",
        "mdi:battery-charging",
        _charging,
        device_class="battery_charging",
        domain="binary_sensor",
    ),
    Sensor("plugged_in", "Plugged In", "mdi:power-plug", _plugged_in, device_class="plug", domain="binary_sensor"),
    Sensor("iec_status", "IEC Status", "mdi:ev-station", _iec_status, device_class="enum", options=IEC_LETTERS),
    Sensor(
        "car_battery",
        "Car Battery",
        "mdi:car-battery",
        lambda v: rounded(v.car_battery, 0),
        unit="%",
        device_class="battery",
        state_class="measurement",
    ),
    Sensor(
        "session_cost",
        "Session Cost",
        "mdi:cash",
        _session_cost,
        _cost_attributes,
        unit_of=lambda v: v.currency,
        device_class="monetary",
        state_class="total",
    ),
    Sensor(
        "energy_price",
        "Energy Price",
        "mdi:cash-clock",
        lambda v: v.evse.price_per_kwh if v.evse is not None else None,
        _tariff_attributes,
        unit_of=_price_unit,
        state_class="measurement",
    ),
    Sensor(
        "live_updates",
        "Live Updates",
        "mdi:access-point",
        _live_updates,
        _live_update_attributes,
        device_class="enum",
        options=PUSH_STATES,
        diagnostic=True,
        always_available=True,
    ),
    Sensor(
        "token_expiry",
        "Token Expiry",
        "mdi:key-chain",
        lambda v: iso_time(v.poll.token_expires_at),
        device_class="timestamp",
        diagnostic=True,
        always_available=True,
    ),
    Sensor(
        "problem",
        "Problem",
        "mdi:alert-circle",
        lambda v: _on(v.problem_reason is not None),
        lambda v: {"reason": v.problem_reason},
        device_class="problem",
        domain="binary_sensor",
        always_available=True,
    ),
)


@dataclass(frozen=True)
class Entity:
    """One entity of one charger as plain data: the set_state path and MQTT discovery each show it their way."""

    slug: str
    chargepoint_id: str
    charger_name: str
    key: str
    name: str
    icon: str
    state: Any  # None: unknown
    attributes: dict[str, Any]
    domain: str = "sensor"
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    diagnostic: bool = False
    options: tuple[str, ...] = ()
    available: bool = True  # False: no reading to show (never read, or too long ago)
    always_available: bool = False  # describes the app, not a reading: shown even when the cloud cannot be read

    @property
    def entity_id(self) -> str:
        return entity_id(self.slug, self.key, self.domain)

    @property
    def friendly_name(self) -> str:
        return f"{self.charger_name} {self.name}"


def build_entities(view: ChargerView) -> list[Entity]:
    """Every entity of one charger, with the full attribute set (so stale attributes never linger)."""
    return [_entity(view, sensor) for sensor in SENSORS]


def charger_entity(
    slug: str,
    chargepoint_id: str,
    charger_name: str,
    key: str,
    name: str,
    icon: str,
    state: Any,
    attributes: dict[str, Any],
) -> Entity:
    """A charger's entity made elsewhere (smart charging's decision, shown whatever the cloud does)."""
    return Entity(slug, chargepoint_id, charger_name, key, name, icon, state, attributes, always_available=True)


def as_state(entity: Entity) -> EntityState:
    """The set_state form: what Home Assistant would take from an integration's entity goes in attributes."""
    described = {
        "friendly_name": entity.friendly_name,
        "icon": entity.icon,
        "chargepoint_id": entity.chargepoint_id,
        "attribution": ATTRIBUTION,
        "unit_of_measurement": entity.unit,
        "device_class": entity.device_class,
        "state_class": entity.state_class,
        "entity_category": "diagnostic" if entity.diagnostic else None,
        "options": list(entity.options) if entity.options else None,
    }
    attributes = {key: value for key, value in described.items() if value is not None} | entity.attributes
    if not entity.available:
        return EntityState(entity.entity_id, UNAVAILABLE, attributes)
    return EntityState(entity.entity_id, "unknown" if entity.state is None else entity.state, attributes)


def _entity(view: ChargerView, sensor: Sensor) -> Entity:
    unit = sensor.unit_of(view) if sensor.unit_of is not None and view.available else sensor.unit
    available = sensor.always_available or view.available
    state = sensor.state(view) if available else None
    if not available:
        attributes = {"stale": view.stale}
    else:
        attributes = sensor.attributes(view)
        if not sensor.always_available:
            attributes["stale"] = view.stale
    options = sensor.options
    if options and state is not None and state not in options:
        options = (*options, str(state))
    return Entity(
        view.slug,
        view.chargepoint_id,
        view.name,
        sensor.key,
        sensor.name,
        sensor.icon,
        state,
        attributes,
        sensor.domain,
        unit,
        sensor.device_class,
        sensor.state_class,
        sensor.diagnostic,
        options,
        available,
        sensor.always_available,
    )
