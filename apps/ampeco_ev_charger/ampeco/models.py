"""AMPECO JSON -> plain dataclasses, tolerantly.

The API is undocumented and differs per tenant, so parsing never raises on a field: unknown fields are
ignored, unusable ones become None and are reported as `Oddity`s (one warning per kind, by the caller),
unknown status strings are kept as text. Only an answer with no usable charge point at all is an error.
"""

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import PayloadError
from .status import canonical_status, is_closed_session_status, is_known_status, is_plugged_status
from .units import Units, to_number


@dataclass(frozen=True)
class Oddity:
    """Something in an answer we could not use. `kind` groups repeats; `example` shows one."""

    kind: str
    example: str


_SAMPLE = reprlib.Repr()  # keyword arguments only from Python 3.12; AppDaemon runs on 3.10 too
_SAMPLE.maxlevel, _SAMPLE.maxstring, _SAMPLE.maxother, _SAMPLE.maxlong = 3, 60, 60, 40
_SAMPLE.maxlist = _SAMPLE.maxdict = _SAMPLE.maxtuple = 4


def sample(value: object) -> str:
    """A short look at a value from an answer or a user, whatever its size or depth (for oddities and errors)."""
    try:
        return _SAMPLE.repr(value)[:80]
    except ValueError:  # an int too long for Python to write out
        return "<a number too long to show>"


@dataclass(frozen=True)
class Session:
    id: str
    evse_identifier: str | None = None
    status: str | None = None
    evse_status: str | None = None
    charging_state: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    duration_s: float | None = None
    energy_kwh: float | None = None
    power_kw: float | None = None
    power_avg_kw: float | None = None
    amount: float | None = None
    total_amount: float | None = None
    electricity_cost: float | None = None
    currency: str | None = None
    stop_reason: str | None = None
    car_battery_percent: float | None = None  # only while a car that reports it is charging
    charge_point_id: str | None = None  # where a tenant names it; `evse_identifier` otherwise
    reimbursement_eligible: bool | None = None  # `reimbursementEligibility`: a company may pay for it
    power_history: tuple["PowerSample", ...] = ()  # the power curve, in a session's detail answer only

    @property
    def is_open(self) -> bool:
        """Open until finished or failed; a paused or full car (power 0) is still an open session."""
        return not is_closed_session_status(self.status)


@dataclass(frozen=True)
class PowerSample:
    """One point of a session's power curve (`powerStats.history`): when, and the power then in kW."""

    at: str
    kw: float


@dataclass(frozen=True)
class Evse:
    id: str
    identifier: str | None = None
    status: str | None = None
    max_power_kw: float | None = None
    connectors: tuple[str, ...] = ()
    session: Session | None = None
    # False when the answer had no `session` key at all (not even null): only then is the separate
    # active-session endpoint worth asking.
    session_reported: bool = True
    soc_percent: float | None = None  # the car's state of charge, where the charger knows it
    is_available: bool | None = None  # False while the charger is offline, whatever its status says
    tariff_name: str | None = None
    price_per_kwh: float | None = None
    tariff_currency: str | None = None

    @property
    def open_session(self) -> Session | None:
        """The session running here (a paused or full car still has one), not a finished one shown late."""
        return self.session if self.session is not None and self.session.is_open else None

    @property
    def car_plugged_in(self) -> bool:
        """A car is at the socket: a session runs here, or the status is one around a session."""
        return self.open_session is not None or is_plugged_status(self.status)


