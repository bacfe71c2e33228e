"""Times as the app shows them: ISO 8601 to the second, in the time zone asked for (UTC by default)."""

from datetime import datetime, timezone, tzinfo


def iso_time(when: float | datetime | None, tz: tzinfo | None = timezone.utc) -> str | None:
    """A POSIX timestamp or an aware datetime as ISO text; None stays None, and so does a moment no clock can
    show (NaN, or outside the years 1 to 9999 once in `tz`): what is published must never fail on it."""
    if when is None:
        return None
    try:
        moment = datetime.fromtimestamp(when, timezone.utc) if isinstance(when, (int, float)) else when
        return moment.astimezone(tz).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return None
