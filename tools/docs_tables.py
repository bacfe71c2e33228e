"""The documentation's tables, written from the code so they cannot drift from it.

    PYTHONPATH=apps .venv/bin/python tools/docs_tables.py           (fills the pages; `make docs` runs it first)
    PYTHONPATH=apps .venv/bin/python tools/docs_tables.py --check   (exit 1 when a page differs; a unit test runs it)

Each table sits between `<!-- generated:<name>:start -->` and `<!-- generated:<name>:end -->` on its page:
- configuration: apps.yaml's keys (`config.KEYS`), at the top level and per charger;
- entities: each charger's sensors (`homeassistant.entities.SENSORS` and the smart charging sensor) and the
  MQTT device's controls (`homeassistant.mqtt.discovery.CONTROLS`, whose buttons come from the command registry);
- commands: the command events (`runtime.commands.COMMANDS`);
- reasons: the `reason` codes of `command_result` (`runtime.commands.Reason` and its `MEANINGS`).
"""

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path[:0] = [str(REPO / "apps")]

from ampeco_ev_charger.config import ACCOUNT_KEYS, KEYS, Key  # noqa: E402
from ampeco_ev_charger.const import DOMAIN, entity_id  # noqa: E402
from ampeco_ev_charger.homeassistant.entities import SENSORS, SMART_DOC, SMART_KEY, Sensor  # noqa: E402
from ampeco_ev_charger.homeassistant.mqtt.discovery import CONTROLS, SMART_MODE_DOC, SMART_MODE_KEY  # noqa: E402
from ampeco_ev_charger.runtime.commands import COMMANDS, MEANINGS, Reason  # noqa: E402

NONE = "\u2013"  # an en dash: nothing to say
SLUG = "{slug}"
# Where the guide says more about a key (links relative to the configuration page).
SEE = {
    "refresh_token": ("the refresh grant", "#the-refresh-grant"),
    "charging_switch": ("Dashboards", "dashboards.md#dashboard-controls"),
    "current_limit": ("Dashboards", "dashboards.md#dashboard-controls"),
    "smart_charging": ("Smart charging", "smart-charging.md"),
    "push": ("Live updates", "live-updates.md"),
    "mqtt": ("the MQTT device", "mqtt-device.md#options"),
}


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines)


def paragraphs(*parts: str) -> str:
    return "\n\n".join(parts)


def code(text: str) -> str:
    return f"`{text}`"


def _limits(key: Key) -> str:
    if key.low is None or key.high is None:
        return NONE
    return f"{key.low:g}-{key.high:g}{f' {key.unit}' if key.unit else ''}"


def _default(key: Key, per_charger: bool) -> str:
    if per_charger and key.name in ACCOUNT_KEYS:
        return "the top-level one"
    return NONE if key.default == "-" else key.default


def _meaning(key: Key) -> str:
    see = SEE.get(key.name)
    return key.meaning if see is None else f"{key.meaning} (see [{see[0]}]({see[1]}))"


def _key_rows(keys: Iterable[Key], per_charger: bool) -> list[list[str]]:
    return [[code(k.name), _default(k, per_charger), _limits(k), _meaning(k)] for k in keys]


TOP_LEVEL = "At the top level of the app's entry:"
PER_CHARGER = "Per charger, in each entry of `chargers` (or at the top level, for a single charger without a list):"
MARKS = (
    "*diagnostic*: `entity_category: diagnostic`. *disabled*: on [the MQTT device](mqtt-device.md) the entity "
    "starts disabled (enable it under Settings → Devices & services → Entities); through `set_state` every entity "
    "is there."
)
CONTROLS_TITLE = "The controls of [the MQTT device](mqtt-device.md) (with `mqtt:`):"
WITH_SMART = " (with `smart_charging:`)"
ALWAYS = "; available also while the charger cannot be read"


