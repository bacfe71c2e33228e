"""AppDaemon 4.5 reloads an app when apps.yaml changes a value of its entry or adds one, but not when a key is
only removed: it compares the new entry with the old one way round only. Removing a mistake, a cap or the
`chargers` list would do nothing until AppDaemon restarts, though AppDaemon has read the new entry. The app
looks for that case every few seconds and restarts itself with the entry as AppDaemon now has it.

This reaches into AppDaemon's app management (`AD.app_management`), which its API does not offer; where that
is not there (another AppDaemon version), the check stops and AppDaemon behaves as it always did.
"""

from collections.abc import Mapping
from typing import Any, Final

CHECK_EVERY_S: Final = 5.0
_MISSING: Final = object()


def unnoticed_removals(now: Mapping[str, Any], then: Mapping[str, Any], at: str = "") -> list[str]:
    """The keys `then` had and `now` lacks (as apps.yaml paths), when AppDaemon 4.5 sees no change between the
    two; none otherwise (nothing changed, or AppDaemon reloads the app by itself)."""
    if _appdaemon_sees_a_change(now, then):
        return []
    return _removed(now, then, at)


def _appdaemon_sees_a_change(now: Mapping[str, Any], then: Mapping[str, Any]) -> bool:
    """AppDaemon 4.5's own comparison: every key of the new entry, against the old."""
    for key, value in now.items():
        before = then.get(key, _MISSING)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            if _appdaemon_sees_a_change(value, before):
                return True
        elif value != before:
            return True
    return False


def _removed(now: Mapping[str, Any], then: Mapping[str, Any], at: str) -> list[str]:
    found = []
    for key, before in then.items():
        path = f"{at}.{key}" if at else str(key)
        value = now.get(key, _MISSING)
        if value is _MISSING:
            found.append(path)
        elif isinstance(value, Mapping) and isinstance(before, Mapping):
            found += _removed(value, before, path)
    return found


def appdaemon_entry(app: Any) -> tuple[Any, dict[str, Any]] | None:
    """The app's entry as AppDaemon has read it from apps.yaml now (its model, and the arguments it makes of
    it), or None where this AppDaemon keeps it elsewhere."""
    try:
        model = app.AD.app_management.app_config.root.get(app.name)
        return model, dict(model.model_dump(by_alias=True, exclude_unset=True))
    except AttributeError:
        return None


def restart_with(app: Any, model: Any) -> None:
    """Restart the app with `model` as its entry: AppDaemon terminates it and initializes it again, in a task of
    its own (the app's callbacks are cancelled on the way)."""
    app.config_model = model  # AppDaemon makes `args` of it
    app.AD.loop.create_task(app.AD.app_management.restart_app(app.name))
