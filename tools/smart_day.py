"""The simulated smart-charging day of the tests, as a plot and a table for the documentation.

    .venv/bin/python tools/smart_day.py [docs/smart-day.png]

Runs the scenarios of harness/smart_day.py (the cheap night of cheapest mode against charging at once, and
the cloudy solar day in solar and min+solar), draws the plot with matplotlib and prints the day's figures
as a Markdown table.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "apps"), str(REPO)]

from harness.smart_day import NIGHT, SUNNY, TZ, Day, Sample, at, cheapest_night, solar_day  # noqa: E402

BLUE, GREEN, ORANGE, YELLOW, GREY = "#2864c8", "#28964a", "#e67814", "#fad75a", "#969696"


def _end(sample: Sample) -> datetime:
    return sample.at + timedelta(seconds=sample.seconds)


def _steps(samples: Sequence[Sample], value: Callable[[Sample], float]) -> tuple[list[datetime], list[float]]:
    """Values held from each sample to the next, as the x and y of a `where="post"` step plot."""
    xs = [s.at for s in samples] + [_end(samples[-1])]
    ys = [value(s) for s in samples]
    return xs, [*ys, ys[-1]]


def _hours(axes: Axes) -> None:
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=TZ))
    axes.xaxis.set_major_locator(mdates.HourLocator(interval=2, tz=TZ))
    axes.grid(True, color="#e6e6e6")
    axes.set_ylabel("kW")


def draw(night: tuple[Day, Day], sunny: tuple[Day, Day]) -> Figure:
    cheapest, at_once = night
    solar, min_solar = sunny
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(12, 8.8), dpi=100, layout="constrained")
    figure.suptitle("Smart charging: a simulated day on a virtual clock", fontsize=16)

    top.set_title(f"Cheapest: {NIGHT}")
    xs, ys = _steps(at_once.samples, lambda s: s.power_kw)
    top.fill_between(xs, ys, step="post", color=GREY, alpha=0.25)
    top.step(xs, ys, where="post", color=GREY, label=f"at once {at_once.energy_kwh:.1f} kWh, cost {at_once.cost:.2f}")
    xs, ys = _steps(cheapest.samples, lambda s: s.power_kw)
    top.fill_between(
        xs,
        ys,
        step="post",
        color=BLUE,
        alpha=0.8,
        label=f"cheapest {cheapest.energy_kwh:.1f} kWh, cost {cheapest.cost:.2f}",
    )
    top.set_xlim(at(17), at(8, days=1))
    top.set_ylim(0, 12)
    _hours(top)
    prices = top.twinx()
    xs, ys = _steps(cheapest.samples, lambda s: s.price or 0.0)
    prices.step(xs, ys, where="post", color=ORANGE, label="price")
    prices.set_ylim(0, 0.4)
    prices.set_ylabel("price per kWh")
    handles = top.get_legend_handles_labels()[0] + prices.get_legend_handles_labels()[0]
    top.legend(handles=handles, loc="upper right")

    bottom.set_title(f"Solar: {SUNNY}")
    xs, ys = _steps(solar.samples, lambda s: max(0.0, s.surplus_w) / 1000)
    bottom.fill_between(xs, ys, step="post", color=YELLOW, label="surplus without the car")
    xs, ys = _steps(solar.samples, lambda s: s.power_kw)
    bottom.fill_between(xs, ys, step="post", color=GREEN, alpha=0.85, label=f"solar {solar.energy_kwh:.1f} kWh")
    xs, ys = _steps(min_solar.samples, lambda s: s.power_kw)
    bottom.step(xs, ys, where="post", color=BLUE, linewidth=1.5, label=f"min+solar {min_solar.energy_kwh:.1f} kWh")
    bottom.set_xlim(at(7, 30), at(19))
    bottom.set_ylim(0, 9)
    _hours(bottom)
    bottom.legend(loc="upper right")
    return figure


def table(night: tuple[Day, Day], sunny: tuple[Day, Day]) -> str:
    cheapest, at_once = night
    rows = [
        (f"cheapest, {NIGHT.removeprefix('car ')}", cheapest, f"{cheapest.energy_by(at(7, days=1)):.1f} kWh by 07:00"),
        ("charging at once (mode now), same car", at_once, f"{at_once.energy_kwh:.1f} kWh by {_done(at_once)}"),
        (f"solar, {SUNNY.replace('car ', '')}", sunny[0], f"{sunny[0].energy_kwh:.1f} kWh"),
        ("min+solar, same day", sunny[1], f"{sunny[1].energy_kwh:.1f} kWh"),
    ]
    lines = [
        (
            "| scenario | energy | from the grid | cost of grid energy | starts | stops | current changes | "
            "pointless commands |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, day, energy in rows:
        cost = f"{day.cost:.2f}"
        if day is cheapest:
            cost += f" ({1 - cheapest.cost / at_once.cost:.0%} less than at once)"
        lines.append(
            f"| {name} | {energy} | {day.grid_kwh:.1f} kWh | {cost} | {day.starts} | {day.stops} | "
            f"{len(day.current_changes)} | {len(day.pointless)} |"
        )
    return "\n".join(lines)


def _done(day: Day) -> str:
    last = max((s for s in day.samples if s.power_kw > 0), key=lambda s: s.at)
    return f"{_end(last):%H:%M}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("png", nargs="?", default=str(REPO / "docs" / "smart-day.png"), help="where to write the plot")
    args = parser.parse_args()
    night, sunny = cheapest_night(), solar_day()
    draw(night, sunny).savefig(args.png)
    print(table(night, sunny))
    print(f"\nplot written to {args.png}")


if __name__ == "__main__":
    main()
