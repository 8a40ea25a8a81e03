"""Jinja filters shared by all templates: dates in German format and local time."""

from datetime import UTC, date, datetime

from flask import Flask

from app.timeutil import ZEITZONE


def datum(wert: date | datetime | None) -> str:
    """`28.11.2026`; empty for None."""
    if wert is None:
        return ""
    if isinstance(wert, datetime):
        wert = _ortszeit(wert).date()
    return wert.strftime("%d.%m.%Y")


def datum_zeit(wert: datetime | None) -> str:
    """`28.11.2026, 14:05 Uhr`; empty for None."""
    if wert is None:
        return ""
    return _ortszeit(wert).strftime("%d.%m.%Y, %H:%M Uhr")


def _ortszeit(wert: datetime) -> datetime:
    """Naive datetimes (from SQLite) are UTC."""
    if wert.tzinfo is None:
        wert = wert.replace(tzinfo=UTC)
    return wert.astimezone(ZEITZONE)


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.jinja_env.filters["datum"] = datum
    app.jinja_env.filters["datum_zeit"] = datum_zeit
