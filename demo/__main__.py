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
from .stack import Stack, running


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
    parser.add_argument("--mqtt-port", type=int, default=18830, help="the demo's own MQTT broker (mosquitto)")
    parser.add_argument("--no-mqtt", action="store_true", help="the set_state path with dashboard helpers")
    parser.add_argument("--dir", type=Path, default=REPO / "build" / "demo", help="where configs and logs go")
    args = parser.parse_args()
    for name, port in (
        ("--ha-port", args.ha_port),
        ("--appdaemon-port", args.appdaemon_port),
        ("--simulator-port", args.simulator_port),
        ("--mqtt-port", args.mqtt_port),
    ):
        if not _free(port):
            sys.exit(f"Port {port} on 127.0.0.1 is in use; choose another with {name}.")
    ha.install()

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("Starting the simulator, Home Assistant and AppDaemon ...", flush=True)
    mqtt = False if args.no_mqtt else None  # with MQTT where mosquitto is installed
    with running(
        args.dir, args.ha_port, args.appdaemon_port, args.simulator_port, mqtt=mqtt, mqtt_port=args.mqtt_port
    ) as stack:
        _welcome(stack, args.dir)
        while not stop.wait(1):
            for process in (stack.ha, stack.ad):
                if not process.alive():
                    print(f"{process.name} stopped unexpectedly; see {process.log}")
                    stop.set()
        print("Stopping AppDaemon, Home Assistant and the simulator ...", flush=True)
    print("Demo stopped.")


def _welcome(stack: Stack, folder: Path) -> None:
    names = " and ".join(f'"{c["name"]}" ({c["chargepoint_id"]})' for c in stack.chargers)
    devices = (
        f"\n  Devices (MQTT):   {stack.ha_url}/config/devices/dashboard   broker: 127.0.0.1:{stack.broker.port}"
        if stack.broker is not None
        else ""
    )
    toggle = "its Charge switch" if stack.mqtt else "its toggle"
    print(
        f"""
The demo is running (started in {stack.ready_s:.0f} s): two simulated chargers, {names}.

  Home Assistant:   {stack.ha_url}/lovelace/ev      user: {ha.USERNAME}   password: {ha.PASSWORD}{devices}
  AppDaemon:        http://127.0.0.1:{stack.ad_port}/aui/index.html
  AMPECO simulator: {stack.simulator_url}/_sim/state
  configs and logs: {folder}

On the dashboard, press "Start Driveway" (or turn on {toggle}) and watch the session run; "Stop
Driveway" ends it. "Garage" has smart charging: press its "Plug in car" (the simulator's button, standing
in for you at the charger), choose "now" in its "Smart charging mode", and the app starts the session.

Press Ctrl-C to stop everything.""",
        flush=True,
    )


if __name__ == "__main__":
    main()
