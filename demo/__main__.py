"""Run the demo: the AMPECO simulator with two chargers, Home Assistant, and AppDaemon running the app, all on
127.0.0.1, no charger or token needed.

    make demo        (or: PYTHONPATH=apps python -m demo)

The first run installs Home Assistant into .venv-ha (Python 3.13 needed; a minute or two). Ctrl-C stops
everything it started.
"""

import argparse
import signal
import socket
import sys
import threading
from pathlib import Path

from . import homeassistant as ha
from .processes import REPO
from .stack import CHARGERS, running


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ha-port", type=int, default=8123)
    parser.add_argument("--appdaemon-port", type=int, default=5050)
    parser.add_argument("--simulator-port", type=int, default=8089)
    parser.add_argument("--dir", type=Path, default=REPO / "build" / "demo", help="where configs and logs go")
    args = parser.parse_args()
    for name, port in (
        ("--ha-port", args.ha_port),
        ("--appdaemon-port", args.appdaemon_port),
        ("--simulator-port", args.simulator_port),
    ):
        if not _free(port):
            sys.exit(f"Port {port} on 127.0.0.1 is in use; choose another with {name}.")
    ha.install()

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("Starting the simulator, Home Assistant and AppDaemon ...", flush=True)
    with running(args.dir, args.ha_port, args.appdaemon_port, args.simulator_port) as stack:
        _welcome(stack.ha_url, stack.simulator_url, stack.ad_port, args.dir, stack.ready_s)
        while not stop.wait(1):
            for process in (stack.ha, stack.ad):
                if not process.alive():
                    print(f"{process.name} stopped unexpectedly; see {process.log}")
                    stop.set()
        print("Stopping AppDaemon, Home Assistant and the simulator ...", flush=True)
    print("Demo stopped.")


def _welcome(ha_url: str, sim: str, ad_port: int, folder: Path, seconds: float) -> None:
    names = " and ".join(f'"{c["name"]}" ({c["chargepoint_id"]})' for c in CHARGERS)
    print(
        f"""
The demo is running (started in {seconds:.0f} s): two simulated chargers, {names}.

  Home Assistant:   {ha_url}/lovelace/ev      user: {ha.USERNAME}   password: {ha.PASSWORD}
  AppDaemon:        http://127.0.0.1:{ad_port}/aui/index.html
  AMPECO simulator: {sim}/_sim/state
  configs and logs: {folder}

On the dashboard, press "Start Driveway" (or turn on its toggle) and watch the session run; "Stop
Driveway" ends it. "Garage" has smart charging: press its "Plug in car" (the simulator's button, standing
in for you at the charger), choose "now" in its "Smart charging mode", and the app starts the session.

Press Ctrl-C to stop everything.""",
        flush=True,
    )


if __name__ == "__main__":
    main()
