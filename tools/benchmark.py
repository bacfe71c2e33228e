"""What the app costs and how fast it reacts, measured against the simulator on loopback.

    make benchmark                                   (all five, about 13 minutes; writes the tables and the plot
                                                      into the documentation's performance page)
    .venv/bin/python tools/benchmark.py --quick      (idle weight over 1 minute instead of 10)

1. Requests per account-hour in each state, next to the original integration's policy.
2. Reaction time: a start or stop event to the first set_state that shows it (the simulator answering in
   50 ms); and how long a session started from the phone app takes to appear.
3. Scale: 1 to 500 chargers in one app: a poll round's wall time, CPU per hour, peak RSS, requests in flight.
4. Idle weight: CPU and RSS the app adds to a running AppDaemon with one idle charger.
5. What Home Assistant stores: state changes (a recorder row each) per charger and hour, in each state.
"""

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "build" / "benchmark.json"  # the last run's raw figures
PLOT = REPO / "docs" / "benchmark.png"
# The documentation page whose `benchmark:start` / `benchmark:end` markers hold the tables.
PAGE = REPO / "docs" / "developers" / "performance.md"
sys.path[:0] = [str(REPO / "apps"), str(REPO)]

from demo import appdaemon as ad  # noqa: E402
from demo.processes import free_port, http_json, simulator, wait_for  # noqa: E402
from harness.fake_appdaemon import FakeAppDaemon  # noqa: E402
from harness.live import echo_beside  # noqa: E402
from harness.stack import CP1, SLUG1, TOKEN, Stack, make_app, sensor, stack  # noqa: E402
from simulator import Fault, Settings, Simulator, Timing, demo_model, running  # noqa: E402

HOUR = 3600.0
# The original Home Assistant integration, per charger (one config entry each): 30 s while the EVSE says
# "charging" (a charge point GET, an active-session GET, and a second 30 s loop of active-session GETs:
# up to four GETs per 30 s), 5 min otherwise, and no back-off (a failing cloud is asked at the same cadence).
ORIGINAL = {"idle": 12, "plugged in, not charging": 12, "charging": 480, "cloud failing (503)": 480}
# With live updates: flowing, or the broadcast server gone (polling alone then, at its normal cadence).
LIVE = {
    "idle, live updates flowing": ("idle", "flowing"),
    "plugged in, not charging, live updates flowing": ("plugged in, not charging", "flowing"),
    "idle, live updates down": ("idle", "down"),
}


# --- 1. requests -----------------------------------------------------------------------------------------


async def _hours_in_state(
    state: str, chargers: int, count: "Callable[[Stack], int]", live: str | None = None
) -> tuple[int, int]:
    """`count` (requests, writes) in the first hour of `state` and in an hour of it later on; `live`: live
    updates "flowing" (a real laravel-echo-server), "down" (that server gone after the app subscribed), or off."""
    async with contextlib.AsyncExitStack() as scope:
        tmp = Path(scope.enter_context(tempfile.TemporaryDirectory()))
        s = await scope.enter_async_context(stack(tmp, chargers=chargers))
        for charger in s.model.chargers.values():
            s.model.plug(charger, state != "idle")
            if state in ("charging", "cloud failing (503)"):
                charger.car_needs_wh = 10_000_000
                s.model.start(charger)
        if live is None:
            await s.start()
        else:
            server = await scope.enter_async_context(echo_beside(s, tmp / "echo"))
            await s.start(push=True)
            await _until_done(lambda: _live(s) == "subscribed")
            if live == "down":
                await asyncio.to_thread(server.stop)
                await _until_done(lambda: _live(s) != "subscribed")
        if state == "cloud failing (503)":
            s.simulator.faults.add(Fault("status", status=503))
        await s.fake.advance(HOUR)
        in_first_hour = count(s)
        await s.fake.advance(5 * HOUR)
        before = count(s)
        await s.fake.advance(HOUR)
        await s.stop()
        return in_first_hour, count(s) - before


def _requests(s: Stack) -> int:
    return len(s.requests())


def _live(s: Any) -> object:
    return s.fake.states.get(sensor(SLUG1, "live_updates"), (None,))[0]


async def _until_done(done: Callable[[], bool], timeout: float = 20) -> None:
    """Wall clock: live updates keep real time (bounded)."""
    async with asyncio.timeout(timeout):
        while not done():  # noqa: ASYNC110 - another task's (and process's) doing, nothing to wait on
            await asyncio.sleep(0.05)


