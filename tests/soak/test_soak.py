"""Thousands of poll cycles on a virtual clock with faults, drivers and Home Assistant acting at random, on
two tenants: one like the captured one (sessions embedded, start by EVSE id), one like Exploren (start by
the printed identifier, with other users' EVSEs whose identifiers are our EVSEs' ids; no embedded sessions;
202 answers). The first account's token ends every few hours and is renewed with rotating refresh tokens.

After every step the invariants a user relies on are checked; the last line printed says what was reached.
SOAK_STEPS and SOAK_SEED (environment) change its length and its dice.
"""

import asyncio
import json
import os
import random
from collections import Counter

import pytest

from harness.stack import CP1, CP2, sensor, stack
from simulator import CLIENT_ID, CLIENT_SECRET, Fault, SimCharger
from simulator.faults import TRANSFORMS

STEPS = int(os.environ.get("SOAK_STEPS", "4000"))
SEED = int(os.environ.get("SOAK_SEED", "20261125"))
OTHER_TOKEN, CP3 = "second-account-token-91c4", "SOAK000003"
TOKEN_LIFETIME = 6 * 3600.0
TENANTS = {
    "captured": {},
    "exploren-like": {
        "evse_key": "identifier",
        "embed_session": False,
        "ongoing_endpoint": True,
        "start_answer": "accepted",
    },
}
# What a token or refresh token looks like: none may reach a log line, an event or an entity.
SECRET_MARKS = ("eyJ0eXAi", "def50200", OTHER_TOKEN, CLIENT_SECRET)
CHARGERS = (CP1, CP2, CP3)
ENDED, STARTED = "ampeco_ev_charger_session_ended", "ampeco_ev_charger_session_started"
FAULTS = [
    lambda r: Fault("status", status=r.choice([401, 403]), count=r.randint(1, 3)),
    lambda r: Fault("status", status=r.choice([500, 502, 503]), count=r.randint(1, 8)),
    lambda r: Fault("rate_limit", count=r.randint(1, 2), retry_after=r.choice([None, 30, 120, 600])),
    lambda r: Fault("malformed", count=r.randint(1, 3)),
    lambda r: Fault("wrong_shape", count=r.randint(1, 3)),
    lambda r: Fault("disconnect", count=r.randint(1, 4)),
    lambda r: Fault(r.choice(TRANSFORMS), count=r.randint(1, 6)),
]


class Driver:
    """People at the chargers: plug in, start from the phone app, stop, pull the cable, at human pace.

    Nobody acts twice on one charger within PACE seconds, so every session lasts longer than the app's
    longest poll interval (see the known limitations: sessions shorter than one poll).
    """

    PACE = 310

    def __init__(self, s, rng: random.Random) -> None:
        self.s, self.rng = s, rng
        self.since = dict.fromkeys(CHARGERS, s.fake.clock)

    def act(self, counts: Counter) -> None:
        cp = self.rng.choice(CHARGERS)
        model, charger = self.s.model, self.s.model.chargers[cp]
        if self.s.fake.clock - self.since[cp] < self.PACE:
            return
        self.since[cp] = self.s.fake.clock
        if not charger.plugged:
            model.plug(charger, True, car_needs_kwh=self.rng.uniform(0.5, 40))
            counts["plug in"] += 1
        elif charger.session is None and self.rng.random() < 0.5:
            model.start(charger)
            counts["phone start"] += 1
        elif charger.session is not None and charger.session.status == "active" and self.rng.random() < 0.2:
            model.split_session(charger)
            counts["session id change"] += 1
        elif charger.session is not None and charger.session.status == "active" and self.rng.random() < 0.5:
            model.stop(charger, reason="local")
            counts["phone stop"] += 1
        elif charger.session is None:
            model.plug(charger, False)
            counts["unplug"] += 1


async def home_assistant(s, rng: random.Random, counts: Counter) -> None:
    """Automations and people pressing buttons, including every kind of bad event."""
    cp = rng.choice(CHARGERS)
    roll = rng.random()
    if roll < 0.3:
        data = {"chargepoint_id": cp}
        if rng.random() < 0.5:
            data["max_current"] = rng.choice([6, 10, 16, 5, 33, 16.5, "16", "abc", None])
        events = ["start_charging"]
    elif roll < 0.55:
        data, events = {"chargepoint_id": cp}, ["stop_charging"]
    elif roll < 0.65:
        data, events = {"chargepoint_id": cp, "max_current": rng.choice([6, 8, 12, 16, 20])}, ["set_max_current"]
    elif roll < 0.75:
        data, events = {}, ["update_data"]
    elif roll < 0.85:
        data, events = rng.choice([{"chargepoint_id": "NOPE"}, {}]), ["start_charging"]
    else:  # the same event twice, or start and stop within 100 ms
        data, events = {"chargepoint_id": cp}, rng.choice([["start_charging"] * 2, ["start_charging", "stop_charging"]])
    sends = [s.fake.send(f"ampeco_ev_charger_{name}", dict(data)) for name in events]
    await asyncio.gather(*sends)
    counts["events sent"] += len(events)


