"""Run the demo: the AMPECO simulator with two chargers, AppDaemon and the app, all on 127.0.0.1.

    python -m demo            (or: make demo)

Ctrl-C stops everything it started.
"""

import argparse
import signal
import threading
from pathlib import Path

from . import appdaemon as ad
from .processes import REPO, Process, simulator

TOKEN = "demo-token"
CHARGERS = [{"chargepoint_id": "ACE0549935", "name": "Driveway"}, {"chargepoint_id": "QNG0C18010", "name": "Garage"}]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appdaemon-port", type=int, default=5050)
    parser.add_argument("--simulator-port", type=int, default=8089)
    parser.add_argument("--dir", type=Path, default=REPO / "build" / "demo", help="where configs and logs go")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    with simulator(args.dir, TOKEN, args.simulator_port) as sim:
        config = args.dir / "appdaemon"
        ad.install(config, args.appdaemon_port, ad.apps_yaml(sim, CHARGERS), {"ampeco_token": TOKEN})
        process = ad.start(config, args.dir / "appdaemon.log")
        try:
            api = ad.AppDaemonApi(f"http://127.0.0.1:{args.appdaemon_port}")
            api.wait_value("sensor.evse_ace0549935_evse_status", lambda v: v is not None, timeout=90)
            _welcome(api.url, sim, args.dir)
            while not stop.wait(1):
                if not process.alive():
                    print(f"AppDaemon stopped unexpectedly; see {process.log}")
                    break
        finally:
            _stop(process)
    print("Demo stopped.")


def _welcome(appdaemon: str, sim: str, folder: Path) -> None:
    event = f"{appdaemon}/api/appdaemon/event/default"
    state = f"{appdaemon}/api/appdaemon/state/default"
    print(f"""
The demo is running (no charger or token needed).

  AppDaemon admin UI:  {appdaemon}/aui/index.html     (entities: the "default" namespace)
  AMPECO simulator:    {sim}/_sim/state
  logs and configs:    {folder}

Start charging "Driveway" at 10 A, watch it, stop it:
  curl -X POST {event}/ampeco_ev_charger_start_charging -H 'Content-Type: application/json' \\
       -d '{{"chargepoint_id": "ACE0549935", "max_current": 10}}'
  curl {state}/sensor.evse_ace0549935_charging_session
  curl -X POST {event}/ampeco_ev_charger_stop_charging -H 'Content-Type: application/json' \\
       -d '{{"chargepoint_id": "ACE0549935"}}'
Plug a car into "Garage" as if from the driveway:
  curl -X POST {sim}/_sim/chargers/QNG0C18010 -d '{{"plugged": true}}'

Press Ctrl-C to stop everything.""", flush=True)


def _stop(process: Process) -> None:
    print("Stopping AppDaemon and the simulator ...", flush=True)
    process.stop()


if __name__ == "__main__":
    main()
