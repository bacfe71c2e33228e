"""Serve the AMPECO simulator on loopback until interrupted: `python -m simulator --port 8089`."""

import argparse
import asyncio
import ipaddress
import signal

from .model import Timing, demo_model, many_accounts
from .server import Simulator, running


def _loopback(value: str) -> str:
    if value != "localhost" and not ipaddress.ip_address(value).is_loopback:
        raise argparse.ArgumentTypeError("the simulator only binds to loopback addresses")
    return value


async def _serve(args: argparse.Namespace) -> None:
    timing = Timing(preparing_s=args.preparing, ramp_s=args.ramp, stopping_s=args.stopping)
    if args.accounts:
        model = many_accounts(args.accounts, args.token, timing=timing)
    else:
        model = demo_model(args.token, args.chargers, timing=timing)
    simulator = Simulator(model)
    simulator.settings.latency = args.latency
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(simulator, args.host, args.port) as url:
        ids = ", ".join(list(simulator.model.chargers)[:5]) + (", ..." if len(simulator.model.chargers) > 5 else "")
        print(f"AMPECO simulator serving {url} (chargers: {ids}); control API at {url}/_sim/state", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", type=_loopback, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--token", default="demo-token", help="the bearer token the simulated account accepts")
    parser.add_argument("--chargers", type=int, default=2)
    parser.add_argument(
        "--accounts",
        type=int,
        default=0,
        help="instead: this many accounts (tokens <token>0, <token>1, ...) with one charger each",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    parser.add_argument("--preparing", type=float, default=2.0, help="seconds from start to charging")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds for power to reach its target")
    parser.add_argument("--stopping", type=float, default=1.0, help="seconds from stop to finished")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
