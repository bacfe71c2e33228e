"""JSON answers shaped exactly like the captured fixtures (same keys, same nesting, same value types)."""

from datetime import datetime, timezone
from typing import Any

from .model import SimCharger, SimSession

_CURRENCY = {
    "id": 2,
    "name": "DKK (Danish Krone)",
    "symbol": "removed",
    "sign": "DKK",
    "code": "DKK",
    "formatter": "%0.02fDKK",
    "unitPriceFormatter": "%0.03fDKK",
    "updatedAt": "2021-06-30T12:45:44Z",
    "minorUnitDecimal": 2,
    "hasPrefix": False,
    "hasSuffix": True,
    "prefix": None,
    "suffix": "DKK",
}
_SMART_CHARGING = {
    "enabled": False,
    "mode": "schedule",
    "target_charge": {"min_kwh": "50"},
    "use_solar": False,
    "use_all_generated_solar": None,
    "max_current_from_grid_a": None,
    "solar_stable_time_sec": None,
    "dynamic_rates_integration_id": None,
    "start_time": "23:00:00",
    "end_time": "06:00:00",
    "weekdays": None,
}
_PAYMENT = {
    "cardNetwork": "visa",
    "card_type": "visa",
    "methodId": "6813",
    "methodType": "card",
    "name": "**** 0453",
    "type": "card",
}
# Keys the captures leave out of particular answers, relative to the session embedded in an EVSE.
_WITHOUT = {
    "start": ("smartChargingSchedule", "lastPeriod"),
    "end": ("smartChargingSchedule",),
    "history": ("smartChargingSchedule",),
    "details": (),
    "embedded": (),
}


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(int(timestamp), timezone.utc).isoformat()


