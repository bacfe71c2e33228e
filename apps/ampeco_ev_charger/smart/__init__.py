"""Smart charging: solar surplus, cheapest hours before a departure, or now, on the app's own commands.

A pure core like the rest of the package. Per charger, the app:
1. parses `smart_charging:` once with `parse_smart_config` (a ConfigError names the key at fault);
2. on each reading, each change of one of `config.entities`, and at the last decision's `wake_at`, reads
   those entities (AppDaemon's get_state(entity_id, attribute="all")) into `read_inputs`, fills a
   `ChargerState`, and calls `decide` with the `SmartMemory` it keeps (`SmartMemory.from_dict` of what it
   stored, which may be anything);
3. sends `decision.action` (its `name` is the app's own command name), logs `decision.log_line` at INFO
   when `decision.notable`, publishes `sensor_state(decision)`, and stores `decision.memory.to_dict()`.
"""

from .config import SmartConfig, parse_smart_config
from .engine import MODES, Decision, NextAction, Progress, decide
from .governor import Action, ChargerState
from .inputs import Inputs, read_inputs
from .memory import SmartMemory
from .sensor import sensor_state

__all__ = [
    "MODES",
    "Action",
    "ChargerState",
    "Decision",
    "Inputs",
    "NextAction",
    "Progress",
    "SmartConfig",
    "SmartMemory",
    "decide",
    "parse_smart_config",
    "read_inputs",
    "sensor_state",
]
