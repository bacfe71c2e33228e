"""Names and limits the whole app shares: the event domain, entity ids, the command names and the current range."""

import re
from typing import Final

DOMAIN: Final = "ampeco_ev_charger"

# Commands, by the names their events and `command_result` carry.
START: Final = "start_charging"
STOP: Final = "stop_charging"
SET_MAX_CURRENT: Final = "set_max_current"
UPDATE: Final = "update_data"
COMMANDS: Final = (START, STOP, SET_MAX_CURRENT, UPDATE)

# Whole amps any AC wallbox accepts; each charger's own allowed range narrows it further.
MIN_CURRENT_A: Final = 6
MAX_CURRENT_A: Final = 32


def slugify(name: str) -> str:
    """An entity-id or topic part: lower-cased, every character outside a-z0-9 replaced by `_`."""
    return re.sub(r"[^a-z0-9]", "_", name.lower())


def entity_id(slug: str, key: str, domain: str = "sensor") -> str:
    """Every entity of a charger is `{domain}.evse_{slug}_{key}`, on every publishing path."""
    return f"{domain}.evse_{slug}_{key}"