def configuration() -> str:
    top = [k for k in KEYS if k.where == "top" or k.name in ACCOUNT_KEYS]
    charger = [k for k in KEYS if k.where in ("charger", "both")]
    charger.sort(key=lambda k: k.name in ACCOUNT_KEYS)  # a charger's own keys first, then the account's
    header = ["key", "default", "limits", "meaning"]
    top_table = table(header, _key_rows(top, per_charger=False))
    charger_table = table(header, _key_rows(charger, per_charger=True))
    return paragraphs(TOP_LEVEL, top_table, PER_CHARGER, charger_table)


def _marks(sensor: Sensor) -> str:
    marks = [
        word for word, on in (("diagnostic", sensor.diagnostic), ("disabled", not sensor.enabled_by_default)) if on
    ]
    return f" ({', '.join(marks)})" if marks else ""


def _sensor_row(sensor: Sensor) -> list[str]:
    unit = sensor.unit or sensor.unit_doc or NONE
    entity = code(entity_id(SLUG, sensor.key, sensor.domain)) + _marks(sensor)
    return [entity, sensor.doc, unit, sensor.device_class or NONE, sensor.state_class or NONE]


def entities() -> str:
    """Sensors, the smart charging sensor, binary sensors; then the MQTT device's controls."""
    smart = [code(entity_id(SLUG, SMART_KEY)) + WITH_SMART, SMART_DOC, NONE, NONE, NONE]
    rows = [
        *(_sensor_row(s) for s in SENSORS if s.domain == "sensor"),
        smart,
        *(_sensor_row(s) for s in SENSORS if s.domain != "sensor"),
    ]
    controls = [[code(entity_id(SLUG, c.key, c.domain)), c.doc + ("" if c.needs_reading else ALWAYS)] for c in CONTROLS]
    controls.append([code(entity_id(SLUG, SMART_MODE_KEY, "select")) + WITH_SMART, SMART_MODE_DOC])
    sensors_table = table(["entity", "meaning", "unit", "device class", "state class"], rows)
    return paragraphs(sensors_table, MARKS, CONTROLS_TITLE, table(["entity", "meaning"], controls))


def commands() -> str:
    return table(["event", "what it does"], ([code(f"{DOMAIN}_{row.name}"), row.summary] for row in COMMANDS))


def reasons() -> str:
    missing = [reason.value for reason in Reason if reason not in MEANINGS]
    if missing:
        raise SystemExit(f"runtime/commands.py MEANINGS says nothing of {', '.join(missing)}")
    return table(["reason", "meaning"], ([code(reason.value), MEANINGS[reason]] for reason in Reason))


# (page, marker name, what goes between the markers)
BLOCKS: tuple[tuple[Path, str, Callable[[], str]], ...] = (
    (DOCS / "guide" / "configuration.md", "configuration", configuration),
    (DOCS / "guide" / "entities.md", "entities", entities),
    (DOCS / "guide" / "events.md", "commands", commands),
    (DOCS / "guide" / "events.md", "reasons", reasons),
)


def fill(text: str, name: str, body: str) -> str:
    """`text` with what stands between the `name` markers replaced by `body`."""
    start, end = f"<!-- generated:{name}:start -->", f"<!-- generated:{name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(f"the page needs one {start} followed by one {end}")
    before, rest = text.split(start)
    _old, after = rest.split(end)
    return f"{before}{start}\n{body}\n{end}{after}"


def generated() -> dict[Path, str]:
    """Every page with a generated table, as the code says it should read."""
    pages: dict[Path, str] = {}
    for page, name, body in BLOCKS:
        pages[page] = fill(pages.get(page) or page.read_text(encoding="utf-8"), name, body())
    return pages


def stale() -> list[Path]:
    """The pages whose tables differ from what the code says."""
    return [page for page, text in generated().items() if page.read_text(encoding="utf-8") != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a page differs")
    args = parser.parse_args(argv)
    if args.check:
        differ = stale()
        for page in differ:
            print(f"{page.relative_to(REPO)}: its generated tables differ from the code (run make docs)")
        return 1 if differ else 0
    for page, text in generated().items():
        if page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")
            print(f"wrote the tables of {page.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
