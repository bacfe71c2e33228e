"""What one charger looks like in Home Assistant: its sensors and binary sensors, as plain data.

Values are never faked: without a reading a sensor is `unavailable`; while the cloud fails the last good
reading stays, marked `stale`, until `unavailable_after` seconds have passed since it was read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..ampeco import KNOWN_EVSE_STATUSES, ChargePoint, as_amps, is_fault_status, is_known_status, rounded, status_is
from ..const import entity_id
from ..runtime.session_log import parse_utc
from ..runtime.view import ChargerView
from ..smart.engine import Decision
from ..smart.sensor import sensor_state
from ..times import iso_time
from .hass import EntityState

ATTRIBUTION = "Data provided by the AMPECO cloud"
UNAVAILABLE = "unavailable"
IEC_LETTERS = ("A", "B", "C", "E", "F")
PUSH_STATES = ("off", "connecting", "subscribed", "failed")


Domain = Literal["sensor", "binary_sensor"]
DeviceClass = Literal[
    "power",
    "current",
    "energy",
    "duration",
    "enum",
    "battery_charging",
    "plug",
    "battery",
    "monetary",
    "timestamp",
    "problem",
]
StateClass = Literal["measurement", "total", "total_increasing"]


def _no_attributes(_view: ChargerView) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class Sensor:
    """One entity of a charger, its value read from the charger's view; binary sensors are sensors of the
    `binary_sensor` domain. `doc` says what it shows, for the documentation's entity table."""

    key: str
    name: str
    icon: str
    state: Callable[[ChargerView], Any]
    doc: str
    attributes: Callable[[ChargerView], dict[str, Any]] = _no_attributes
    unit: str | None = None
    unit_of: Callable[[ChargerView], str | None] | None = None  # a unit known only from the reading (money)
    unit_doc: str | None = None  # how the documentation names a unit known only from the reading
    device_class: DeviceClass | None = None
    state_class: StateClass | None = None
    diagnostic: bool = False
    # Describes the app itself, so it is shown even when the cloud cannot be read.
    always_available: bool = False
    domain: Domain = "sensor"
    options: tuple[str, ...] = ()  # an enum sensor's states (a status the app does not know is added)
    # Shown at first on the MQTT device; the others, rarely looked at, are there to be enabled in Home
    # Assistant (never one that evcc, the Energy dashboard or the example dashboard uses).
    enabled_by_default: bool = True


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
    """This month's sessions, from the session log."""
    months = view.months
    return {"month": months.month if months else None, "sessions": months.sessions if months else None}


def _last_month_attributes(view: ChargerView) -> dict[str, Any]:
    """Last month's sessions from the session log, and the cloud's own figures for the same month."""
    cp, months = _cp(view), view.months
    return {
        "month": months.last_month if months else None,
        "sessions": months.last_sessions if months else None,
        "as_the_cloud_counts_kwh": rounded(cp.last_month_energy_kwh, 3),
        "electricity_cost": cp.last_month_electricity_cost,
        "tax_name": cp.tax_name,
        "tax_percent": cp.tax_percent,
    }


def _month_cost(view: ChargerView, last: bool) -> float | None:
    """A month without sessions cost nothing; a month whose sessions were in several currencies has no one figure."""
    months = view.months
    if months is None:
        return None
    if (months.last_sessions if last else months.sessions) == 0:
        return 0.0
    return months.last_cost if last else months.cost


def _month_currency(view: ChargerView, last: bool) -> str | None:
    """The currency the month's sessions were in, else (no sessions) the one the charger charges in."""
    months = view.months
    if months is None:
        return None
    return (months.last_currency if last else months.currency) or view.currency


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
    return round(view.memory.meter, 3)


def _session_cost(view: ChargerView) -> float | None:
    """What the current session has cost so far, else what the last one cost."""
    summary = view.summary
    return None if summary is None else summary.amount