def measure_requests() -> list[dict[str, Any]]:
    rows = []
    states = [(state, state, None) for state in ORIGINAL] + [(label, *LIVE[label]) for label in LIVE]
    for label, state, live in states:
        original = ORIGINAL[state]
        for chargers in (1, 2, 10):
            first, steady = asyncio.run(_hours_in_state(state, chargers, _requests, live))
            rows.append(
                {
                    "state": label,
                    "chargers": chargers,
                    "first_hour": first,
                    "steady_hour": steady,
                    "original": original * chargers,
                }
            )
    return rows


# --- 2. reaction -----------------------------------------------------------------------------------------


class RealTimeAppDaemon(FakeAppDaemon):
    """The fake AppDaemon on the wall clock: timers are loop timers, callbacks run concurrently."""

    def __init__(self) -> None:
        super().__init__()
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.on_state: Callable[[str, Any], None] = lambda entity, state: None

    async def run_in(self, callback: Callable[..., Awaitable[None]], delay: float, **kwargs: Any) -> str:
        handle = f"timer-{next(self._seq)}"

        def fire() -> None:
            self._handles.pop(handle, None)
            task = asyncio.ensure_future(callback(**kwargs))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        self._handles[handle] = asyncio.get_running_loop().call_later(max(0.0, float(delay)), fire)
        return handle

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def cancel_timer(self, handle: str, silent: bool = False) -> bool:
        timer = self._handles.pop(handle, None)
        if timer is not None:
            timer.cancel()
        return timer is not None

    async def set_state(
        self,
        entity_id: str,
        state: Any = None,
        attributes: dict[str, Any] | None = None,
        replace: bool = False,
        check_existence: bool = True,
        **kwargs: Any,
    ) -> None:
        await super().set_state(entity_id, state, attributes, replace, check_existence)
        self.on_state(entity_id, state)


async def _until(fake: RealTimeAppDaemon, entity: str, wanted: Any, timeout: float = 30) -> float:
    seen = asyncio.get_running_loop().create_future()

    def watch(entity_id: str, state: Any) -> None:
        if entity_id == entity and state == wanted and not seen.done():
            seen.set_result(time.monotonic())

    fake.on_state = watch
    return await asyncio.wait_for(seen, timeout)


async def _reactions(trials: int) -> dict[str, list[float]]:
    fake = RealTimeAppDaemon()
    timing = Timing(preparing_s=1.0, ramp_s=1.0, stopping_s=1.0)
    sim = Simulator(demo_model(TOKEN, 1, timing=timing), Settings(latency=0.05))
    results: dict[str, list[float]] = {"start": [], "stop": []}
    with tempfile.TemporaryDirectory() as tmp:
        async with running(sim) as url:
            app = make_app(
                fake,
                {"api_host": url, "auth_token": TOKEN, "chargepoint_id": CP1, "state_file": f"{tmp}/state.json"},
                Path(tmp),
            )
            await app.initialize()
            await asyncio.sleep(1)
            status, session = "sensor.evse_ace0549935_evse_status", "sensor.evse_ace0549935_session_id"
            for _ in range(trials):
                for command, entity, wanted in (("start", status, "charging"), ("stop", session, "none")):
                    await asyncio.sleep(random.uniform(0.5, 3))  # not in step with the app's own polls
                    waiting = asyncio.ensure_future(_until(fake, entity, wanted))
                    sent = time.monotonic()
                    await fake.send(f"ampeco_ev_charger_{command}_charging", {})
                    results[command].append(await waiting - sent)
                await asyncio.sleep(2)
            await app.terminate()
    return results


async def _phone_session_delays(trials: int, plugged_for: float) -> list[float]:
    """Virtual clock: a car plugged in `plugged_for` seconds ago; the session starts from the phone."""
    delays = []
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(trials):
            async with stack(Path(tmp) / str(trial), chargers=1) as s:
                await s.start()
                await s.fake.advance(plugged_for + random.uniform(0, 300))
                s.model.start(s.model.chargers[CP1])
                started = s.fake.clock
                while not s.fake.fired("ampeco_ev_charger_session_started"):
                    await s.fake.advance(1)
                delays.append(s.fake.clock - started)
    return delays


