"""Mosquitto, the MQTT broker most Home Assistant homes run (the Mosquitto add-on), as a real process on
loopback: anonymous, without persistence, so each start is a broker fresh from a restart.

    python -m demo.mosquitto --install     (what `make test` and `make demo` run first: Debian's mosquitto)
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .processes import Process, Restartable, free_port, wait_for

NO_BROKER = (
    "MQTT discovery needs the Mosquitto broker, which was not found (apt-get install mosquitto; "
    "`make mosquitto` does it when run as root)."
)


def binary() -> str | None:
    """Debian puts mosquitto in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("mosquitto") or next(
        (str(p) for p in (Path("/usr/sbin/mosquitto"), Path("/usr/local/sbin/mosquitto")) if p.exists()), None
    )


def install() -> str:
    """apt-get install mosquitto when this runs as root; raises SystemExit(NO_BROKER) when it cannot."""
    found = binary()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(NO_BROKER)
    print("Installing mosquitto (apt-get, once) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "mosquitto"], check=True, env=env, timeout=600
    )
    return binary() or ""


@dataclass
class Mosquitto(Restartable):
    folder: Path
    port: int
    process: Process | None = None

    def start(self) -> "Mosquitto":
        path = binary()
        if path is None:
            raise RuntimeError(NO_BROKER)
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stdout\nlog_type error\nlog_type warning\nlog_type notice\n"
        )
        self.process = Process("mosquitto", [path, "-c", str(config)], self.folder / "mosquitto.log", cwd=self.folder)
        process = self.process
        wait_for("mosquitto to listen", lambda: _listening(process, self.port), timeout=15, every=0.05)
        return self


def _listening(process: Process, port: int) -> bool:
    if not process.alive():
        raise RuntimeError(f"mosquitto stopped at start: {process.output()[-2000:]}")
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def mosquitto(folder: Path, port: int | None = None) -> Mosquitto:
    """A started broker (stop it when done)."""
    return Mosquitto(folder, port or free_port()).start()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo.mosquitto", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--install", action="store_true", help="apt-get install mosquitto (as root)")
    parser.add_argument("--optional", action="store_true", help="when it cannot be installed, say so and exit 0")
    parser.add_argument("--require", action="store_true", help="fail unless mosquitto is there")
    args = parser.parse_args()
    if args.require:
        if binary() is None:
            raise SystemExit(NO_BROKER)
        print(f"mosquitto: {binary()}")
    elif args.install:
        if args.optional and binary() is None and (os.geteuid() != 0 or shutil.which("apt-get") is None):
            print(f"Skipping mosquitto: {NO_BROKER}")
            return
        print(f"mosquitto ready: {install()}")
    else:
        parser.print_help(sys.stderr)


if __name__ == "__main__":
    main()
