"""What the app learnt about a tenant (one AMPECO host): the ways its API differs from the others'.

Kept in the app's memory file, so a lesson learnt once (a start that landed on another user's EVSE) is never
paid for again after a restart.
"""

from dataclasses import asdict, dataclass
from typing import Any

EVSE_KEYS = ("id", "identifier")


def other_key(key: str) -> str:
    """The other way to name an EVSE."""
    return EVSE_KEYS[1 - EVSE_KEYS.index(key)]


@dataclass
class Tenant:
    # Which EVSE field `app/session/start` takes: the EVSE's `id` (Drivee, Elaway) or its printed
    # `identifier` (Exploren). Both may name an EVSE on that tenant, so the wrong one can name someone else's.
    evse_key: str = "id"
    # Whether `app/session/active` and `app/session/ongoing` exist here (None: not known yet).
    active: bool | None = None
    ongoing: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> "Tenant":
        """Tolerates a missing or foreign value: whatever is unusable is not known yet."""
        if not isinstance(data, dict):
            return cls()
        key = data.get("evse_key")

        def known(value: object) -> bool | None:
            return value if isinstance(value, bool) else None

        return cls(key if key in EVSE_KEYS else "id", known(data.get("active")), known(data.get("ongoing")))
