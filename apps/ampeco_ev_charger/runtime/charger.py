"""One configured charger at run time: its latest reading and its memory (what must survive a restart)."""

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..ampeco import ChargePoint, Evse, PayloadError, Reading, Session, parse_charge_point
from . import plausible
from .config import ChargerConfig
from .lifecycle import Memory, Transition, observe
from .memory_file import Saved
from .plausible import Implausible, Limits
from .polling import Activity, activity
from .view import AccountView, ChargerView, MonthTotals, PollStatus, PushStatus, display_name


class Charger:
    def __init__(self, config: ChargerConfig) -> None:
        self.config = config
        self.memory = Memory()
        # The raw answer behind `charge_point`, kept so a restart can show it again at once.
        self.item: Mapping[str, Any] | None = None
        self.charge_point: ChargePoint | None = None
        self.evse: Evse | None = None
        self.last_success: float | None = None
        self.problem: str | None = None
        # Serialises commands: a start and a stop on one charger never interleave.
        self.lock = asyncio.Lock()

    @property
    def id(self) -> str:
        return self.config.chargepoint_id

    @property
    def name(self) -> str:
        return display_name(self.config.name, self.charge_point, self.id)

    @property
    def label(self) -> str:
        """How log lines name this charger."""
        name = self.config.name or (self.charge_point.name if self.charge_point else None)
        return f"{name} ({self.id})" if name else self.id

    @property
    def session(self) -> Session | None:
        """The open session as last read."""
        return self.evse.open_session if self.evse is not None else None

    @property
    def session_id(self) -> str | None:
        """The session believed open: as last read, or as remembered through a glitchy answer."""
        if self.session is not None:
            return self.session.id
        return self.memory.session.id if self.memory.session is not None else None

    @property
    def current_limit(self) -> float | None:
        """The charger's current limit in amps, as last read."""
        return self.charge_point.max_current_a if self.charge_point is not None else None

    @property
    def activity(self) -> Activity:
        return activity(self.evse, self.memory.session is not None)

    @property
    def signature(self) -> tuple[object, ...]:
        """What a poll can tell about this charger; a round that changes none of it is a quiet round."""
        evse, session = self.evse, self.session
        if session is None:
            return (evse.status if evse else None,)
        return (evse.status if evse else None, session.id, session.status, session.energy_kwh, session.power_kw)

    def update(self, reading: Reading, evse: Evse | None, now: float) -> tuple[list[Transition], list[Implausible]]:
        """Take a fresh reading (`evse`: its configured EVSE, its session looked up where the answer had
        none); returns the transitions it reveals, and the values it dropped as impossible."""
        charge_point, dropped = plausible.charge_point(reading.charge_point, self.charge_point)
        if evse is not None:
            evse, more = plausible.evse(evse, self.evse, Limits.of(charge_point, evse), now)
            dropped += more
        if charge_point.name is None and self.charge_point is not None:
            # A name is identity, not a reading: entity names must not flip when one answer lacks it.
            charge_point = replace(charge_point, name=self.charge_point.name)
        known = self.memory.session
        if evse is not None and not evse.session_reported and known is not None:
            # The session could not be looked up: it goes on as last seen, never ended for want of an answer.
            last = self.evse.session if self.evse is not None else None
            evse = replace(evse, session=last if last is not None and last.id == known.id else None)
        self.item, self.charge_point, self.evse, self.last_success = reading.raw, charge_point, evse, now
        self.problem = None if evse is not None else self._missing_evse(charge_point)
        if evse is None:
            return [], dropped
        session_known = evse.session_reported or known is None
        return observe(self.memory, evse.status, evse.session, session_known=session_known), dropped

    @property
    def limits(self) -> Limits:
        """What this charger can do at most, as far as it says."""
        return Limits.of(self.charge_point, self.evse)

    def _missing_evse(self, charge_point: ChargePoint) -> str:
        found = ", ".join(e.id for e in charge_point.evses) or "none"
        if self.config.evse_id is None:
            return f"charge point {self.id} has no EVSE"
        return f"EVSE {self.config.evse_id} is not on charge point {self.id} (it has: {found}); check evse_id"

    def note_session(self, session: Session) -> None:
        """A session the cloud just announced (start's answer): known before the next poll shows it."""
        if self.evse is not None:
            self.evse = replace(self.evse, session=session)

    def note_limit(self, amps: int) -> None:
        if self.charge_point is not None:
            self.charge_point = replace(self.charge_point, max_current_a=float(amps))

    def view(
        self,
        poll: PollStatus,
        now: float,
        unavailable_after: float,
        push: PushStatus | None = None,
        app_problem: str | None = None,
        account: AccountView | None = None,
        months: MonthTotals | None = None,
    ) -> ChargerView:
        """This charger as it is now; `app_problem`: what keeps the app itself from doing its job (its memory
        file), shown on every charger."""
        return ChargerView(
            chargepoint_id=self.id,
            slug=self.config.slug,
            configured_name=self.config.name,
            charge_point=self.charge_point,
            evse=self.evse,
            memory=self.memory,
            poll=poll,
            last_success=self.last_success,
            now=now,
            unavailable_after=unavailable_after,
            problem=self.problem,
            push=push,
            app_problem=app_problem,
            account=account,
            months=months,
        )

    def snapshot(self) -> dict[str, Any]:
        return {"memory": self.memory.to_dict(), "item": self.item, "last_success": self.last_success}

    def restore(self, saved: Saved) -> None:
        """Back to what a previous run saw; anything unusable in the file is dropped, never fatal."""
        self.memory = Memory.from_saved(saved.get("memory"))
        item, last_success = saved.get("item").value, saved.number("last_success", low=0)
        if not isinstance(item, dict) or last_success is None:
            return
        try:
            charge_point, _dropped = plausible.charge_point(
                parse_charge_point(item, self.config.units).charge_point, None
            )
        except PayloadError:
            return
        evse = charge_point.evse(self.config.evse_id)
        if evse is not None:
            evse, _dropped = plausible.evse(evse, None, Limits.of(charge_point, evse), last_success)
        self.item, self.charge_point, self.evse, self.last_success = item, charge_point, evse, last_success
