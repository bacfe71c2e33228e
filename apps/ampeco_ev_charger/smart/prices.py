"""Electricity prices from a Home Assistant sensor's attributes -> sorted, de-duplicated PriceSlots.

Each named attribute holds a list of entries; the lists are read one after the other, up to MAX_ENTRIES
entries in all. An entry is a mapping with a start, an optional end and a price, under the keys these
integrations use:

- `start`, `end`, `value`: the custom Nordpool integration (`raw_today`, `raw_tomorrow`; tomorrow's
  values are null until they are published) and evcc-style lists;
- `start`, `end`, `value_inc_vat`: Octopus Energy (`rates`);
- `time`, `price` without an end: ENTSO-e (`prices_today`, `prices_tomorrow`, `prices`);
- `starts_at`, `ends_at`, `price`: hand-made template and REST sensors.

Times are ISO strings with an offset (or datetimes). Entries that cannot be used are skipped rather than
guessed at: no start, a naive time, a null or non-numeric price (or one beyond MAX_PRICE), an end not after
the start, or an entry overlapping an earlier one. Without an end, a slot lasts until the next one starts, at
most as long as the shortest step between starts (the list's resolution), an hour when the list has a single
entry.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice, pairwise
from typing import Any

from ..ampeco import to_number

START_KEYS = ("start", "starts_at", "time")
END_KEYS = ("end", "ends_at")
VALUE_KEYS = ("value", "price", "value_inc_vat")
_LONE_SLOT = timedelta(hours=1)
# Per kWh, in any currency: no market ever priced beyond this, and a price of 1e308 would make a plan's cost
# inf, which Home Assistant's JSON cannot carry.
MAX_PRICE = 1e9
# A week of 5-minute prices is 2016 entries; integrations publish a day or two. Reading past this would only
# hold up the event loop (100 000 entries took 0.6 s to read, at every decision).
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class PriceSlot:
    start: datetime
    end: datetime
    value: float


def parse_prices(attributes: Mapping[str, Any], names: Sequence[str]) -> tuple[PriceSlot, ...]:
    """Every usable slot in the named attributes, in time order, none overlapping another."""
    entries: dict[datetime, tuple[datetime | None, float]] = {}
    for entry in islice(_entries(attributes, names), MAX_ENTRIES):
        start, value = aware_time(_first(entry, START_KEYS)), to_number(_first(entry, VALUE_KEYS))
        if start is not None and value is not None and abs(value) <= MAX_PRICE:
            entries.setdefault(start, (aware_time(_first(entry, END_KEYS)), value))
    starts = sorted(entries)
    steps = [b - a for a, b in pairwise(starts)]
    resolution = min(steps, default=_LONE_SLOT)
    slots: list[PriceSlot] = []
    for index, start in enumerate(starts):
        end, value = entries[start]
        if end is None:
            end = start + (min(resolution, steps[index]) if index < len(steps) else resolution)
        if end > start and (not slots or start >= slots[-1].end):
            slots.append(PriceSlot(start, end, value))
    return tuple(slots)


def price_at(slots: Sequence[PriceSlot], when: datetime) -> float | None:
    return next((slot.value for slot in slots if slot.start <= when < slot.end), None)


def _entries(attributes: Mapping[str, Any], names: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The entries of each named list (attributes come from JSON: lists of dicts)."""
    for name in names:
        listed = attributes.get(name)
        if isinstance(listed, (list, tuple)):
            yield from (entry for entry in listed if isinstance(entry, dict))


def _first(entry: dict[str, Any], keys: Sequence[str]) -> object:
    for key in keys:
        if (value := entry.get(key)) is not None:
            return value
    return None


# A time is taken between these: a day or a time zone away from it is still on the calendar.
_FIRST, _LAST = datetime(2, 1, 1), datetime(9998, 12, 31)


def aware_time(value: object) -> datetime | None:
    """An aware datetime that can be computed with; naive ones are refused (they could be any time zone)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime) and value.utcoffset() is not None and on_calendar(value):
        return value
    return None


def on_calendar(value: datetime) -> bool:
    """Whether a time (aware or not) can be moved to another time zone without leaving the calendar."""
    return _FIRST <= value.replace(tzinfo=None) <= _LAST