@dataclass(frozen=True)
class ChargePoint:
    id: str
    name: str | None = None
    status: str | None = None
    max_current_a: float | None = None
    allowed_min_current_a: float | None = None
    allowed_max_current_a: float | None = None
    min_charging_current_a: float | None = None
    allowed_max_power_kw: float | None = None
    last_month_energy_kwh: float | None = None
    last_month_electricity_cost: float | None = None
    tax_name: str | None = None
    tax_percent: float | None = None
    firmware_version: str | None = None
    smart_charging_enabled: bool | None = None
    is_rebooting: bool | None = None
    evses: tuple[Evse, ...] = ()

    def evse(self, evse_id: str | None = None) -> Evse | None:
        """The configured EVSE (by `id` or printed `identifier`), else the first one."""
        if evse_id is None:
            return self.evses[0] if self.evses else None
        return next((e for e in self.evses if evse_id in (e.id, e.identifier)), None)

    @property
    def current_range(self) -> tuple[float | None, float | None]:
        """Allowed current limit range; the minimum is the stricter of the two minimums sent."""
        minimums = [v for v in (self.allowed_min_current_a, self.min_charging_current_a) if v is not None]
        return (max(minimums) if minimums else None, self.allowed_max_current_a)


def session_on(session: Session, chargepoint_id: str, evse: Evse) -> bool:
    """The session runs on this EVSE: it names the EVSE's printed identifier, or the charge point itself.

    Never by the EVSE's internal id: on some tenants that number is another user's printed identifier."""
    if session.evse_identifier is not None:
        return evse.identifier is not None and session.evse_identifier == evse.identifier
    return session.charge_point_id is not None and session.charge_point_id == chargepoint_id


@dataclass
class Parsed:
    """A parse result together with what in the answer could not be used."""

    charge_point: ChargePoint
    oddities: list[Oddity] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """A charge point as read, with what it was read from: the answer trimmed of what the parser ignores,
    kept so that a restart can show it again at once."""

    charge_point: ChargePoint
    raw: Mapping[str, object]


@dataclass(frozen=True)
class ChargePoints:
    """The account's charge point list: each charge point read, or why it could not be (one charger's bad
    data is that charger's alone)."""

    readings: dict[str, Reading]
    broken: dict[str, PayloadError]


