"""Names and limits the whole app shares: the event domain, the command names and the current range."""

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