async def _phone_session_delays_live(trials: int, plugged_for: float) -> list[float]:
    """As above with live updates flowing: the car's time at the socket passes on the virtual clock, while the
    event's way through laravel-echo-server to the sensor is timed on the wall clock."""
    delays = []
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(trials):
            folder = Path(tmp) / str(trial)
            async with stack(folder, chargers=1) as s, echo_beside(s, folder / "echo"):
                await s.start(push=True)
                await _until_done(lambda: _live(s) == "subscribed")
                await s.fake.advance(plugged_for + random.uniform(0, 300))
                await asyncio.sleep(random.uniform(0, 1))
                s.model.start(s.model.chargers[CP1])
                began = time.monotonic()
                await _until_done(lambda: bool(s.fake.fired("ampeco_ev_charger_session_started")))
                delays.append(time.monotonic() - began)
                await s.stop()
    return delays


def measure_reaction(trials: int) -> dict[str, Any]:
    reactions = asyncio.run(_reactions(trials))
    return {
        "start": reactions["start"],
        "stop": reactions["stop"],
        "phone_fresh": asyncio.run(_phone_session_delays(trials, 0)),
        "phone_later": asyncio.run(_phone_session_delays(trials, 3600)),
        "phone_fresh_live": asyncio.run(_phone_session_delays_live(trials, 0)),
        "phone_later_live": asyncio.run(_phone_session_delays_live(trials, 3600)),
    }


# --- 3. scale --------------------------------------------------------------------------------------------


async def _scale(chargers: int, url: str, limit: int) -> dict[str, Any]:
    fake = RealTimeAppDaemon()
    rss_before = _proc(os.getpid())[1]
    with tempfile.TemporaryDirectory() as tmp:
        args = {
            "api_host": url,
            "auth_token": "unused",
            "max_concurrent_requests": limit,
            "state_file": f"{tmp}/state.json",
            "request_timeout": 30,
            "chargers": [{"chargepoint_id": f"SIM{i:07d}", "auth_token": f"bench-{i}"} for i in range(chargers)],
        }
        app = make_app(fake, args, Path(tmp))
        published = asyncio.Event()
        status = {f"sensor.evse_sim{i:07d}_evse_status" for i in range(chargers)}

        def watch(entity_id: str, state: Any) -> None:
            if state not in ("unavailable", None):
                status.discard(entity_id)
            if not status:
                published.set()

        fake.on_state = watch
        started = time.monotonic()
        await app.initialize()
        await asyncio.wait_for(published.wait(), 120)
        first_round = time.monotonic() - started
        assert app._assembly is not None
        hub = app._assembly.hub
        cpu_before, rounds = time.process_time(), 5
        wall = time.monotonic()
        for _ in range(rounds):
            await asyncio.gather(*(account.refresh() for account in hub.accounts))
        cpu_per_round = (time.process_time() - cpu_before) / rounds
        round_wall = (time.monotonic() - wall) / rounds
        rss_with_app = _proc(os.getpid())[1]
        await app.terminate()
    return {
        "chargers": chargers,
        "first_round_s": first_round,
        "round_s": round_wall,
        "cpu_s_per_hour": cpu_per_round * HOUR / 30,  # every account charging: a round every 30 s
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "app_rss_kb": rss_with_app - rss_before,
    }


def scale_worker(chargers: int, limit: int) -> None:
    """One size in a fresh process, so its peak RSS is its own."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        simulator(Path(tmp), "bench-", None, "--accounts", str(chargers), "--latency", "0.05") as url,
    ):
        result = asyncio.run(_scale(chargers, url, limit))
        result["max_in_flight"] = http_json("GET", f"{url}/_sim/requests")["max_in_flight"].get("*", 0)
    print(json.dumps(result))


def measure_scale(sizes: list[int], limit: int) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--scale-worker", str(size), "--limit", str(limit)],
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


# --- 4. idle weight --------------------------------------------------------------------------------------


def _proc(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and RSS in kB of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss


def measure_idle_weight(minutes: float) -> dict[str, Any]:
    """AppDaemons side by side for `minutes`, each with the app's folder installed and one idle charger:
    the app running or `disable: true`, in AppDaemon's default mode and with `production_mode: true`."""
    variants = {
        "dev": ("", False),
        "dev_disabled": ("", True),
        "prod": ("production_mode: true\n", False),
        "prod_disabled": ("production_mode: true\n", True),
    }
    with tempfile.TemporaryDirectory() as tmp, simulator(Path(tmp), TOKEN) as url:
        http_json("POST", f"{url}/_sim/chargers/{CP1}", {"plugged": False})
        processes = {}
        for name, (extra, disabled) in variants.items():
            port, config = free_port(), Path(tmp) / name
            apps = ad.apps_yaml(url, [{"chargepoint_id": CP1}], **({"disable": True} if disabled else {}))
            ad.install(config, port, apps, {"ampeco_token": TOKEN}, extra_yaml=extra)
            processes[name] = (ad.start(config, Path(tmp) / f"{name}.log"), port)
        try:
            for name, (_, port) in processes.items():
                admin = f"http://127.0.0.1:{port}/api/appdaemon/state/admin"
                wait_for(f"AppDaemon {name}", functools.partial(http_json, "GET", admin), timeout=90)
            time.sleep(10)
            start = {name: _proc(p.popen.pid) for name, (p, _) in processes.items()}
            time.sleep(minutes * 60)
            end = {name: _proc(p.popen.pid) for name, (p, _) in processes.items()}
        finally:
            for process, _ in processes.values():
                process.stop()
    return {
        "minutes": minutes,
        **{f"cpu_{n}": end[n][0] - start[n][0] for n in end},
        **{f"rss_{n}_kb": end[n][1] for n in end},
    }


