"""What a client learnt about its tenant (one AMPECO host): the ways its API differs from the others'.

Kept in the app's memory file, so a lesson learnt once (a start that landed on another user's EVSE) is never
paid for again after a restart.
"""

from dataclasses import asdict, dataclass
from typing import Any

from .models import Evse

EVSE_KEYS = ("id", "identifier")
STOP_PATHS = ("end", "stop")


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
    # Where a session ends: `/end`, or on some tenants `/stop` (None: not known yet).
    stop_path: str | None = None

    @staticmethod
    def evse_value(evse: Evse, key: str) -> str | None:
        """What `key` names `evse` by."""
        return evse.id if key == "id" else evse.identifier

    def start_keys(self, evse: Evse) -> list[str]:
        """The keys to try a start with, the one learnt first, each naming the EVSE differently (on some
        tenants id and identifier agree, and one try is all there is)."""
        keys: dict[str, str] = {}
        for key in (self.evse_key, other_key(self.evse_key)):
            value = self.evse_value(evse, key)
            if value and value not in keys.values():
                keys[key] = value
        return list(keys)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def restore(self, data: object) -> None:
        """Take up what was learnt before (kept by the app), in place: clients share this object."""
        learnt = Tenant.from_dict(data)
        self.evse_key, self.active, self.ongoing, self.stop_path = (
            learnt.evse_key,
            learnt.active,
            learnt.ongoing,
            learnt.stop_path,
        )

    @classmethod
    def from_dict(cls, data: object) -> "Tenant":
        """Tolerates a missing or foreign value: whatever is unusable is not known yet."""
        if not isinstance(data, dict):
            return cls()
        key, stop = data.get("evse_key"), data.get("stop_path")

        def known(value: object) -> bool | None:
            return value if isinstance(value, bool) else None

        return cls(
            key if key in EVSE_KEYS else "id",
            known(data.get("active")),
            known(data.get("ongoing")),
            stop if stop in STOP_PATHS else None,
        )
