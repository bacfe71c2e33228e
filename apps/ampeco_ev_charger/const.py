"""Names the whole app shares: the event domain, the default host and the entity ids."""

import re
from typing import Final

DOMAIN: Final = "ampeco_ev_charger"
# The host an older client defaulted to; users set their vendor's (`api_host`).
DEFAULT_API_HOST: Final = "https://app.ampeco.global"


def slugify(name: str) -> str:
    """An entity-id or topic part: lower-cased, every character outside a-z0-9 replaced by `_`."""
    return re.sub(r"[^a-z0-9]", "_", name.lower())


def entity_id(slug: str, key: str, domain: str = "sensor") -> str:
    """Every entity of a charger is `{domain}.evse_{slug}_{key}`, on every publishing path."""
    return f"{domain}.evse_{slug}_{key}"