class _Reader:
    """Reads fields of one JSON object, noting each present-but-unusable field as an oddity."""

    def __init__(self, data: Mapping[str, object], where: str, oddities: list[Oddity]) -> None:
        self.data = data
        self.where = where
        self.oddities = oddities

    def _odd(self, key: str, problem: str, value: object) -> None:
        self.oddities.append(Oddity(f"{self.where}.{key}: {problem}", sample(value)))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self._odd(key, "not text", value)
        return None

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        number = to_number(value)
        if number is None and value is not None:
            self._odd(key, "not a number", value)
        return number

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        self._odd(key, "not true/false", value)
        return None

    def obj(self, key: str) -> Mapping[str, object] | None:
        value = self.data.get(key)
        if value is None or isinstance(value, Mapping):
            return value
        self._odd(key, "not an object", value)
        return None

    def objects(self, key: str) -> list[Mapping[str, object]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._odd(key, "not a list", value)
            return []
        kept = [item for item in value if isinstance(item, Mapping)]
        if len(kept) != len(value):
            self._odd(key, "list entries that are not objects", value)
        return kept

    def status(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not is_known_status(value):
            self._odd(key, "unknown status", value)
        return canonical_status(value)


def _percent(read: "_Reader", key: str) -> float | None:
    """A percentage; "" (sent while the car does not report one) is no value, not an oddity."""
    if read.data.get(key) == "":
        return None
    value = read.number(key)
    return value if value is None or 0 <= value <= 100 else None


# What a parser can meet in JSON a hostile or broken cloud sends, beyond what it checks field by field.
_UNREADABLE = (TypeError, ValueError, ArithmeticError, RecursionError, AttributeError)


def parse_session(
    data: Mapping[str, object], units: Units, oddities: list[Oddity], where: str = "session"
) -> Session | None:
    """A session object (bare, or wrapped as `{"session": {...}}`, with `carBatteryPercent` inside it or beside
    it); None when it has no id. Raises nothing but PayloadError."""
    try:
        return _session(data, units, oddities, where)
    except _UNREADABLE as err:
        raise PayloadError(f"the {where} could not be read ({type(err).__name__})") from None


def _session(data: Mapping[str, object], units: Units, oddities: list[Oddity], where: str) -> Session | None:
    outer = _Reader(data, where, oddities)
    inner = data.get("session")
    if isinstance(inner, Mapping):
        data = inner
    read = _Reader(data, where, oddities)
    session_id = read.text("id")
    if not session_id:
        oddities.append(Oddity(f"{where}: session without an id", sample(data)))
        return None
    currency = read.obj("currency") or {}
    soc = _percent(read, "carBatteryPercent")
    return Session(
        id=session_id,
        evse_identifier=read.text("evseId"),
        status=read.text("status"),
        evse_status=read.status("evseStatus"),
        charging_state=read.text("chargingState"),
        started_at=read.text("startedAt"),
        stopped_at=read.text("stoppedAt"),
        duration_s=read.number("duration"),
        energy_kwh=units.kwh(read.number("energy")),
        power_kw=units.kw(read.number("power")),
        power_avg_kw=units.kw(read.number("powerAvg")),
        amount=read.number("amount"),
        total_amount=read.number("totalAmount"),
        electricity_cost=read.number("electricityCost"),
        currency=_Reader(currency, f"{where}.currency", oddities).text("code"),
        stop_reason=read.text("stopReason"),
        car_battery_percent=soc if soc is not None or outer.data is data else _percent(outer, "carBatteryPercent"),
        charge_point_id=read.text("chargePointId"),
        reimbursement_eligible=read.flag("reimbursementEligibility"),
        power_history=_power_history(read),
    )


def _power_history(read: "_Reader") -> tuple[PowerSample, ...]:
    stats = _Reader(read.obj("powerStats") or {}, f"{read.where}.powerStats", read.oddities)
    samples = []
    for point in stats.objects("history"):
        at, kw = point.get("timestamp"), to_number(point.get("value"))
        if isinstance(at, str) and kw is not None:
            samples.append(PowerSample(at, kw))
    return tuple(samples)


def _parse_connector(data: Mapping[str, object]) -> str | None:
    name, kind = data.get("name"), data.get("format")
    if not isinstance(name, str):
        return None
    return f"{name} ({kind})" if isinstance(kind, str) and kind else name


def _parse_evse(data: Mapping[str, object], units: Units, oddities: list[Oddity]) -> Evse | None:
    read = _Reader(data, "evses[]", oddities)
    evse_id = read.text("id")
    if not evse_id:
        oddities.append(Oddity("evses[]: EVSE without an id", sample(data)))
        return None
    raw_session = data.get("session")
    session = None
    if isinstance(raw_session, Mapping):
        session = parse_session(raw_session, units, oddities, "evses[].session")
    elif raw_session is not None:
        read._odd("session", "not an object", raw_session)
    # `null` says no session runs; a key left out, or a session that cannot be read, says nothing.
    session_reported = "session" in data and (session is not None or raw_session is None)
    max_power_w = read.number("maxPower")
    connectors = tuple(c for c in map(_parse_connector, read.objects("connectors")) if c)
    tariff = _Reader(read.obj("tariff") or {}, "evses[].tariff", oddities)
    pricing = _Reader(tariff.obj("pricing") or {}, "evses[].tariff.pricing", oddities)
    raw_currency = tariff.data.get("currency")
    currency = (
        _Reader(raw_currency, "evses[].tariff.currency", oddities).text("code")
        if isinstance(raw_currency, Mapping)
        else tariff.text("currency")
    )
    return Evse(
        id=evse_id,
        identifier=read.text("identifier"),
        status=read.status("status"),
        max_power_kw=None if max_power_w is None else max_power_w / 1000,
        connectors=connectors,
        session=session,
        session_reported=session_reported,
        soc_percent=_percent(read, "socPercent"),
        is_available=read.flag("isAvailable"),
        tariff_name=tariff.text("name"),
        price_per_kwh=pricing.number("pricePerKwh"),
        tariff_currency=currency,
    )


def parse_charge_point(data: Mapping[str, object], units: Units) -> Parsed:
    """One charge point object (bare or `{"data": {...}}`). Raises nothing but PayloadError: without an id,
    or when the object cannot be read at all."""
    try:
        return _charge_point(data, units)
    except _UNREADABLE as err:
        raise PayloadError(f"the charge point could not be read ({type(err).__name__})") from None


def _charge_point(data: Mapping[str, object], units: Units) -> Parsed:
    inner = data.get("data")
    if isinstance(inner, Mapping):
        data = inner
    oddities: list[Oddity] = []
    read = _Reader(data, "charge_point", oddities)
    cp_id = read.text("id")
    if not cp_id:
        raise PayloadError("the charge point in the answer has no id")
    evses = tuple(e for e in (_parse_evse(item, units, oddities) for item in read.objects("evses")) if e)
    charge_point = ChargePoint(
        id=cp_id,
        name=read.text("name"),
        status=read.status("status"),
        max_current_a=read.number("max_current_a"),
        allowed_min_current_a=read.number("allowed_min_current_a"),
        allowed_max_current_a=read.number("allowed_max_current_a"),
        min_charging_current_a=read.number("min_charging_current"),
        allowed_max_power_kw=read.number("allowed_max_power_kw"),
        last_month_energy_kwh=read.number("last_month_energy_kwh"),
        last_month_electricity_cost=read.number("last_month_electricity_cost"),
        tax_name=read.text("electricity_cost_tax_name"),
        tax_percent=read.number("electricity_cost_tax_percent"),
        firmware_version=read.text("firmware_version"),
        smart_charging_enabled=read.flag("smart_charging_enabled"),
        is_rebooting=read.flag("is_rebooting"),
        evses=evses,
    )
    return Parsed(charge_point, oddities)


def charge_point_items(payload: object) -> list[Mapping[str, object]]:
    """The charge point objects of a list answer: `{"data": [...]}` or a bare list."""
    items = payload.get("data") if isinstance(payload, Mapping) else payload
    if not isinstance(items, list):
        raise PayloadError("the charge point list answer has no list of charge points")
    return [item for item in items if isinstance(item, Mapping)]


def item_id(item: Mapping[str, object]) -> str | None:
    """The id of a raw charge point object, as text (ids may arrive as numbers)."""
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)


# Bulky parts of an answer the parser never reads (smart-charging settings, billing periods); of a tariff,
# only what is shown is kept.
_BULK = {
    "charge_point": ("smart_charging", "scheduling_intervals", "subscription"),
    "session": (
        "smartCharging",
        "smartChargingSchedule",
        "lastPeriod",
        "chargingPeriods",
        "powerStats",
        "paymentDetails",
    ),
}


def trimmed(item: Mapping[str, object]) -> dict[str, object]:
    """A raw charge point without the bulk the parser ignores: what is kept for a restart, at under half the size."""
    out = {k: v for k, v in item.items() if k not in _BULK["charge_point"]}
    evses = out.get("evses")
    if isinstance(evses, list):
        out["evses"] = [_trimmed_evse(evse) if isinstance(evse, Mapping) else evse for evse in evses]
    return out


def _trimmed_evse(evse: Mapping[str, object]) -> dict[str, object]:
    out = dict(evse)
    tariff = out.get("tariff")
    if isinstance(tariff, Mapping):  # only what is shown: its name, currency and price per kWh
        pricing = tariff.get("pricing")
        price = pricing.get("pricePerKwh") if isinstance(pricing, Mapping) else None
        out["tariff"] = {
            "name": tariff.get("name"),
            "currency": tariff.get("currency"),
            "pricing": {"pricePerKwh": price},
        }
    session = out.get("session")
    if isinstance(session, Mapping):
        out["session"] = {k: v for k, v in session.items() if k not in _BULK["session"]}
    return out
