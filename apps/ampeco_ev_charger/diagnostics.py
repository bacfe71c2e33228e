"""A diagnostics dump for a bug report: what the app knows, with nothing personal or secret in it.

Written on the event `ampeco_ev_charger_diagnostics` (answered by `ampeco_ev_charger_diagnostics_written` with
the file), or from the command line where AppDaemon runs, from the app's memory file alone:

    python3 -m ampeco_ev_charger.diagnostics --state-file /config/ampeco_ev_charger.state.json

It holds the versions (app, AppDaemon, Python), the configuration without its credentials, each charger's last
reading as the app understood it and the shape of the last answer it came from (keys and types, never values),
the oddities and problems said since the start, the polling and live-update status, and a summary of the memory
file and the session log. Tokens, refresh tokens, client secrets, e-mail addresses and names are not in it.
"""

import argparse
import json
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .ampeco import ChargePoint, PayloadError, Units, parse_charge_point
from .config import AppConfig
from .runtime.files import write_atomically
from .runtime.hub import Hub
from .runtime.logbook import Logbook
from .runtime.memory_file import MemoryFile
from .runtime.session_log import SessionLog
from .runtime.store import Loaded, Store

# Values of the reading that are personal rather than technical: shown only as whether they are there.
PERSONAL = frozenset({"name", "charger_name", "email", "phone", "address"})
_DEPTH = 8  # a shape deeper than this is cut (a hostile answer may nest without end)


def shape(value: object, depth: int = 0) -> object:
    """The keys and types of a JSON value, no values: what a bug report needs of an answer."""
    if depth >= _DEPTH:
        return "..."
    if isinstance(value, Mapping):
        return {str(key)[:60]: shape(item, depth + 1) for key, item in list(value.items())[:200]}
    if isinstance(value, list):
        return [shape(value[0], depth + 1), f"{len(value)} item(s)"] if value else []
    if value is None:
        return "null"
    return type(value).__name__


def reading(charge_point: ChargePoint | None) -> object:
    """A charger's parsed reading, its personal values replaced by whether they are set."""
    if charge_point is None:
        return None
    return _scrubbed(asdict(charge_point))


def _scrubbed(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: ("<set>" if v else v) if k in PERSONAL else _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item) for item in value]
    return value


CREDENTIALS = frozenset({"auth_token", "refresh_token", "client_secret", "client_id"})