def _cost_attributes(view: ChargerView) -> dict[str, Any]:
    """A new session starts the count again: Home Assistant's statistics add each session's cost up."""
    summary = view.summary
    if summary is None:
        return {"last_reset": None, "session_id": None}
    return {"last_reset": iso_time(parse_utc(summary.started_at)), "session_id": summary.id}  # a time, or none


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
    Sensor(
        key="charger_status",
        name="Charger Status",
        icon="mdi:ev-station",
        state=lambda v: _cp(v).status,
        attributes=_charger_attributes,
        doc="the charge point's status (attributes: charger name, firmware, smart charging)",
    ),
    Sensor(
        key="charging_session",
        name="Charging Session",
        icon="mdi:ev-plug-type2",
        state=_power,
        attributes=_session_attributes,
        unit="kW",
        device_class="power",
        state_class="measurement",
        doc="charging power now, 0 without a session; attributes: the session's details",
    ),
    Sensor(
        key="charging_power",
        name="Charging Power",
        icon="mdi:flash",
        state=lambda v: round(_power(v) * 1000),
        unit="W",
        device_class="power",
        state_class="measurement",
        doc="the same power in watts (what evcc reads)",
    ),
    Sensor(
        key="charging_current",
        name="Charging Current",
        icon="mdi:current-ac",
        state=_current,
        unit="A",
        device_class="current",
        state_class="measurement",
        doc="the current limit in force while a session runs (the cloud reports no measured current), 0 otherwise",
    ),
    Sensor(
        key="charging_energy",
        name="Charging Energy",
        icon="mdi:lightning-bolt",
        state=_energy,
        unit="kWh",
        device_class="energy",
        state_class="total_increasing",
        doc="energy of the current or last session (never decreases within a session)",
    ),
    Sensor(
        key="charging_duration",
        name="Charging Duration",
        icon="mdi:timer-outline",
        state=_duration,
        unit="min",
        device_class="duration",
        doc="duration of the current or last session",
    ),
    Sensor(
        key="evse_status",
        name="EVSE Status",
        icon="mdi:ev-plug-type2",
        state=lambda v: v.evse.status if v.evse else None,
        attributes=_evse_attributes,
        device_class="enum",
        options=KNOWN_EVSE_STATUSES,
        doc="the EVSE's status: `available`, `preparing`, `charging`, `suspendedEV`, `suspendedEVSE`, `finishing`, "
        "`faulted`, `out of order`, ... (one spelling whatever the case or spaces; unknown ones as sent, and "
        "added to `options`)",
    ),
    Sensor(
        key="polling_interval",
        name="Polling Interval",
        icon="mdi:timer-sync-outline",
        state=lambda v: round(v.poll.delay),
        attributes=_poll_attributes,
        unit="s",
        device_class="duration",
        diagnostic=True,
        always_available=True,
        doc="seconds between polls now; attributes `is_charging`, `retry_count`, `last_error`, and "
        "`last_good_reading` (when the reading shown was made, while it is stale; `null` while fresh)",
    ),
    Sensor(
        key="max_current",
        name="Max Current",
        icon="mdi:current-ac",
        state=lambda v: as_amps(_cp(v).max_current_a),
        attributes=_limit_attributes,
        unit="A",
        device_class="current",
        diagnostic=True,
        doc="the charger's current limit; attributes `allowed_min_current`, `allowed_max_current`",
    ),
    Sensor(
        key="month_energy",
        name="Month Energy",
        icon="mdi:calendar-month",
        state=lambda v: rounded(v.months.energy_kwh, 3) if v.months else None,
        attributes=_month_attributes,
        unit="kWh",
        device_class="energy",
        doc="energy of this month's sessions (in your time zone, by when they ended), from the session log; "
        "attributes `month`, `sessions`",
    ),
    Sensor(
        key="month_cost",
        name="Month Cost",
        icon="mdi:cash-multiple",
        state=lambda v: _month_cost(v, last=False),
        attributes=_month_attributes,
        unit_of=lambda v: _month_currency(v, last=False),
        unit_doc="your currency",
        device_class="monetary",
        doc="what this month's sessions cost (0 before the first; `unknown` when they were in several currencies); "
        "attributes "
        "`month`, `sessions`",
    ),
    Sensor(
        key="last_month_energy",
        name="Last Month Energy",
        icon="mdi:calendar-month-outline",
        state=lambda v: rounded(v.months.last_energy_kwh, 3) if v.months else None,
        attributes=_last_month_attributes,
        unit="kWh",
        device_class="energy",
        doc="energy of last month's sessions, from the session log; attributes `month`, `sessions`, and the "
        "cloud's own `as_the_cloud_counts_kwh`, `electricity_cost`, `tax_name`, `tax_percent`",
    ),
    Sensor(
        key="last_month_cost",
        name="Last Month Cost",
        icon="mdi:cash-multiple",
        state=lambda v: _month_cost(v, last=True),
        attributes=lambda v: {"month": v.months.last_month if v.months else None},
        unit_of=lambda v: _month_currency(v, last=True),
        unit_doc="your currency",
        device_class="monetary",
        doc="what last month's sessions cost; attribute `month`",
    ),
    Sensor(
        key="session_id",
        name="Session ID",
        icon="mdi:identifier",
        state=lambda v: v.session.id if v.session else "none",
        diagnostic=True,
        doc="the open session's id, or `none`",
    ),
    Sensor(
        key="total_energy",
        name="Total Energy",
        icon="mdi:counter",
        state=_total_energy,
        unit="kWh",
        device_class="energy",
        state_class="total_increasing",
        doc="energy of every session since the app first watched, for the Energy dashboard (never goes down)",
    ),
    Sensor(
        key="charging",
        name="Charging",
        icon="mdi:battery-charging",
        state=_charging,
        device_class="battery_charging",
        domain="binary_sensor",
        doc="`on` while power flows (or the charger says it is charging)",
    ),
    Sensor(
        key="plugged_in",
        name="Plugged In",
        icon="mdi:power-plug",
        state=_plugged_in,
        device_class="plug",
        domain="binary_sensor",
        doc="`on` while a car is at the socket (preparing, charging, suspended, finishing, or a session)",
    ),
    Sensor(
        key="iec_status",
        name="IEC Status",
        icon="mdi:ev-station",
        state=_iec_status,
        device_class="enum",
        options=IEC_LETTERS,
        doc="the IEC 61851 letter: `A` no car, `B` a car at the socket, `C` charging, `E` a fault, `F` not "
        "available (offline, out of order, rebooting)",
    ),
    Sensor(
        key="car_battery",
        name="Car Battery",
        icon="mdi:car-battery",
        state=lambda v: rounded(v.car_battery, 0),
        unit="%",
        device_class="battery",
        state_class="measurement",
        enabled_by_default=False,
        doc="the car's state of charge, where the charger (`socPercent`) or the session (`carBatteryPercent`) "
        "reports it; `unknown` otherwise",
    ),
    Sensor(
        key="session_cost",
        name="Session Cost",
        icon="mdi:cash",
        state=_session_cost,
        attributes=_cost_attributes,
        unit_of=lambda v: v.currency,
        unit_doc="your currency",
        device_class="monetary",
        state_class="total",
        doc="what the current (or last) session has cost; attribute `last_reset` (the session's start), so Home "
        "Assistant adds the sessions up",
    ),
    Sensor(
        key="energy_price",
        name="Energy Price",
        icon="mdi:cash-clock",
        state=lambda v: v.evse.price_per_kwh if v.evse is not None else None,
        attributes=_tariff_attributes,
        unit_of=_price_unit,
        unit_doc="currency/kWh",
        state_class="measurement",
        enabled_by_default=False,
        doc="the tariff's price per kWh; attribute `tariff`",
    ),
    Sensor(
        key="live_updates",
        name="Live Updates",
        icon="mdi:access-point",
        state=_live_updates,
        attributes=_live_update_attributes,
        device_class="enum",
        options=PUSH_STATES,
        diagnostic=True,
        always_available=True,
        enabled_by_default=False,
        doc="`subscribed`, `connecting`, `failed` or `off`; attributes `reason`, `since` (each event is named in "
        "the DEBUG log)",
    ),
    Sensor(
        key="token_expiry",
        name="Token Expiry",
        icon="mdi:key-chain",
        state=lambda v: iso_time(v.poll.token_expires_at),
        device_class="timestamp",
        diagnostic=True,
        always_available=True,
        enabled_by_default=False,
        doc="when the token ends (the JWT's `exp`); `unknown` for a token that carries no date",
    ),
    Sensor(
        key="problem",
        name="Problem",
        icon="mdi:alert-circle",
        state=lambda v: _on(v.problem_reason is not None),
        attributes=lambda v: {"reason": v.problem_reason},
        device_class="problem",
        domain="binary_sensor",
        always_available=True,
        doc="`on` when the user should look: the token is rejected, its refresh was refused, or it ends within 14 "
        "days with nothing to renew it; the cloud cannot be read; the charger or its EVSE is not on the account; "
        "apps.yaml has a mistake; the memory file cannot be kept; or the charger cannot charge (a fault, "
        "`unavailable`, `out of order`, offline per `isAvailable: false`, rebooting); attribute `reason`",
    ),
)


