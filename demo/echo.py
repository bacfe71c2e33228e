"""laravel-echo-server, the broadcast server AMPECO runs for live updates, as a real process on loopback.

npm's `laravel-echo-server` 1.6.3 (socket.io 2, Engine.IO v3) on Node, without Redis: `database: "sqlite"`
with sqlite3 left out is a no-op, enough for private channels. Its backend (`authHost`) is the simulator,
which answers `/broadcasting/auth` and publishes its changes through the server's HTTP API.

    python -m demo.echo --install      (what `make test` and `make demo` run first)
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .processes import REPO, Process, Restartable, free_port, http_json, wait_for

PACKAGE = Path(__file__).parent / "echo_server"  # package.json and its lock
PREFIX = REPO / "build" / "echo-server"
SERVER = PREFIX / "node_modules" / "laravel-echo-server" / "bin" / "server.js"
APP_ID, KEY = "ampeco-sim", "sim-echo-key-7d41"
NO_NODE = (
    "Live updates need Node.js and npm for laravel-echo-server, which were not found (apt-get install nodejs npm)."
)


def installed() -> bool:
    return SERVER.exists() and (PREFIX / "package-lock.json").read_text() == (PACKAGE / "package-lock.json").read_text()


def install() -> Path:
    """`npm ci` of the pinned laravel-echo-server into build/echo-server (skipped when already done)."""
    if not installed():
        if shutil.which("npm") is None or shutil.which("node") is None:
            raise SystemExit(NO_NODE)
        PREFIX.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PACKAGE / name, PREFIX / name)
        print(f"Installing laravel-echo-server 1.6.3 into {PREFIX} (npm ci, a few seconds, once) ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PREFIX, check=True, timeout=600
        )
    return SERVER


@dataclass
class EchoServer(Restartable):
    """A running laravel-echo-server; `url` is what the tenant's settings name as `broadcast.url`."""

    folder: Path
    port: int
    auth_host: str
    ping_interval_ms: int
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "EchoServer":
        config = {
            "authHost": self.auth_host,
            "authEndpoint": "/broadcasting/auth",
            "clients": [{"appId": APP_ID, "key": KEY}],
            "database": "sqlite",
            "databaseConfig": {"sqlite": {"databasePath": "/echo.sqlite"}},
            "devMode": True,
            "host": "127.0.0.1",
            "port": self.port,
            "protocol": "http",
            "socketio": {"pingInterval": self.ping_interval_ms, "pingTimeout": self.ping_interval_ms // 2},
            "subscribers": {"http": True, "redis": False},
            "apiOriginAllow": {"allowCors": False, "allowOrigin": "", "allowMethods": "", "allowHeaders": ""},
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "laravel-echo-server.json"
        path.write_text(json.dumps(config, indent=1))
        env = {k: v for k, v in os.environ.items() if not k.startswith("LARAVEL_ECHO_SERVER_")} | {"FORCE_COLOR": "0"}
        log = self.folder / "echo-server.log"
        start = len(log.read_text()) if log.exists() else 0
        # The folder is its working directory: a .env there, or a lock file, is its own.
        self.process = Process(
            "laravel-echo-server", ["node", str(SERVER), "start", "--config", str(path)], log, cwd=self.folder, env=env
        )
        process = self.process
        wait_for("laravel-echo-server to be ready", lambda: _ready(process, start), timeout=30)
        return self

    def channels(self) -> dict[str, Any]:
        """The channels someone listens on now: `{name: {"subscription_count": n, ...}}`."""
        return http_json("GET", f"{self.url}/apps/{APP_ID}/channels?auth_key={KEY}")["channels"]

    def publish(self, channel: str, name: str, data: dict[str, Any]) -> None:
        http_json(
            "POST", f"{self.url}/apps/{APP_ID}/events?auth_key={KEY}", {"channel": channel, "name": name, "data": data}
        )


def _ready(process: Process, start: int) -> bool:
    if not process.alive():
        raise RuntimeError(f"laravel-echo-server stopped at start: {process.output()[start:][-2000:]}")
    return "Server ready!" in process.output()[start:]


def echo_server(folder: Path, auth_host: str, port: int | None = None, ping_interval_ms: int = 25000) -> EchoServer:
    """A started echo server (stop it when done)."""
    return EchoServer(folder, port or free_port(), auth_host, ping_interval_ms).start()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo.echo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--install", action="store_true", help="npm ci laravel-echo-server into build/echo-server")
    parser.add_argument("--optional", action="store_true", help="without Node.js, say so and exit 0")
    parser.add_argument("--require-node", action="store_true", help="fail unless Node.js and npm are there")
    args = parser.parse_args()
    missing = shutil.which("npm") is None or shutil.which("node") is None
    if args.require_node:
        if missing:
            raise SystemExit(NO_NODE)
        print(f"Node.js for laravel-echo-server: {shutil.which('node')}")
    elif args.install:
        if args.optional and missing and not installed():
            print(f"Skipping laravel-echo-server: {NO_NODE}")
            return
        print(f"laravel-echo-server ready: {install()}")
    else:
        parser.print_help(sys.stderr)


if __name__ == "__main__":
    main()
