"""Reading apps.yaml values: each mistake becomes one ConfigError naming the key, in words a user can act on.

Shared by the app's configuration and smart charging's, so both say the same thing about the same mistake.
"""

import difflib
import math
import re
from collections.abc import Collection, Mapping

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DIGITS_SHOWN = 80  # an id or a name longer than this is a mistake, and Python writes out no int of 4,300 digits


class ConfigError(ValueError):
    """A configuration mistake; `key` is the apps.yaml path of the offending key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"configuration error in `{key}`: {problem}")
        self.key = key
        self.problem = problem


def text(value: object, key: str, *, required: bool = False) -> str | None:
    """Text (a number is taken as its digits, as ids often are); None when absent."""
    if value is None:
        if required:
            raise ConfigError(key, "is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(key, f"must be text, got {type(value).__name__}")
    if isinstance(value, int) and abs(value) >= 10**_DIGITS_SHOWN:
        raise ConfigError(key, "must be text, got a number too long to show")
    stripped = str(value).strip()
    if not stripped and required:
        raise ConfigError(key, "is empty")
    return stripped or None


def path(value: object, key: str) -> str | None:
    """A file's path; None when absent. A control character is a mistake: a NUL byte no file name can hold."""
    given = text(value, key)
    if given is not None and has_control_characters(given):
        raise ConfigError(key, f"must be a file's path without control characters, got {given[:80]!r}")
    return given


def has_control_characters(value: str) -> bool:
    """A C0 or C1 control character (a NUL byte, a newline, an escape) is in `value`."""
    return _CONTROL.search(value) is not None


def flag(args: Mapping[str, object], name: str, default: bool) -> bool:
    """A yes/no setting (YAML's true/false)."""
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return value


def number(
    args: Mapping[str, object],
    name: str,
    where: str,
    default: float,
    low: float,
    high: float,
    *,
    whole: bool = False,
    unit: str = "",
) -> float:
    """`args[name]` (or `default`) as a number within [low, high]; `where` is the apps.yaml path of `args`."""
    key = f"{where}.{name}" if where else name
    value = args.get(name, default)
    parsed = _parsed(value, key, low, high)
    kind = f"{'whole ' if whole else ''}number{f' of {unit}' if unit else ''}"
    if math.isnan(parsed) or (whole and not parsed.is_integer()):
        raise ConfigError(key, f"must be a {kind}, got {value!r}")
    if not low <= parsed <= high:
        raise ConfigError(key, f"must be between {low:g} and {high:g}, got {parsed:g}")
    return parsed


def _parsed(value: object, key: str, low: float, high: float) -> float:
    """`value` as a float; NaN when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # hundreds of digits, which YAML reads as an int that no float holds (nor a message shows)
        raise ConfigError(key, f"must be between {low:g} and {high:g}, got a number too long to show") from None
    except ValueError:
        return math.nan


def entity(value: object, key: str, domains: tuple[str, ...]) -> str | None:
    """An entity id of one of `domains`, e.g. input_boolean.ev_charging; None when absent."""
    if value is None:
        return None
    entity_id = value.strip() if isinstance(value, str) else None
    domain = entity_id.split(".", 1)[0] if entity_id else None
    if entity_id is None or domain not in domains or not re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", entity_id):
        example = f"{domains[0]}.{key.rsplit('.', 1)[-1].removesuffix('_entity')}"
        raise ConfigError(key, f"must be the entity id of a {' or '.join(domains)}, like {example}; got {value!r}")
    return entity_id


def unknown_keys(value: object, known: Collection[str], where: str = "") -> list[str]:
    """A warning per key of `value` (a mapping at the apps.yaml path `where`) that is not `known`, naming the
    known key it is probably meant to be."""
    warnings = []
    for key in sorted(map(str, value) if isinstance(value, Mapping) else []):
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        warnings.append(f"unknown key `{f'{where}.{key}' if where else key}` ignored{hint}")
    return warnings
