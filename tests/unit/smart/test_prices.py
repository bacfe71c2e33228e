from datetime import datetime, timedelta, timezone

from ampeco_ev_charger.smart.prices import MAX_ENTRIES, PriceSlot, parse_prices, price_at

CET = timezone(timedelta(hours=1))
NORDPOOL = ("raw_today", "raw_tomorrow")


def hour(h: int, day: int = 1) -> datetime:
    return datetime(2025, 1, day, tzinfo=CET) + timedelta(hours=h)


def nordpool(day: int, values: list) -> list[dict]:
    return [
        {"start": hour(h, day).isoformat(), "end": hour(h + 1, day).isoformat(), "value": v}
        for h, v in enumerate(values)
    ]


def test_nordpool_today_and_tomorrow_in_time_order():
    slots = parse_prices({"raw_tomorrow": nordpool(2, [0.3, 0.1]), "raw_today": nordpool(1, [0.2, 0.4])}, NORDPOOL)
    assert slots == (
        PriceSlot(hour(0), hour(1), 0.2),
        PriceSlot(hour(1), hour(2), 0.4),
        PriceSlot(hour(0, 2), hour(1, 2), 0.3),
        PriceSlot(hour(1, 2), hour(2, 2), 0.1),
    )


def test_tomorrow_not_yet_published_is_left_out():
    attributes = {
        "raw_today": nordpool(1, [0.2] * 24),
        "raw_tomorrow": nordpool(2, [None] * 24),
        "tomorrow_valid": False,
    }
    slots = parse_prices(attributes, NORDPOOL)
    assert len(slots) == 24 and slots[-1].end == hour(24)


def test_an_empty_or_missing_attribute_is_no_prices():
    assert parse_prices({}, NORDPOOL) == ()
    assert parse_prices({"raw_today": "not a list", "raw_tomorrow": None}, NORDPOOL) == ()


def test_unusable_entries_are_skipped_not_guessed():
    entries = [
        {"start": hour(0).isoformat(), "end": hour(1).isoformat(), "value": "0.25"},  # a number as text is fine
        {"start": "2025-01-01T01:00:00", "end": "2025-01-01T02:00:00", "value": 0.1},  # naive: which zone?
        {"start": hour(2).isoformat(), "end": hour(3).isoformat(), "value": "cheap"},
        {"start": hour(3).isoformat(), "end": hour(3).isoformat(), "value": 0.1},  # ends as it starts
        {"start": "yesterday", "end": hour(5).isoformat(), "value": 0.1},
        {"start": hour(5).isoformat(), "end": hour(6).isoformat(), "value": float("nan")},
        {"start": hour(6).isoformat(), "end": hour(7).isoformat(), "value": True},
        {"end": hour(8).isoformat(), "value": 0.1},
        "not a mapping",
        {"start": hour(9).isoformat(), "end": hour(10).isoformat(), "value": 0},
    ]
    assert parse_prices({"prices": entries}, ("prices",)) == (
        PriceSlot(hour(0), hour(1), 0.25),
        PriceSlot(hour(9), hour(10), 0.0),
    )


def test_a_price_beyond_any_market_is_skipped_like_nan():
    values = [1e308, -1e308, 1e300, -2e9, 1e9, -0.5]
    entries = [{"start": hour(h).isoformat(), "end": hour(h + 1).isoformat(), "value": v} for h, v in enumerate(values)]
    assert [s.value for s in parse_prices({"prices": entries}, ("prices",))] == [1e9, -0.5]


def test_a_list_longer_than_any_integration_publishes_is_read_only_up_to_its_first_entries():
    start = hour(0)
    entries = [{"start": (start + i * timedelta(minutes=1)).isoformat(), "value": i} for i in range(MAX_ENTRIES + 1)]
    slots = parse_prices({"today": entries[:100], "tomorrow": entries[100:]}, ("today", "tomorrow"))
    assert [s.value for s in slots] == list(range(MAX_ENTRIES))


def test_duplicates_and_overlaps_keep_the_first_entry():
    utc_twin = {"start": hour(0).astimezone(timezone.utc).isoformat(), "end": hour(1).isoformat(), "value": 9.0}
    overlapping = {"start": (hour(1) + timedelta(minutes=30)).isoformat(), "end": hour(3).isoformat(), "value": 9.0}
    entries = [*nordpool(1, [0.2, 0.3]), utc_twin, overlapping]
    assert [s.value for s in parse_prices({"a": entries}, ("a",))] == [0.2, 0.3]


def test_entso_e_entries_without_an_end_last_until_the_next_start():
    entries = [
        {"time": "2025-01-01 00:00:00+01:00", "price": 0.2},
        {"time": "2025-01-01 00:15:00+01:00", "price": 0.3},
        {"time": "2025-01-01 01:00:00+01:00", "price": 0.4},
    ]
    slots = parse_prices({"prices_today": entries}, ("prices_today",))
    quarter = timedelta(minutes=15)
    assert [(s.start, s.end) for s in slots] == [
        (hour(0), hour(0) + quarter),
        (hour(0) + quarter, hour(0) + 2 * quarter),
        (hour(1), hour(1) + quarter),
    ]


def test_a_lone_entry_without_an_end_lasts_an_hour():
    assert parse_prices({"p": [{"time": hour(5), "price": 1}]}, ("p",)) == (PriceSlot(hour(5), hour(6), 1.0),)


def test_octopus_and_hand_made_variants():
    octopus = [{"start": hour(0).isoformat(), "end": hour(0, 1).replace(minute=30).isoformat(), "value_inc_vat": 0.15}]
    assert parse_prices({"rates": octopus}, ("rates",))[0].value == 0.15
    custom = [{"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2025-01-01T01:00:00Z", "price": 12}]
    slot = parse_prices({"x": custom}, ("x",))[0]
    assert (slot.start, slot.end, slot.value) == (
        datetime(2025, 1, 1, tzinfo=timezone.utc),
        datetime(2025, 1, 1, 1, tzinfo=timezone.utc),
        12.0,
    )


def test_datetimes_are_accepted_as_they_are():
    assert parse_prices({"p": [{"start": hour(1), "end": hour(2), "value": 1.5}]}, ("p",)) == (
        PriceSlot(hour(1), hour(2), 1.5),
    )


def test_price_at():
    slots = parse_prices({"raw_today": nordpool(1, [0.2, 0.4])}, NORDPOOL)
    assert price_at(slots, hour(1)) == 0.4
    assert price_at(slots, hour(0) + timedelta(minutes=59)) == 0.2
    assert price_at(slots, hour(2)) is None