# --- plot ------------------------------------------------------------------------------------------------


def plot(requests: list[dict[str, Any]], reaction: dict[str, list[float]], path: Path) -> None:
    """Requests per hour against the original integration's policy, and how fast sensors follow."""
    # Imported here, not at the top: the scale workers import this file, and their RSS must be the app's.
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), dpi=100, layout="constrained")
    figure.suptitle("What the app costs the AMPECO cloud, and how fast Home Assistant shows a change", fontsize=13)
    rows = [r for r in requests if r["chargers"] in (1, 10)]
    labels = [f"{r['state']}\n{r['chargers']} charger{'s' * (r['chargers'] > 1)}" for r in rows]
    ys = range(len(rows))
    left.barh([y + 0.2 for y in ys], [r["original"] for r in rows], 0.4, color="#969696", label="original integration")
    left.barh([y - 0.2 for y in ys], [r["steady_hour"] for r in rows], 0.4, color="#2864c8", label="this app")
    left.set_yticks(list(ys), labels, fontsize=8)
    left.invert_yaxis()
    left.set_xscale("log")
    left.set_xlabel("requests per account per hour (log scale), an hour into the state")
    left.legend(loc="upper right")
    left.grid(True, axis="x", color="#e6e6e6")
    keys = [
        ("start", "start event"),
        ("stop", "stop event"),
        ("phone_fresh", "phone start, car just plugged in"),
        ("phone_later", "phone start, plugged in for an hour"),
        ("phone_fresh_live", "the same, live updates"),
        ("phone_later_live", "the same, an hour, live updates"),
    ]
    ys = range(len(keys))
    right.barh(
        [y - 0.2 for y in ys], [statistics.median(reaction[k]) for k, _ in keys], 0.4, color="#2864c8", label="median"
    )
    right.barh(
        [y + 0.2 for y in ys], [_pct(reaction[k], 90) for k, _ in keys], 0.4, color="#8fb0e6", label="90th percentile"
    )
    right.set_yticks(list(ys), [label for _, label in keys], fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlabel("seconds until the sensor shows it (log scale)")
    right.legend(loc="lower right")
    right.grid(True, axis="x", color="#e6e6e6")
    figure.savefig(path)


# --- 5. rows Home Assistant's recorder writes ---------------------------------------------------------------


def measure_rows() -> list[dict[str, Any]]:
    rows = []
    for state in ORIGINAL:
        # One charger's entities: Home Assistant's recorder writes one row per change (the app writes only
        # what changed).
        first, steady = asyncio.run(_hours_in_state(state, 1, lambda s: s.fake.writes))
        rows.append({"state": state, "first_hour": first, "steady_hour": steady})
    return rows


# --- report ----------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def report(
    requests: list[dict[str, Any]],
    reaction: dict[str, Any],
    scale: list[dict[str, Any]],
    idle: dict[str, Any],
    limit: int,
    stored: list[dict[str, Any]],
) -> str:
    lines = [
        "| state | chargers on the account | first hour | an hour later | original integration |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {row['state']} | {row['chargers']} | {row['first_hour']:.0f} | {row['steady_hour']:.0f} | "
        f"{row['original']:.0f} |"
        for row in requests
    ]
    lines += ["", "| reaction | median | 90th percentile | n |", "| --- | --- | --- | --- |"]
    for key, label in (
        ("start", "start event -> sensor shows `charging`"),
        ("stop", "stop event -> sensor shows no session"),
        ("phone_fresh", "session started from the phone, car just plugged in"),
        ("phone_later", "session started from the phone, car plugged in for an hour"),
        ("phone_fresh_live", "the same with live updates, car just plugged in"),
        ("phone_later_live", "the same with live updates, car plugged in for an hour"),
    ):
        values = reaction[key]
        lines.append(f"| {label} | {statistics.median(values):.2f} s | {_pct(values, 90):.2f} s | {len(values)} |")
    lines += [
        "",
        (
            f"| chargers (one account each) | first poll round | a round | CPU per hour (all charging) | "
            f"peak RSS of the process | RSS the app added | per added charger | requests in flight (limit {limit}) |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for previous, row in zip([None, *scale], scale, strict=False):
        # Per charger: the slope from the previous size (the first row also carries the app's fixed cost).
        base = previous or {"app_rss_kb": 0, "chargers": 0}
        per = (row["app_rss_kb"] - base["app_rss_kb"]) / (row["chargers"] - base["chargers"])
        lines.append(
            f"| {row['chargers']} | {row['first_round_s']:.2f} s | {row['round_s']:.2f} s | "
            f"{row['cpu_s_per_hour']:.1f} s | {row['peak_rss_kb'] / 1024:.1f} MB | "
            f"{row['app_rss_kb'] / 1024:.1f} MB | {per:.1f} KB | {row['max_in_flight']} |"
        )
    per_hour = 60 / idle["minutes"]
    lines += [
        "",
        f"| idle weight in AppDaemon 4.5.13, one idle charger, {idle['minutes']:g} min | CPU per hour | RSS |",
        "| --- | --- | --- |",
    ]
    for mode, label in (("prod", "`production_mode: true`"), ("dev", "AppDaemon's default (watches app files)")):
        for name, what in ((mode, "app running"), (f"{mode}_disabled", "app installed, `disable: true`")):
            lines.append(
                f"| {label}, {what} | {idle[f'cpu_{name}'] * per_hour:.1f} s | {idle[f'rss_{name}_kb'] / 1024:.1f} MB |"
            )
    lines += [
        "",
        "| state changes (recorder rows) per charger | first hour | an hour later |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {row['state']} | {row['first_hour']} | {row['steady_hour']} |" for row in stored]
    return "\n".join(lines)


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_docs(table: str) -> None:
    """The tables between the performance page's markers; the rest of the page stays as written."""
    text = PAGE.read_text()
    start, end = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    block = f"{start}\nMeasured on {date.today().isoformat()} on {_machine()} with `make benchmark`:\n\n{table}\n{end}"
    PAGE.write_text(head + block + tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="idle weight over 1 minute, fewer trials")
    parser.add_argument("--idle-minutes", type=float, default=10)
    parser.add_argument("--limit", type=int, default=10, help="max_concurrent_requests for the scale test")
    parser.add_argument("--sizes", default="1,10,100,500")
    parser.add_argument("--write-docs", action="store_true", help=f"the tables into {PAGE.name}, and the plot")
    parser.add_argument("--scale-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plot-only", action="store_true", help=f"draw {PLOT.name} again from {RESULTS.name}")
    args = parser.parse_args()
    if args.scale_worker:
        scale_worker(args.scale_worker, args.limit)
        return
    if args.plot_only:
        results = json.loads(RESULTS.read_text())
        plot(results["requests"], results["reaction"], PLOT)
        return
    random.seed(20261125)
    print("1/5 requests per hour ...", flush=True)
    requests = measure_requests()
    print("2/5 reaction times ...", flush=True)
    reaction = measure_reaction(8 if args.quick else 20)
    print("3/5 scale ...", flush=True)
    scale = measure_scale([int(n) for n in args.sizes.split(",")], args.limit)
    minutes = 1 if args.quick else args.idle_minutes
    print(f"4/5 idle weight over {minutes:g} minutes ...", flush=True)
    idle = measure_idle_weight(minutes)
    print("5/5 what Home Assistant stores ...", flush=True)
    stored = measure_rows()
    table = report(requests, reaction, scale, idle, args.limit, stored)
    print(table)
    results = {"requests": requests, "reaction": reaction, "scale": scale, "idle": idle, "stored": stored}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    if args.write_docs:
        write_docs(table)
        plot(requests, reaction, PLOT)


if __name__ == "__main__":
    main()
