"""Connection check for setting up: does the token work, what is on the account, what goes in apps.yaml.

    cd <the folder that holds ampeco_ev_charger>
    AMPECO_TOKEN=eyJ0eXAi... python3 -m ampeco_ev_charger.check --host megatel.eu.charge.ampeco.tech
    python3 -m ampeco_ev_charger.check --host ... --chargepoint QNG0C18010      (asks for the token)

The token comes from the environment (AMPECO_TOKEN), or is asked for; `--token` works too, but shows it in
the machine's process list. Exit code 0 when all is well; otherwise 2 (bad arguments), 3 (token
rejected), 4 (host unreachable), 5 (charge point not on the account), 6 (another API failure, or a host that
is not an AMPECO cloud), 7 (aiohttp is missing). The token is never printed.
"""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from .const import DEFAULT_API_HOST

NO_AIOHTTP = 7


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m ampeco_ev_charger.check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default=DEFAULT_API_HOST, help="your vendor's AMPECO host")
    parser.add_argument("--token", help="the token (better: the environment variable AMPECO_TOKEN, or the prompt)")
    parser.add_argument("--chargepoint", help="check that this chargepoint id is on the account")
    parser.add_argument("--units", choices=["W", "kW"], default="W", help="kW if your vendor sends kW and kWh")
    parser.add_argument("--timeout", type=float, default=15)
    return parser


def _token(given: str | None, environ: Mapping[str, Any], stdin: TextIO, ask: Callable[[str], str], err: TextIO) -> str:
    if given:
        print(
            "Warning: a token given with --token shows in this machine's process list (ps) while the check runs; "
            "next time set AMPECO_TOKEN instead, or leave both out to be asked.",
            file=err,
        )
        return given
    token = str(environ.get("AMPECO_TOKEN", ""))
    if not token and stdin.isatty():
        token = ask("AMPECO token (not shown): ").strip()
    return token


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, Any] = os.environ,
    *,
    stdin: TextIO = sys.stdin,
    ask: Callable[[str], str] = getpass.getpass,
) -> int:
    args = _parser().parse_args(argv)
    try:
        import aiohttp  # noqa: F401, PLC0415 - asked for here, so that its absence is a sentence, not a traceback
    except ImportError:
        print(
            "Problem: this check needs the Python package aiohttp, which AppDaemon brings. Run it where AppDaemon "
            "runs, or install it first: python3 -m pip install aiohttp",
        )
        return NO_AIOHTTP
    from .ampeco import Units  # noqa: PLC0415 - needs aiohttp
    from .connection import check  # noqa: PLC0415 - needs aiohttp

    token = _token(args.token, environ, stdin, ask, sys.stderr)
    units = Units("kW", "kWh") if args.units == "kW" else Units()
    code, lines = asyncio.run(check(args.host, token, args.chargepoint, units, args.timeout))
    print("\n".join(line.replace(token, "***") if token else line for line in lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
