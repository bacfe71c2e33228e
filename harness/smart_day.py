"""A simulated day on a virtual clock, shared by test_smart_day.py and tools/smart_day.py.

Home Assistant is a dict of entity states built from the scenario (a solar curve with passing clouds, a
house load, Nordpool-style prices with a cheap night); the charger is a model that reacts to each command
as the app would make it: a start while a session is open, or without a car, is refused and changes
nothing; a stop without a session likewise; a current limit set to the value it already has makes no
call. The loop decides every 30 s and at each decision's `wake_at`, as often as the app does while
charging (it decides at each poll, each change of an input and at `wake_at`), and far more often than
it does while idle, so whatever the governor lets through here bounds what the app sends.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ampeco_ev_charger.runtime.commands import SetMaxCurrent, StartCharging, StopCharging
from ampeco_ev_charger.smart import Action, ChargerState, SmartConfig, SmartMemory, decide, read_inputs
from ampeco_ev_charger.smart.prices import PriceSlot, parse_prices, price_at

TZ = timezone(timedelta(hours=2), "CEST")
DAY = date(2025, 6, 17)
TICK = timedelta(seconds=30)
VOLTS, PHASES, MIN_A, MAX_A = 230, 3, 6, 16

# Price per kWh by hour of the day: an evening peak and a cheap night (tomorrow: the same, 5 % lower).
HOURLY_PRICE = (
    0.12,
    0.09,
    0.07,
    0.06,
    0.07,
    0.10,
    0.16,
    0.24,
    0.26,
    0.22,
    0.18,
    0.15,
    0.13,
    0.13,
    0.15,
    0.18,
    0.24,
    0.32,
    0.38,
    0.36,
    0.30,
    0.25,
    0.19,
    0.15,
)
PV_PEAK_W = 8500.0
SUNRISE, SUNSET = 5.0, 21.0  # hours
# Passing clouds: (start, minutes, share of the sun left). Some are shorter than the start and stop
# delays (1 and 3 min) and must not cost a session; the long ones may.
CLOUDS = (
    (time(9, 40), 2, 0.3),
    (time(10, 30), 25, 0.25),
    (time(11, 50), 1.5, 0.2),
    (time(12, 20), 2.5, 0.3),
    (time(13, 30), 12, 0.2),
    (time(14, 40), 2, 0.35),
    (time(15, 10), 6, 0.3),
    (time(16, 20), 40, 0.4),
)
HOUSE_BASE_W = 450.0
HOUSE_LOADS = ((time(12, 0), 40, 2000.0), (time(7, 0), 30, 1500.0), (time(19, 0), 60, 1800.0))

MODE, GRID, PRICE = "input_select.ev_mode", "sensor.grid_power", "sensor.nordpool"
DEPARTURE, TARGET = "input_datetime.ev_departure", "input_number.ev_energy"
CONFIG = SmartConfig(
    mode_entity=MODE,
    grid_power_entity=GRID,
    price_entity=PRICE,
    departure_entity=DEPARTURE,
    target_energy_entity=TARGET,
    voltage=VOLTS,
    phases=PHASES,
)
# For the modes that use no prices (now, solar): no price sensor to read at each step.
UNPRICED = replace(CONFIG, price_entity=None, departure_entity=None, target_energy_entity=None)


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return datetime.combine(DAY + timedelta(days=days), time(hour, minute), TZ)


def pv_w(now: datetime) -> float:
    hours = now.hour + now.minute / 60 + now.second / 3600
    if not SUNRISE < hours < SUNSET:
        return 0.0
    sun = PV_PEAK_W * math.sin(math.pi * (hours - SUNRISE) / (SUNSET - SUNRISE)) ** 1.5
    return sun * math.prod(share for start, minutes, share in CLOUDS if _within(now, start, minutes))


def house_w(now: datetime) -> float:
    return HOUSE_BASE_W + sum(watts for start, minutes, watts in HOUSE_LOADS if _within(now, start, minutes))


def _within(now: datetime, start: time, minutes: float) -> bool:
    begin = datetime.combine(now.date(), start, now.tzinfo)
    return begin <= now < begin + timedelta(minutes=minutes)


def nordpool_attributes(day: date = DAY) -> dict[str, Any]:
    def prices(offset: int, factor: float) -> list[dict[str, Any]]:
        start = datetime.combine(day + timedelta(days=offset), time(0), TZ)
        return [
            {
                "start": (start + timedelta(hours=h)).isoformat(),
                "end": (start + timedelta(hours=h + 1)).isoformat(),
                "value": round(price * factor, 4),
            }
            for h, price in enumerate(HOURLY_PRICE)
        ]

    return {"raw_today": prices(0, 1.0), "raw_tomorrow": prices(1, 0.95), "unit_of_measurement": "EUR/kWh"}


NORDPOOL = nordpool_attributes()
PRICES: tuple[PriceSlot, ...] = parse_prices(NORDPOOL, CONFIG.price_attributes)


@dataclass
class ChargerModel:
    """The charger and car as the app would see and drive them."""

    car_needs_kwh: float
    plugged: bool = False
    session: bool = False
    limit_a: int = MAX_A
    meter_kwh: float = 0.0

    @property
    def power_kw(self) -> float:
        return self.limit_a * VOLTS * PHASES / 1000 if self.session and self.car_needs_kwh > 0 else 0.0

    def state(self) -> ChargerState:
        return ChargerState(
            plugged_in=self.plugged,
            session_open=self.session,
            power_kw=self.power_kw,
            current_limit_a=self.limit_a,
            allowed_min_a=MIN_A,
            allowed_max_a=MAX_A,
            energy_meter_kwh=self.meter_kwh,
        )

    def run(self, action: Action) -> bool:
        """Carry out a command; False when it would have done nothing (refused, or nothing to change)."""
        if action.name == StartCharging.name:
            if self.session or not self.plugged:
                return False
            self.limit_a = action.amps if action.amps is not None else self.limit_a
            self.session = True
        elif action.name == StopCharging.name:
            if not self.session:
                return False
            self.session = False
        else:
            if action.amps is None or action.amps == self.limit_a:
                return False
            self.limit_a = action.amps
        return True

    def advance(self, seconds: float) -> float:
        energy = min(self.power_kw * seconds / 3600, self.car_needs_kwh)
        self.car_needs_kwh -= energy
        self.meter_kwh += energy
        return energy


@dataclass(frozen=True)
class Sent:
    at: datetime
    action: Action
    did_something: bool


@dataclass(frozen=True)
class Sample:
    at: datetime
    seconds: float  # until the next sample
    power_kw: float
    surplus_w: float  # solar production less the house, without the car
    price: float | None


@dataclass
class Day:
    mode: str
    samples: list[Sample] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    energy_kwh: float = 0.0
    grid_kwh: float = 0.0  # what the car took from the grid rather than from surplus
    cost: float = 0.0  # of the energy from the grid (surplus is free)
    log: list[str] = field(default_factory=list)  # the app's INFO lines

    @property
    def starts(self) -> int:
        return sum(s.action.name == StartCharging.name for s in self.sent)

    @property
    def stops(self) -> int:
        return sum(s.action.name == StopCharging.name for s in self.sent)

    @property
    def current_changes(self) -> list[datetime]:
        return [s.at for s in self.sent if s.action.name == SetMaxCurrent.name]

    @property
    def pointless(self) -> list[Sent]:
        return [s for s in self.sent if not s.did_something]

    def energy_by(self, when: datetime) -> float:
        return sum(s.power_kw * s.seconds / 3600 for s in self.samples if s.at < when)


def simulate(
    mode: str,
    *,
    start: datetime,
    end: datetime,
    plugged: tuple[datetime, datetime],
    car_needs_kwh: float,
    target_kwh: float = 20.0,
    departure: str = "07:00:00",
    config: SmartConfig = CONFIG,
    api_down: tuple[datetime, datetime] | None = None,
    inputs_hook: Callable[[datetime, dict[str, Any]], None] | None = None,
) -> Day:
    """The app's decisions over [start, end) on a virtual clock. `plugged`: when the car is at the socket;
    `api_down`: when the AMPECO cloud fails (the app sees its last reading, marked failing); `inputs_hook`
    may change the Home Assistant states of a step. The memory goes through to_dict and from_dict at
    every step, as if AppDaemon restarted each time."""
    charger, memory, day = ChargerModel(car_needs_kwh), SmartMemory(), Day(mode)
    now = start
    while now < end:
        charger.plugged = plugged[0] <= now < plugged[1]
        charger.session = charger.session and charger.plugged
        surplus = pv_w(now) - house_w(now)
        states: dict[str, Any] = {
            MODE: {"state": mode},
            GRID: {
                "state": str(round(charger.power_kw * 1000 - surplus, 1)),
                "attributes": {"unit_of_measurement": "W"},
            },
            PRICE: {"state": str(price_at(PRICES, now)), "attributes": NORDPOOL},
            DEPARTURE: {"state": departure},
            TARGET: {"state": str(target_kwh)},
        }
        if inputs_hook is not None:
            inputs_hook(now, states)
        state = charger.state()
        if api_down is not None and api_down[0] <= now < api_down[1]:
            state = replace(state, api_ok=False)
        decision = decide(config, read_inputs(config, states, now), state, memory, now)
        memory = SmartMemory.from_dict(decision.memory.to_dict())
        if decision.notable:
            day.log.append(f"{now:%H:%M:%S} {decision.log_line}")
        if decision.action is not None:
            day.sent.append(Sent(now, decision.action, charger.run(decision.action)))
        step = min(TICK, decision.wake_at - now) if decision.wake_at is not None and decision.wake_at > now else TICK
        seconds, power, price = step.total_seconds(), charger.power_kw, price_at(PRICES, now)
        energy = charger.advance(seconds)
        from_grid = max(0.0, energy - max(0.0, surplus) * seconds / 3_600_000)
        day.samples.append(Sample(now, seconds, power, surplus, price))
        day.energy_kwh += energy
        day.grid_kwh += from_grid
        day.cost += from_grid * (price or 0.0)
        now += step
    return day


NIGHT = "car plugged in at 18:00, 20 kWh by 07:00"
SUNNY = "passing clouds, car plugged in 08:00 to 18:30"


def cheapest_night() -> tuple[Day, Day]:
    """The car plugged in at 18:00 needing 20 kWh by 07:00: cheapest mode, and charging at once for
    comparison (mode now, with a car that takes exactly those 20 kWh)."""

    def run(mode: str, car_needs_kwh: float, config: SmartConfig) -> Day:
        return simulate(
            mode,
            start=at(17),
            end=at(8, days=1),
            plugged=(at(18), at(8, days=1)),
            car_needs_kwh=car_needs_kwh,
            config=config,
        )

    return run("cheapest", 35.0, CONFIG), run("now", 20.0, UNPRICED)


def solar_day() -> tuple[Day, Day]:
    """The car plugged in from 08:00 to 18:30 on a day with passing clouds: solar, and min+solar."""

    def run(mode: str) -> Day:
        return simulate(
            mode, start=at(7, 30), end=at(19), plugged=(at(8), at(18, 30)), car_needs_kwh=60.0, config=UNPRICED
        )

    return run("solar"), run("min+solar")