def _iso_micro(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _power(charger: SimCharger, watts: float) -> float:
    return round(watts / 1000, 3) if charger.power_unit == "kW" else round(watts)


def _energy(charger: SimCharger, wh: float) -> float:
    return round(wh / 1000, 3) if charger.energy_unit == "kWh" else round(wh)


def _period(session: SimSession, charger: SimCharger) -> dict[str, Any]:
    stopped = session.stopped_at
    return {
        "startedAt": _iso_micro(session.started_at),
        "stoppedAt": _iso_micro(stopped),
        "state": f"charging@price|{charger.price_per_kwh}&markup|1",
        "durationInSeconds": None if stopped is None else int(stopped - session.started_at),
        "amount": _amount(charger, session),
        "graceTimeEnd": None,
        "freeEnergyWh": 0,
        "maxAllowanceWh": 0,
    }


def _amount(charger: SimCharger, session: SimSession) -> float:
    return round(session.energy_wh / 1000 * charger.price_per_kwh, 2)


def session_json(charger: SimCharger, session: SimSession, now: float, variant: str = "embedded") -> dict[str, Any]:
    """One session as the given answer carries it: embedded, start, end, details or history."""
    end = session.stopped_at if session.stopped_at is not None else now
    duration = int(end - session.started_at)
    amount = _amount(charger, session)
    hours = duration / 3600
    data: dict[str, Any] = {
        "id": session.id,
        "startedAt": iso(session.started_at),
        "duration": duration,
        "totalDuration": duration,
        "energy": _energy(charger, session.energy_wh),
        "power": _power(charger, session.power_w),
        "locationId": None,
        "evseId": session.evse_identifier,
        "evseStatus": charger.evse_status if session.is_open else "finishing",
        "paymentMethodId": "6813",
        "paymentMethodType": "card",
        "amount": amount,
        "totalAmount": amount,
        "amountDue": 0 if not session.is_open else amount,
        "status": session.status,
        "summarySeen": False,
        "paymentStatus": "pending" if session.is_open else "paid",
        "paymentDetails": None if session.is_open else dict(_PAYMENT),
        "isExtending": False,
        "isExtended": False,
        "isOptimized": False,
        "stopReason": session.stop_reason,
        "chargingState": charger.charging_state if session.is_open else "eVConnected",
        "isSessionTimedOut": False,
        "stoppedAt": iso(session.stopped_at),
        "isPersonal": True,
        "reimbursementEligibility": session.reimbursement_eligible,
        "canToggleReimbursementEligibility": False,
        "hasThirdPartyElectricityCostIntegrationEnabled": None,
        "nonBillableEnergy": 0,
        "currencyId": 2,
        "currency": dict(_CURRENCY),
        "smartCharging": dict(_SMART_CHARGING),
        "electricityCost": 0,
        "electricityCostCurrencyId": 2,
        "smartChargingSchedule": [{"timestamp": iso(session.started_at), "limit": 11.085, "type": "boost-start"}],
        "powerAvg": _power(charger, session.energy_wh / hours) if hours else 0,
        "isUsingChargingAllowance": False,
        "freeEnergyWh": 0,
        "scaPendingTransaction": None,
        "idlePeriod": int(session.idle_s),
        "isRemoteStopEnabled": True,
        "isBalancePaymentPending": False,
        "lastPeriod": _period(session, charger),
        "idleFeeEligible": False,
    }
    for key in _WITHOUT[variant]:
        del data[key]
    if variant == "details":
        history = [{"value": kw, "timestamp": _iso_micro(at)} for at, kw in session.power_history]
        data["powerStats"] = {
            "averageKw": session.energy_wh / 1000 / hours if hours else 0,
            "maxKw": max((kw for _, kw in session.power_history), default=0),
            "history": history,
        }
        data["taxName"] = "Moms"
    if variant in ("details", "history"):
        data["chargingPeriods"] = [_period(session, charger)]
    return data


def _tariff() -> dict[str, Any]:
    hours = [
        {"startsAt": f"{h:02d}:00", "endsAt": f"{(h + 1) % 24:02d}:00", "price": 0.88 if h < 6 else 1}
        for h in range(24)
    ]
    return {
        "id": 674,
        "name": "Simulated spot price tariff",
        "type": "energy tou",
        "description": {"en": None},
        "additionalInformation": {"en": None},
        "learnMoreUrl": {"en": None},
        "dayTariffStart": {},
        "nightTariffStart": {},
        "pricing": {
            "preAuthorizeAmount": None,
            "taxID": 1,
            "connectionFee": None,
            "idleFeePerMinute": None,
            "idleFeeGracePeriodMinutes": None,
            "idleFeePeriodStart": None,
            "idleFeePeriodEnd": None,
            "chargePointElectricityRate": False,
            "fallbackElectricityRateId": 6,
            "markupPercentagePerKwh": None,
            "markupFixedFeePerKwh": None,
            "minPrice": 2.5,
            "pricePerKwh": 1.068,
            "subsidyIntegrationId": None,
            "lockPriceOnSessionStart": False,
            "flexibleMarkUpAsFixedPerKwh": {"intervalPricing": hours},
            "stateOfChargeIdleThreshold": None,
            "averagePowerIdleThreshold": None,
        },
        "stopSession": {"timeLimitMinutes": None, "stopWhenEnergyExceedsKwh": None},
        "currency": "DKK",
        "restrictions": {
            "applyToUsersOfChargePointPartner": False,
            "applyToUsersOfChargePointOwner": False,
            "applyToUsersOfAllRoamingEmsps": False,
            "applyToAdHocUsers": False,
            "adHocPreAuthorizeAmount": None,
            "applyToUsersOfPartners": [],
            "applyToUsersWithGroups": [],
            "applyToUserGroupIds": [],
            "applyToUsersWithSubscriptions": [],
            "startDate": None,
            "endDate": None,
        },
        "partner": {"id": None},
        "display": {},
        "lastUpdatedAt": "2025-03-30T14:14:27+00:00",
    }


def active_json(charger: SimCharger, session: SimSession, now: float, soc: str) -> dict[str, Any]:
    """The app/session/active answer: the session, with the car's state of charge beside it or inside it on
    tenants that send it ("" while the car does not report one)."""
    data = session_json(charger, session, now)
    percent: int | str = charger.soc_percent if session.status == "active" else ""
    if soc == "inside":
        data["carBatteryPercent"] = percent
    answer: dict[str, Any] = {"session": data}
    if soc == "beside":
        answer["carBatteryPercent"] = percent
    return answer


def charge_point_json(
    charger: SimCharger, now: float, *, embed_session: bool = True, soc: bool = False, availability: bool = False
) -> dict[str, Any]:
    evse: dict[str, Any] = {
        "id": charger.evse_id,
        "maxPower": charger.max_power_w,
        "identifier": charger.identifier,
        "currentType": "ac",
        "status": charger.evse_status,
        "connectors": [
            {
                "name": "Type 2",
                "icon": "type2",
                "format": "cable",
                "status": "active" if charger.plugged else "available",
            }
        ],
        "session": session_json(charger, charger.session, now) if charger.session else None,
        "tariffId": 674,
        "tariff": _tariff(),
    }
    if not embed_session:
        del evse["session"]
    if soc:
        evse["socPercent"] = charger.soc_percent if charger.plugged else None
    if availability:
        evse |= {
            "isAvailable": charger.available,
            "isTemporarilyUnavailable": not charger.available,
            "isLongTermUnavailable": False,
        }
    return {
        "id": charger.id,
        "name": charger.name,
        "location": {"latitude": None, "longitude": None},
        "location_id": None,
        "postcode": None,
        "photo": "https://cdn.example.invalid/charger.jpg",
        "plug_and_charge": False,
        "smart_charging_enabled": False,
        "allowed_min_current_a": charger.allowed_min_current_a,
        "allowed_max_current_a": charger.allowed_max_current_a,
        "allowed_solar_min_power_kw": 2,
        "allowed_max_power_kw": f"{charger.max_power_w / 1000 + 0.1:.1f}",
        "max_current_a": charger.max_current_a,
        "status": "unavailable" if charger.faulted else "available",
        "is_rebooting": charger.rebooting,
        "scheduling_intervals": {
            "off_peak_is_set": False,
            "solar_is_set": False,
            "off_peak_start_time": "23:00",
            "off_peak_end_time": "06:00",
            "solar_start_time": None,
            "solar_end_time": None,
            "solar_max_power": None,
        },
        "evses": [evse],
        "track_electricity_cost": None,
        "smart_charging": dict(_SMART_CHARGING),
        "isElectricityCostTrackingAvailable": False,
        "requires_authorization": True,
        "enable_keep_awake": False,
        "min_charging_current": charger.allowed_min_current_a,
        "connector_lock": False,
        "is_connector_lock_supported": True,
        "is_light_intensity_supported": True,
        "light_intensity": 100,
        "allowed_smart_charging_modes": [],
        "has_electricity_tax_reimbursement": False,
        "electricity_cost_tax_name": "Moms",
        "electricity_cost_tax_percent": 25,
        "last_month_energy_kwh": f"{charger.last_month_energy_kwh:.3f}",
        "last_month_electricity_cost": "0.000",
        "electricity_cost_currency_id": 2,
        "has_third_party_electricity_cost_integration_enabled": False,
        "user_manual_url": None,
        "isTamperDetectionNotifications": False,
        "subscription": {"subscriptionRequired": False, "subscriptionPlanIds": []},
        "randomised_delay_enabled": False,
        "firmware_version": "6.3.0-4185",
        "isFirmwareUpdatesSupported": False,
        "latestFirmwareUpdateExecution": None,
        "isFirmwareUpdating": False,
    }


def history_entry(charger: SimCharger, session: SimSession, now: float) -> dict[str, Any]:
    return {
        "session": session_json(charger, session, now, "history"),
        "note": charger.name,
        "type": "private",
        "address": charger.name,
    }