def without_credentials(value: object) -> object:
    """A configuration as plain data, every credential and name shown only as whether it was given."""
    if is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, Mapping):
        return {
            str(k): ("<set>" if v else None) if k in CREDENTIALS | PERSONAL else without_credentials(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [without_credentials(item) for item in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def versions() -> dict[str, str]:
    try:
        from appdaemon.version import __version__ as appdaemon  # noqa: PLC0415 - there only where AppDaemon is
    except ImportError:
        appdaemon = "not installed here"
    return {"app": __version__, "appdaemon": appdaemon, "python": sys.version.split()[0], "os": platform.system()}


def memory_summary(path: Path, loaded: Loaded) -> dict[str, Any]:
    """What the memory file holds, as far as it can be read: which parts, never their values."""
    data = loaded.data
    accounts = _section(data, "accounts")
    return {
        "path": str(path),
        "problem": loaded.problem,
        "chargers": sorted(data.get("chargers", {})) if isinstance(data.get("chargers"), dict) else [],
        "tenants": data.get("tenants"),
        "accounts": {
            f"account {n}": {
                "renewed_token_kept": bool(isinstance(a, dict) and a.get("access_token")),
                "refresh_refused": bool(isinstance(a, dict) and a.get("refused")),
                "refresh_tokens_spent": len(a.get("spent") or []) if isinstance(a, dict) else 0,
                "session_log_filled": bool(isinstance(a, dict) and a.get("session_log")),
            }
            for n, a in enumerate(accounts.values(), 1)
        },
    }


def _section(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def offline_report(path: Path, loaded: Loaded) -> dict[str, Any]:
    """What can be known without the running app: the memory file's readings and their shapes (`loaded`: what
    the file held, read off the event loop)."""
    chargers = _section(loaded.data, "chargers")
    report: dict[str, Any] = {
        "written_at": time.time(),
        "versions": versions(),
        "memory": memory_summary(path, loaded),
    }
    report["chargers"] = {}
    for chargepoint_id, saved in chargers.items():
        item = saved.get("item") if isinstance(saved, dict) else None
        parsed = None
        if isinstance(item, dict):
            try:
                parsed = parse_charge_point(item, Units()).charge_point
            except PayloadError:
                parsed = None
        report["chargers"][str(chargepoint_id)] = {"reading": reading(parsed), "answer_shape": shape(item)}
    return report


def live_report(
    config: AppConfig, hub: Hub, memory: MemoryFile, loaded: Loaded, log: SessionLog, logbook: Logbook, now: float
) -> dict[str, Any]:
    """What the running app knows: the offline report's parts, and the configuration, each account's polling
    and live updates, every charger's reading as understood now, and what was said since the start."""
    report = offline_report(memory.store.path, loaded)
    report["configuration"] = without_credentials(config)
    report["memory"]["saving"] = memory.problem
    report["session_log"] = {"path": str(log.path), "problem": hub.book.problem}
    report["said_since_start"] = [_unnamed(line, hub) for line in logbook.noted.values()]
    report["accounts"] = [
        {
            "host": account.client.host,
            "chargers": [charger.id for charger in account.chargers],
            "failed_polls": account.failures,
            "error": account.error.message if account.error is not None else None,
            "poll_every_s": round(parts.poller.cadence),
            "next_poll_in_s": round(max(0.0, parts.poller.next_poll - now)),
            "held_back_s": round(account.client.held_for()),
            "live_updates": None if parts.push is None else asdict(parts.push.status),
            "token_expires_at": account.credentials.expires_at,
            "credentials_problem": account.credentials.problem,
            "tenant": asdict(account.client.tenant),
        }
        for account, parts in hub.parts.items()
    ]
    for charger in hub.chargers.values():
        entry = report["chargers"].setdefault(charger.id, {})
        entry |= {
            "reading": reading(charger.charge_point),
            "answer_shape": shape(charger.item),
            "last_read_s_ago": None if charger.last_success is None else round(now - charger.last_success),
            "problem": charger.problem,
            "session_open": charger.session_id is not None,
            "meter_kwh": charger.memory.meter,
        }
    return report


def _unnamed(line: str, hub: Hub) -> str:
    """A log line with each charger's name taken out of how it names the charger (`Garage (QNG0C18010)`)."""
    for charger in hub.chargers.values():
        cloud = charger.charge_point.name if charger.charge_point is not None else None
        for name in {charger.config.name, cloud} - {None, ""}:
            line = line.replace(f"{name} ({charger.id})", charger.id)
    return line


def write(folder: Path, report: Mapping[str, Any], redact: Any = None) -> Path:
    """The report as JSON in `folder` (the owner's alone), named by the time; `redact`: a last pass over the
    text (the log's redaction of every secret the app knows)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, sort_keys=True, default=str)
    if redact is not None:
        text = redact(text)
    path = folder / time.strftime("ampeco_ev_charger_diagnostics_%Y%m%d_%H%M%S.json", time.gmtime())
    write_atomically(path, text.encode("utf-8"))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m ampeco_ev_charger.diagnostics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state-file", required=True, type=Path, help="the app's memory file (<app>.state.json)")
    parser.add_argument("--out", type=Path, help="where to write it (default: beside the memory file)")
    args = parser.parse_args(argv)
    report = offline_report(args.state_file, Store(args.state_file).load_copy())
    try:
        path = write(args.out or args.state_file.parent, report)
    except OSError as err:
        print(f"Problem: cannot write the diagnostics file ({err.strerror or err})")
        return 4
    print(f"Written: {path}\nAttach it to your bug report; it holds no token, no e-mail address and no name.")
    if report["memory"]["problem"]:
        print(f"Note: {report['memory']['problem']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
