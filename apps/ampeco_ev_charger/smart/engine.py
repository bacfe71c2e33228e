"""One decision: the chosen mode's wish, through the governor, into at most one command and its reason.

`decide` is a pure function of the configuration, the inputs read from Home Assistant, the charger's
state, the memory of the previous decision and the time. The app sends `decision.action`, publishes the
decision on sensor.evse_{slug}_smart_charging, stores `decision.memory`, logs `decision.log_line` when
`decision.notable`, and decides again after each reading, each change of an input entity, and at
`decision.wake_at`. Times are computed in UTC (a clock change cannot stretch a delay) and shown in the
time zone of the `now` given.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone, tzinfo

from ..runtime.commands import StopCharging
from .config import SmartConfig
from .governor import Action, ChargerState, Wish, amps_bounds, govern
from .inputs import Inputs
from .memory import SmartMemory
from .planner import Plan, plan_cheapest
from .solar import SolarTimers, follow_surplus, surplus_w

OFF, NOW, SOLAR, MIN_SOLAR, CHEAPEST = "off", "now", "solar", "min+solar", "cheapest"
MODES = (OFF, NOW, SOLAR, MIN_SOLAR, CHEAPEST)
# evcc's names for the same modes, so an input_select copied from an evcc set-up works as it is.
ALIASES = {"pv": SOLAR, "minpv": MIN_SOLAR, "min+pv": MIN_SOLAR}
# Meters count in Wh: a target short by less than this is reached, not worth another minute of a session.
TARGET_TOLERANCE_KWH = 0.01
# More than any car holds (the largest batteries hold about 200 kWh). A target above it is a slip of the finger
# or "fill it up": it is planned as this much, which takes every known slot the car can use (a full car stops
# drawing by itself), and the reason says so.
MAX_TARGET_KWH = 250.0
HANDS_OFF = (
    "the session was ended outside the app (the car is full, or it was stopped by hand): no new start until "
    "the car is plugged in again or the mode changes"
)


@dataclass(frozen=True)
class NextAction:
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    delivered_kwh: float | None = None  # since the car was plugged in
    target_kwh: float | None = None


@dataclass(frozen=True)
class Decision:
    mode: str  # the mode followed: "off" for an unknown or unavailable one
    action: Action | None
    reason: str
    code: str  # the kind of situation, e.g. "solar/wait_start/idle"
    next_action: NextAction | None
    plan: Plan | None
    progress: Progress
    memory: SmartMemory
    now: datetime  # as given: its time zone is the one to show times in
    wake_at: datetime | None = None  # decide again then at the latest, even if nothing else happens
    notable: bool = False  # a command, or a new kind of situation: worth one INFO line

    @property
    def log_line(self) -> str:
        return f"smart charging [{self.mode}]: {self.action or 'no command'}: {self.reason}"


@dataclass(frozen=True)
class _Intent:
    """What a mode wants before the governor has its say; `wish` None: send nothing at all."""

    wish: Wish | None
    reason: str
    code: str
    next_action: NextAction | None = None
    wake_at: datetime | None = None
    plan: Plan | None = None
    solar: SolarTimers = field(default_factory=SolarTimers)


@dataclass(frozen=True)
class _Situation:
    """Everything a mode looks at, gathered once."""

    config: SmartConfig
    inputs: Inputs
    charger: ChargerState
    memory: SmartMemory
    bounds: tuple[int, int]
    progress: Progress
    now: datetime  # UTC
    tz: tzinfo | None  # the user's, for times in reasons


def decide(config: SmartConfig, inputs: Inputs, charger: ChargerState, memory: SmartMemory, now: datetime) -> Decision:
    mode, problem = _mode(inputs.mode, config.mode_entity)
    observed = _observe(memory, mode, charger)
    situation = _Situation(
        config,
        inputs,
        charger,
        observed,
        amps_bounds(config.max_current, charger),
        Progress(_delivered(observed, charger), _target(inputs.target_energy_kwh)),
        now.astimezone(timezone.utc),
        now.tzinfo,
    )
    intent = _intent(mode, problem, situation)
    if observed.hands_off and intent.wish is not None and intent.wish.charge and not charger.session_open:
        intent = replace(intent, wish=None, reason=HANDS_OFF, code="hands_off")
    ruling = (
        None
        if intent.wish is None
        else govern(
            intent.wish,
            charger,
            observed.governor,
            situation.now,
            bounds=situation.bounds,
            min_change_interval=config.min_change_interval,
        )
    )
    code = f"{mode}/{intent.code}" + (f"/{ruling.code}" if ruling else "")
    wakes = [when for when in (intent.wake_at, ruling.wake_at if ruling else None) if when is not None]
    return Decision(
        mode=mode,
        action=ruling.action if ruling else None,
        reason=f"{intent.reason}; {ruling.reason}" if ruling else intent.reason,
        code=code,
        next_action=intent.next_action,
        plan=intent.plan,
        progress=situation.progress,
        memory=replace(
            observed,
            code=code,
            solar=intent.solar,
            plan=intent.plan,
            governor=ruling.memory if ruling else observed.governor,
        ),
        now=now,
        wake_at=min(wakes, default=None),
        notable=(ruling is not None and ruling.action is not None) or code != memory.code,
    )


def _mode(selected: str | None, entity_id: str) -> tuple[str, str | None]:
    """The mode to follow, and why it is "off" when the selection cannot be followed."""
    if selected is None:
        return OFF, f"{entity_id} is unavailable: doing nothing"
    key = selected.strip().lower().replace(" ", "")
    name = ALIASES.get(key, key)
    if name not in MODES:
        return OFF, f"unknown mode {selected!r} in {entity_id}: doing nothing (modes: {', '.join(MODES)})"
    return name, None


def _observe(memory: SmartMemory, mode: str, charger: ChargerState) -> SmartMemory:
    """Note a plug-in (where the target's progress starts), a change of mode (timers start afresh) and a
    session ended by someone other than this app."""
    if not (charger.plugged_in or charger.session_open):
        return replace(
            memory, mode=mode, solar=SolarTimers(), plugged_meter_kwh=None, session_open=False, hands_off=False
        )
    pending = memory.governor.pending
    our_stop = pending is not None and pending.action.name == StopCharging.name
    ended_elsewhere = memory.session_open and not charger.session_open and not our_stop
    baseline = memory.plugged_meter_kwh if memory.plugged_meter_kwh is not None else charger.energy_meter_kwh
    same_mode = mode == memory.mode
    return replace(
        memory,
        mode=mode,
        solar=memory.solar if same_mode else SolarTimers(),
        plugged_meter_kwh=baseline,
        session_open=charger.session_open,
        hands_off=same_mode and (memory.hands_off or ended_elsewhere),
    )


def _target(asked: float | None) -> float | None:
    return None if asked is None else min(asked, MAX_TARGET_KWH)


def _delivered(memory: SmartMemory, charger: ChargerState) -> float | None:
    if memory.plugged_meter_kwh is None or charger.energy_meter_kwh is None:
        return None
    return max(0.0, charger.energy_meter_kwh - memory.plugged_meter_kwh)


def _intent(mode: str, problem: str | None, s: _Situation) -> _Intent:
    if problem is not None:
        return _Intent(None, problem, "no_mode")
    if mode == OFF:
        return _Intent(None, "off: the app starts and stops nothing by itself", "off")
    if not (s.charger.plugged_in or s.charger.session_open):
        return _Intent(None, "no car plugged in", "no_car")
    if mode == NOW:
        return _Intent(Wish(True, s.bounds[1]), f"charging now at the maximum of {s.bounds[1]} A", "now")
    if mode in (SOLAR, MIN_SOLAR):
        return _solar(s, keep_minimum=mode == MIN_SOLAR)
    return _cheapest(s)


def _solar(s: _Situation, keep_minimum: bool) -> _Intent:
    config, inputs, charger = s.config, s.inputs, s.charger
    if config.grid_power_entity is None:
        return _Intent(None, "solar charging needs `grid_power_entity` in apps.yaml", "no_input")
    if inputs.grid_power_w is None:
        return _Intent(None, f"{config.grid_power_entity} has no usable power reading: holding", "no_input")
    if config.battery_power_entity is not None and inputs.battery_power_w is None:
        return _Intent(None, f"{config.battery_power_entity} has no usable power reading: holding", "no_input")
    car_w = charger.power_kw * 1000 if charger.session_open else 0.0
    outcome = follow_surplus(
        surplus_w(inputs.grid_power_w, car_w, inputs.battery_power_w),
        charging=charger.session_open,
        keep_minimum=keep_minimum,
        bounds=s.bounds,
        watts_per_amp=config.watts_per_amp,
        start_delay=config.start_delay,
        stop_delay=config.stop_delay,
        timers=s.memory.solar,
        now=s.now,
    )
    next_action = None
    if outcome.wake_at is not None:
        verb = "start" if outcome.code == "wait_start" else "stop"
        next_action = NextAction(f"{verb} at {_clock(outcome.wake_at, s.tz)} if the surplus stays so", outcome.wake_at)
    return _Intent(
        Wish(outcome.charge, outcome.amps),
        outcome.reason,
        outcome.code,
        next_action,
        outcome.wake_at,
        solar=outcome.timers,
    )


def _cheapest(s: _Situation) -> _Intent:
    config, inputs, now = s.config, s.inputs, s.now
    unset = [
        f"`{key}`"
        for key in ("price_entity", "departure_entity", "target_energy_entity")
        if getattr(config, key) is None
    ]
    if unset:
        return _Intent(None, f"cheapest charging needs {', '.join(unset)} in apps.yaml", "no_input")
    delivered, target, departure = s.progress.delivered_kwh, s.progress.target_kwh, inputs.departure
    missing = [
        entity
        for entity, value in ((config.target_energy_entity, target), (config.departure_entity, departure))
        if value is None
    ]
    if delivered is None:
        missing.append("the charger's energy reading")
    if missing:
        return _remembered(s, f"{', '.join(map(str, missing))} unavailable")
    assert target is not None
    assert departure is not None
    assert delivered is not None
    if delivered >= target - TARGET_TOLERANCE_KWH:
        return _Intent(Wish(False), f"target of {target:g} kWh reached ({delivered:.1f} kWh delivered)", "reached")
    if now >= departure:
        passed = f"the departure at {_clock(departure, s.tz)} has passed: set the next one"
        return _Intent(Wish(False), passed, "departed")
    if not any(slot.end > now and slot.start < departure for slot in inputs.prices):
        return _remembered(s, f"no prices before the departure in {config.price_entity}")
    plan = plan_cheapest(
        inputs.prices,
        now=now,
        departure=departure,
        needed_kwh=target - delivered,
        power_kw=s.bounds[1] * config.watts_per_amp / 1000,
        charging=s.charger.session_open,
    )
    return _following(s, plan, f"{delivered:.1f} of {target:g} kWh{_capped(s)}")


def _capped(s: _Situation) -> str:
    """What the reason adds when the target asked for is more than a car holds."""
    asked = s.inputs.target_energy_kwh
    if asked is None or asked <= MAX_TARGET_KWH:
        return ""
    entity = s.config.target_energy_entity
    return f"; {entity} asks for {asked:g} kWh, more than any car holds: planning for {MAX_TARGET_KWH:g} kWh"


def _remembered(s: _Situation, missing: str) -> _Intent:
    """Keep to the last plan while an input is unavailable (Home Assistant restarting), rather than drop it."""
    plan = s.memory.plan
    if plan is None or plan.departure <= s.now:
        return _Intent(None, f"{missing}: no plan to follow, holding", "no_input")
    return _following(s, plan, f"{missing}: following the plan made at {_clock(plan.made_at, s.tz)}")


def _following(s: _Situation, plan: Plan, status: str) -> _Intent:
    charging = plan.charging_at(s.now)
    run = plan.run_from(s.now)
    text, next_action = "no slot left in the plan", None
    if run is not None:
        when = run[1] if charging else run[0]
        text = (
            f"cheapest slot until {_clock(when, s.tz)}" if charging else f"next cheapest slot at {_clock(when, s.tz)}"
        )
        next_action = NextAction(f"{'stop' if charging else 'start'} at {_clock(when, s.tz)}", when)
    if not plan.feasible:
        text += (
            f"; the known prices before {_clock(plan.departure, s.tz)} allow only {plan.energy_kwh:.1f} of the "
            f"{plan.needed_kwh:.1f} kWh still needed"
        )
    return _Intent(
        Wish(charging, s.bounds[1]),
        f"{text} ({status})",
        "slot" if charging else "waiting",
        next_action,
        next_action.at if next_action else None,
        plan,
    )


def _clock(when: datetime, tz: tzinfo | None) -> str:
    return when.astimezone(tz).strftime("%H:%M")
