"""A real AppDaemon with the app installed the way a user installs it: folder copied, apps.yaml, secrets."""

import shutil
import sys
import textwrap
import urllib.error
from pathlib import Path
from typing import Any

import yaml

from .processes import REPO, Process, http_json, wait_for

APP_FOLDER = REPO / "apps" / "ampeco_ev_charger"


def install(config: Path, port: int, apps_yaml: str, secrets: dict[str, str], extra_yaml: str = "") -> None:
    """Write appdaemon.yaml (standalone unless `extra_yaml` adds a plugin), secrets.yaml, apps/ and the app."""
    apps = config / "apps"
    shutil.rmtree(apps / "ampeco_ev_charger", ignore_errors=True)
    apps.mkdir(parents=True, exist_ok=True)
    shutil.copytree(APP_FOLDER, apps / "ampeco_ev_charger", ignore=shutil.ignore_patterns("__pycache__"))
    (config / "appdaemon.yaml").write_text(
        textwrap.dedent("""\
            appdaemon:
              latitude: 55.7
              longitude: 12.6
              elevation: 10
              time_zone: Europe/Copenhagen
            """)
        + textwrap.indent(extra_yaml, "  ")
        + textwrap.dedent(f"""\
            http:
              url: http://127.0.0.1:{port}
            api:
            admin:
            logs:
              main_log:
                filter_threshold: 0
            """)
    )
    (config / "secrets.yaml").write_text("".join(f"{key}: {value}\n" for key, value in secrets.items()))
    (apps / "apps.yaml").write_text(apps_yaml)


def apps_yaml(api_host: str, chargers: list[dict[str, Any]], **options: Any) -> str:
    """The apps.yaml entry a user writes, with the token taken from secrets.yaml."""
    entry = {
        "module": "ampeco_ev_charger.app",
        "class": "AmpecoEvCharger",
        "api_host": api_host,
        **options,
        "chargers": chargers,
    }
    first, *rest = yaml.safe_dump({"ampeco_ev_charger": entry}, sort_keys=False).splitlines()
    return "\n".join([first, "  auth_token: !secret ampeco_token", *rest]) + "\n"


def start(config: Path, log: Path) -> Process:
    return Process("appdaemon", [sys.executable, "-m", "appdaemon", "-c", str(config)], log)


class AppDaemonApi:
    """AppDaemon's own REST API (standalone: states live in its `default` namespace)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def state(self, entity_id: str) -> dict[str, Any] | None:
        try:
            return http_json("GET", f"{self.url}/api/appdaemon/state/default/{entity_id}")["state"]
        except urllib.error.HTTPError:
            return None

    def value(self, entity_id: str) -> Any:
        state = self.state(entity_id)
        return None if state is None else state["state"]

    def fire(self, event: str, **data: Any) -> None:
        http_json("POST", f"{self.url}/api/appdaemon/event/default/{event}", data)

    def wait_value(self, entity_id: str, predicate: Any, timeout: float = 30) -> Any:
        def probe() -> tuple[Any] | None:
            value = self.value(entity_id)
            return (value,) if predicate(value) else None

        return wait_for(f"{entity_id} to change", probe, timeout)[0]
