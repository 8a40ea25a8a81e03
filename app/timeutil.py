"""The app's one clock: "now" in UTC and "today" in the authorities' time zone (tests move it with time-machine)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: The time zone of the German authorities: dates are shown in it and date-only deadlines fall due in it.
ZEITZONE = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def heute(jetzt: datetime | None = None) -> date:
    """The date in Germany at `jetzt` (default: now)."""
    return (jetzt or utcnow()).astimezone(ZEITZONE).date()
