"""Which app instance watches which charger, across the instances of this app in one AppDaemon.

The same charger in two instances would be polled twice and each session announced twice; the second
instance to start refuses, naming the first. (AppDaemon loads this module once for all its instances.)
"""

_CLAIMS: dict[str, str] = {}  # a charger (or an account whose chargers are discovered): the app that has it


def claim(app: str, keys: list[str]) -> str | None:
    """Take `keys` for `app`; when another app has one of them already, take nothing and return its name."""
    for key in keys:
        holder = _CLAIMS.get(key)
        if holder is not None and holder != app:
            return holder
    for key in keys:
        _CLAIMS[key] = app
    return None


def release(app: str) -> None:
    for key in [key for key, holder in _CLAIMS.items() if holder == app]:
        del _CLAIMS[key]