@dataclass(frozen=True, kw_only=True)
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
    domain: Domain = "sensor"
    unit: str | None = None
    device_class: DeviceClass | None = None
    state_class: StateClass | None = None
    diagnostic: bool = False
    options: tuple[str, ...] = ()
    available: bool = True  # False: no reading to show (never read, or too long ago)
    always_available: bool = False  # describes the app, not a reading: shown even when the cloud cannot be read
    enabled_by_default: bool = True

    @property
    def entity_id(self) -> str:
        return entity_id(self.slug, self.key, self.domain)

    @property
    def friendly_name(self) -> str:
        return f"{self.charger_name} {self.name}"


def build_entities(view: ChargerView) -> list[Entity]:
    """Every entity of one charger, with the full attribute set (so stale attributes never linger)."""
    return [_entity(view, sensor) for sensor in SENSORS]


SMART_KEY, SMART_NAME, SMART_ICON = "smart_charging", "Smart Charging", "mdi:car-electric"
SMART_DOC = (
    "the smart charging mode; attributes: the `reason`, the `command` sent, the next action, the plan and the "
    "target's progress"
)


def smart_entity(slug: str, chargepoint_id: str, charger_name: str, decision: Decision | None) -> Entity:
    """sensor.evse_{slug}_smart_charging: the mode as state, the why and the plan as attributes (shown
    whatever the cloud does; None: no decision yet)."""
    state, attributes = sensor_state(decision) if decision is not None else (None, {})
    return Entity(
        slug=slug,
        chargepoint_id=chargepoint_id,
        charger_name=charger_name,
        key=SMART_KEY,
        name=SMART_NAME,
        icon=SMART_ICON,
        state=state,
        attributes=attributes,
        always_available=True,
    )


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
        slug=view.slug,
        chargepoint_id=view.chargepoint_id,
        charger_name=view.name,
        key=sensor.key,
        name=sensor.name,
        icon=sensor.icon,
        state=state,
        attributes=attributes,
        domain=sensor.domain,
        unit=unit,
        device_class=sensor.device_class,
        state_class=sensor.state_class,
        diagnostic=sensor.diagnostic,
        options=options,
        available=available,
        always_available=sensor.always_available,
        enabled_by_default=sensor.enabled_by_default,
    )