class Invariants:
    def __init__(self, s, ours: set[str]) -> None:
        self.s = s
        self.ours = ours  # our accounts
        self.energy: dict[str, tuple[str, float]] = {}
        self.strays: dict[str, float] = {}  # sessions our starts left on other users' EVSEs: when first seen
        self.logs_read = 0
        self.longest_stray = 0.0

    def check(self) -> None:
        fake, sim = self.s.fake, self.s.simulator
        ended = [e["session_id"] for e in fake.fired(ENDED)]
        assert len(ended) == len(set(ended)), f"a session ended twice: {ended}"
        for cp in CHARGERS:
            slug = cp.lower()
            session = fake.states.get(sensor(slug, "session_id"), (None,))[0]
            energy = fake.states.get(sensor(slug, "charging_energy"), (None,))[0]
            if isinstance(energy, float) and session not in (None, "none", "unavailable", "unknown"):
                previous = self.energy.get(cp)
                if previous and previous[0] == session:
                    assert energy >= previous[1], f"{cp}: energy fell within session {session}"
                self.energy[cp] = (session, energy)
        assert sim.most_in_flight_per_account() <= 1, "two requests in flight for one account"
        # Per account a poll and an expiry timer, and one look at the secrets file while a token is refused.
        assert len(fake.timers) <= 5, f"timer leak: {len(fake.timers)} timers for 2 accounts"
        for _level, line in fake.logs[self.logs_read :]:
            assert not any(mark in line for mark in SECRET_MARKS), f"a secret reached the log: {line}"
            assert "internal error" not in line, line
        self.logs_read = len(fake.logs)
        assert not sim.model.auth.reused, "a refresh token was used twice"
        for charger in sim.model.chargers.values():
            session = charger.session
            if charger.id not in CHARGERS and session is not None and session.owner in self.ours:
                first = self.strays.setdefault(session.id, fake.clock)
                self.longest_stray = max(self.longest_stray, fake.clock - first)


async def step(s, rng: random.Random, driver: "Driver", account: dict, counts: Counter) -> None:
    """One random thing: time passes, a fault, a driver, Home Assistant's commands, or a restart."""
    roll = rng.random()
    if roll < 0.55:
        await s.fake.advance(rng.choice([1, 2, 5, 15, 30, 60, 120, 300]))
    elif roll < 0.65:
        s.simulator.faults.add(rng.choice(FAULTS)(rng))
    elif roll < 0.80:
        driver.act(counts)
    elif roll < 0.985:
        await home_assistant(s, rng, counts)
    else:
        await s.restart(**account)  # AppDaemon gives the tokens of apps.yaml again: used up by now
        counts["restarts"] += 1


@pytest.mark.timeout(600)
@pytest.mark.parametrize("tenant", list(TENANTS))
async def test_soak(tmp_path, tenant):
    rng = random.Random(SEED)
    random.seed(SEED)  # the app's back-off jitter draws from the global generator
    counts: Counter = Counter()
    async with stack(tmp_path) as s:
        for name, value in TENANTS[tenant].items():
            setattr(s.simulator.settings, name, value)
        s.simulator.settings.token_lifetime = TOKEN_LIFETIME
        s.model.add_charger(
            OTHER_TOKEN, SimCharger(id=CP3, name="Shed", evse_id="300001", identifier="3001", plugged=False)
        )
        for charger in list(s.model.chargers.values()):  # other users' EVSEs whose numbers are our EVSEs' ids
            s.model.add_stranger(identifier=charger.evse_id)
        first = next(iter(s.model.accounts))
        grant = s.model.auth.issue(first, TOKEN_LIFETIME)
        chargers = [
            {"chargepoint_id": CP1},
            {"chargepoint_id": CP2},
            {"chargepoint_id": CP3, "auth_token": OTHER_TOKEN},
        ]
        account = {
            "auth_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "chargers": chargers,
            "request_timeout": 1,
        }
        await s.start(**account)
        driver, invariants = Driver(s, rng), Invariants(s, {first, OTHER_TOKEN})
        for _ in range(STEPS):
            await step(s, rng, driver, account, counts)
            invariants.check()

        s.simulator.faults.clear()  # a quiet end: every session the simulator ran must be accounted for
        await s.fake.advance(Driver.PACE)  # people stop at human pace too
        s.model.advance()
        for charger in s.model.chargers.values():
            if charger.session is not None and charger.session.status != "stopping":
                s.model.stop(charger)
        for _ in range(12):
            await s.fake.advance(600)
            invariants.check()
        s.model.advance()
        assert all(c.session is None for c in s.model.chargers.values() if c.id not in CHARGERS), "a stray lives on"
        assert len(invariants.strays) <= 1, "a start landed elsewhere twice: the lesson was not kept"
        ran = sorted(session.id for cp, session in s.model.history if cp in CHARGERS)
        ended = sorted(e["session_id"] for e in s.fake.fired(ENDED))
        assert ended == ran
        assert {e["session_id"] for e in s.fake.fired(STARTED)} == set(ran)

        results = Counter(e["success"] for e in s.fake.fired("ampeco_ev_charger_command_result"))
        assert results[True] + results[False] == counts["events sent"]  # exactly one answer per event
        polls = len(s.requests("app/personal/charge-points"))
        summary = {
            "tenant": tenant,
            "steps": STEPS,
            "seed": SEED,
            "virtual_hours": round((s.fake.clock - s.requests()[0].at) / 3600, 1),
            "poll_cycles": polls,
            "requests": len(s.requests()),
            "faults_injected": dict(s.simulator.faults.injected),
            "sessions": len(ran),
            "session_events": {"started": len(s.fake.fired(STARTED)), "ended": len(ended)},
            "command_results": {"success": results[True], "refused_or_failed": results[False]},
            "driver_and_restarts": dict(counts),
            "tokens": {"renewed": s.model.auth.renewals, "refresh_tokens_reused": len(s.model.auth.reused)},
            "starts_on_other_users_evses": {
                "count": len(invariants.strays),
                "longest_s": round(invariants.longest_stray),
            },
        }
        print("\nsoak:", json.dumps(summary, sort_keys=True))
