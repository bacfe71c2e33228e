"""The simulated smart-charging day of the tests, as a plot and a table for the README.

    python tools/smart_day.py [smart-day.png]

Runs the scenarios of tests/unit/smart/day.py (the cheap night of cheapest mode against charging at once,
and the cloudy solar day in solar and min+solar), writes the plot as a PNG to the path given (default
smart-day.png in the current folder) and prints the day's figures as a Markdown table. Python's standard
library only: a small raster canvas, a 5x7 bitmap font and a PNG writer (zlib and struct).
"""

import argparse
import struct
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "apps"), str(REPO)]

from tests.unit.smart.day import Day, Sample, at, cheapest_night, solar_day  # noqa: E402

Color = tuple[int, int, int]
WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (30, 30, 30), (150, 150, 150), (230, 230, 230)
BLUE, GREEN, ORANGE, YELLOW = (40, 100, 200), (40, 150, 70), (230, 120, 20), (250, 215, 90)

# A 5x7 font: each glyph is seven rows of five pixels, '#' set. Text is drawn in capitals.
FONT = {
    " ": "...../...../...../...../...../...../.....",
    "0": ".###./#...#/#..##/#.#.#/##..#/#...#/.###.",
    "1": "..#../.##../..#../..#../..#../..#../.###.",
    "2": ".###./#...#/....#/...#./..#../.#.../#####",
    "3": "#####/...#./..#../...#./....#/#...#/.###.",
    "4": "...#./..##./.#.#./#..#./#####/...#./...#.",
    "5": "#####/#..../####./....#/....#/#...#/.###.",
    "6": "..##./.#.../#..../####./#...#/#...#/.###.",
    "7": "#####/....#/...#./..#../.#.../.#.../.#...",
    "8": ".###./#...#/#...#/.###./#...#/#...#/.###.",
    "9": ".###./#...#/#...#/.####/....#/...#./.##..",
    "A": ".###./#...#/#...#/#####/#...#/#...#/#...#",
    "B": "####./#...#/#...#/####./#...#/#...#/####.",
    "C": ".###./#...#/#..../#..../#..../#...#/.###.",
    "D": "###../#..#./#...#/#...#/#...#/#..#./###..",
    "E": "#####/#..../#..../####./#..../#..../#####",
    "F": "#####/#..../#..../####./#..../#..../#....",
    "G": ".###./#...#/#..../#.###/#...#/#...#/.####",
    "H": "#...#/#...#/#...#/#####/#...#/#...#/#...#",
    "I": ".###./..#../..#../..#../..#../..#../.###.",
    "J": "..###/...#./...#./...#./...#./#..#./.##..",
    "K": "#...#/#..#./#.#../##.../#.#../#..#./#...#",
    "L": "#..../#..../#..../#..../#..../#..../#####",
    "M": "#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#",
    "N": "#...#/#...#/##..#/#.#.#/#..##/#...#/#...#",
    "O": ".###./#...#/#...#/#...#/#...#/#...#/.###.",
    "P": "####./#...#/#...#/####./#..../#..../#....",
    "Q": ".###./#...#/#...#/#...#/#.#.#/#..#./.##.#",
    "R": "####./#...#/#...#/####./#.#../#..#./#...#",
    "S": ".####/#..../#..../.###./....#/....#/####.",
    "T": "#####/..#../..#../..#../..#../..#../..#..",
    "U": "#...#/#...#/#...#/#...#/#...#/#...#/.###.",
    "V": "#...#/#...#/#...#/#...#/#...#/.#.#./..#..",
    "W": "#...#/#...#/#...#/#.#.#/#.#.#/#.#.#/.#.#.",
    "X": "#...#/#...#/.#.#./..#../.#.#./#...#/#...#",
    "Y": "#...#/#...#/.#.#./..#../..#../..#../..#..",
    "Z": "#####/....#/...#./..#../.#.../#..../#####",
    ":": "...../.##../.##../...../.##../.##../.....",
    ".": "...../...../...../...../...../.##../.##..",
    ",": "...../...../...../...../.##../..#../.#...",
    "-": "...../...../...../#####/...../...../.....",
    "+": "...../..#../..#../#####/..#../..#../.....",
    "/": "...../....#/...#./..#../.#.../#..../.....",
    "(": "...#./..#../.#.../.#.../.#.../..#../...#.",
    ")": ".#.../..#../...#./...#./...#./..#../.#...",
    "%": "##.../##..#/...#./..#../.#.../#..##/...##",
    "=": "...../...../#####/...../#####/...../.....",
}


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def dot(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i : i + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Filled, corners included, in any order."""
        for y in range(min(y0, y1), max(y0, y1) + 1):
            for x in range(min(x0, x1), max(x0, x1) + 1):
                self.dot(x, y, color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color, width: int = 1) -> None:
        """Bresenham's line, `width` pixels thick."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        error = dx + dy
        while True:
            self.rect(x0, y0, x0 + width - 1, y0 + width - 1, color)
            if (x0, y0) == (x1, y1):
                return
            if 2 * error >= dy:
                error, x0 = error + dy, x0 + sx
            if 2 * error <= dx:
                error, y0 = error + dx, y0 + sy

    def text(self, x: int, y: int, words: str, color: Color = BLACK, scale: int = 2, align: str = "left") -> None:
        """`y` is the top of the letters; `align` left, right or center about `x`."""
        words = words.upper()
        width = len(words) * 6 * scale - scale
        x -= {"left": 0, "center": width // 2, "right": width}[align]
        for n, char in enumerate(words):
            for row, bits in enumerate(FONT.get(char, FONT[" "]).split("/")):
                for col, bit in enumerate(bits):
                    if bit == "#":
                        left, top = x + (6 * n + col) * scale, y + row * scale
                        self.rect(left, top, left + scale - 1, top + scale - 1, color)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        stride = 3 * self.width
        raw = b"".join(b"\x00" + self.pixels[y * stride : (y + 1) * stride] for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


@dataclass(frozen=True)
class Panel:
    """A plot area on the canvas: time across, values up (one scale on the left, one on the right)."""

    canvas: Canvas
    left: int
    top: int
    right: int
    bottom: int
    start: datetime
    end: datetime

    def x(self, when: datetime) -> int:
        share = (when - self.start) / (self.end - self.start)
        return round(self.left + share * (self.right - self.left))

    def y(self, value: float, top_value: float) -> int:
        return round(self.bottom - min(value, top_value) / top_value * (self.bottom - self.top))

    def frame(
        self,
        title: str,
        left_max: float,
        left_step: float,
        left_unit: str,
        right: tuple[float, float, str] | None = None,
    ) -> None:
        c = self.canvas
        c.text(self.left, self.top - 62, title)
        for value in _steps(left_max, left_step):
            y = self.y(value, left_max)
            c.line(self.left, y, self.right, y, LIGHT)
            c.text(self.left - 8, y - 7, f"{value:g}", GREY, align="right")
        c.text(self.left, self.bottom + 26, left_unit, GREY)
        if right is not None:
            right_max, right_step, right_unit = right
            for value in _steps(right_max, right_step):
                c.text(self.right + 8, self.y(value, right_max) - 7, f"{value:g}", ORANGE)
            c.text(self.right, self.bottom + 26, right_unit, ORANGE, align="right")
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        while hour <= self.end:
            if hour >= self.start:
                x = self.x(hour)
                c.line(x, self.bottom, x, self.bottom + 4, GREY)
                c.text(x, self.bottom + 8, f"{hour:%H}", GREY, align="center")
            hour += timedelta(hours=1)
        c.line(self.left, self.bottom, self.right, self.bottom, BLACK)
        c.line(self.left, self.top, self.left, self.bottom, BLACK)

    def steps(
        self,
        points: Sequence[tuple[datetime, datetime, float]],
        top_value: float,
        color: Color,
        fill: bool = False,
        width: int = 2,
    ) -> None:
        """A step plot of values held from each start to its end; `fill` shades down to zero."""
        previous: int | None = None
        for start, end, value in points:
            x0, x1, y = self.x(start), self.x(end), self.y(value, top_value)
            if fill and value > 0:
                self.canvas.rect(x0, y, x1, self.bottom - 1, color)
            elif not fill:
                if previous is not None and previous != y:
                    self.canvas.line(x0, previous, x0, y, color, width)
                self.canvas.line(x0, y, x1, y, color, width)
            previous = y

    def legend(self, entries: Sequence[tuple[Color, str]]) -> None:
        """One line of colour keys between the title and the plot."""
        x, y = self.left, self.top - 32
        for color, label in entries:
            self.canvas.rect(x, y, x + 14, y + 14, color)
            self.canvas.text(x + 22, y, label)
            x += 22 + len(label) * 12 + 28


def _steps(top: float, step: float) -> list[float]:
    count = int(round(top / step))
    return [round(i * step, 6) for i in range(count + 1)]


def _power(day: Day) -> list[tuple[datetime, datetime, float]]:
    return [(s.at, _end(s), s.power_kw) for s in day.samples]


def _end(sample: Sample) -> datetime:
    return sample.at + timedelta(seconds=sample.seconds)


def draw(night: tuple[Day, Day], sunny: tuple[Day, Day]) -> Canvas:
    cheapest, at_once = night
    solar, min_solar = sunny
    canvas = Canvas(1200, 880)
    canvas.text(600, 14, "Smart charging: a simulated day on a virtual clock", align="center", scale=3)

    top = Panel(canvas, 90, 150, 1110, 430, at(17), at(8, days=1))
    top.frame("Cheapest: car plugged in at 18:00, 20 kWh by 07:00", 12, 2, "kW", right=(0.4, 0.1, "price per kWh"))
    top.steps(_power(at_once), 12, LIGHT, fill=True)
    top.steps(_power(cheapest), 12, BLUE, fill=True)
    top.steps(_power(at_once), 12, GREY)
    top.steps([(s.at, _end(s), s.price or 0.0) for s in cheapest.samples], 0.4, ORANGE)
    top.legend(
        [
            (BLUE, f"cheapest {cheapest.energy_kwh:.1f} kWh, cost {cheapest.cost:.2f}"),
            (GREY, f"at once {at_once.energy_kwh:.1f} kWh, cost {at_once.cost:.2f}"),
            (ORANGE, "price"),
        ]
    )

    bottom = Panel(canvas, 90, 580, 1110, 820, at(7, 30), at(19))
    bottom.frame("Solar: passing clouds, car plugged in 08:00 to 18:30", 9, 1, "kW")
    bottom.steps([(s.at, _end(s), max(0.0, s.surplus_w) / 1000) for s in solar.samples], 9, YELLOW, fill=True)
    bottom.steps(_power(solar), 9, GREEN, fill=True)
    bottom.steps(_power(min_solar), 9, BLUE)
    bottom.legend(
        [
            (YELLOW, "surplus without the car"),
            (GREEN, f"solar {solar.energy_kwh:.1f} kWh"),
            (BLUE, f"min+solar {min_solar.energy_kwh:.1f} kWh"),
        ]
    )
    return canvas


def table(night: tuple[Day, Day], sunny: tuple[Day, Day]) -> str:
    cheapest, at_once = night
    rows = [
        (
            "cheapest, plugged in 18:00, 20 kWh by 07:00",
            cheapest,
            f"{cheapest.energy_by(at(7, days=1)):.1f} kWh by 07:00",
        ),
        ("charging at once (mode now), same car", at_once, f"{at_once.energy_kwh:.1f} kWh by {_done(at_once)}"),
        ("solar, cloudy day, plugged in 08:00-18:30", sunny[0], f"{sunny[0].energy_kwh:.1f} kWh"),
        ("min+solar, same day", sunny[1], f"{sunny[1].energy_kwh:.1f} kWh"),
    ]
    lines = [
        "| scenario | energy | from the grid | cost of grid energy | starts | stops | current changes | pointless commands |",
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", nargs="?", default="smart-day.png", help="where to write the plot")
    args = parser.parse_args()
    night, sunny = cheapest_night(), solar_day()
    Path(args.png).write_bytes(draw(night, sunny).png())
    print(table(night, sunny))
    print(f"\nplot written to {args.png}")


if __name__ == "__main__":
    main()
