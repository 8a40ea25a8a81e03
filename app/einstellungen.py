"""Installation-wide settings kept in the database, with their shipped file as import and export format.

A set of settings (routing, role mapping, label files) is read from its file until it is taken over into the
database: at start-up when the database has nothing yet, or at its first change in the browser. From then on only
the database counts, so a restart never undoes a change made in the browser (docs/werkstatt.md).
"""

import json
import time
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow

ROUTING, ROLLEN, BESCHRIFTUNGEN = "routing", "rollen", "beschriftungen"
#: Seconds the answer is reused per app (a change in this process clears it at once).
CACHE_SEKUNDEN = 2.0


class EinstellungStand(db.Model):
    """A set of settings that lives in the database (taken over from its file, or first changed in the browser)."""

    __tablename__ = "einstellung_stand"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    uebernommen_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uebernommen_von: Mapped[str] = mapped_column(String(200))


def _cache() -> dict:
    """This app's cache `name → (valid until, in database)`."""
    return current_app.extensions.setdefault("einstellung_stand", {})


def in_datenbank(name: str) -> bool:
    """True when the set `name` lives in the database (False without an app context: the file counts)."""
    if not has_app_context():
        return False
    gecacht = _cache().get(name)
    if gecacht and gecacht[0] > time.monotonic():
        return gecacht[1]
    wert = db.session.get(EinstellungStand, name) is not None
    _cache()[name] = (time.monotonic() + CACHE_SEKUNDEN, wert)
    return wert


def als_uebernommen_markieren(name: str, von: str) -> None:
    """Record that `name` lives in the database from now on (flushes; the caller commits)."""
    if db.session.scalars(select(EinstellungStand).where(EinstellungStand.name == name)).first() is None:
        db.session.add(EinstellungStand(name=name, uebernommen_von=von))
        db.session.flush()
    cache_leeren()


def cache_leeren() -> None:
    """Forget cached answers and tables of this app (after a change)."""
    if has_app_context():
        current_app.extensions.pop("einstellung_stand", None)
        current_app.extensions.pop("einstellung_tabellen", None)


def tabelle_gecacht(name: str, laden):
    """`laden()` reused per app for CACHE_SEKUNDEN (a table that is read on every routed Antrag or reached task)."""
    cache = current_app.extensions.setdefault("einstellung_tabellen", {})
    gecacht = cache.get(name)
    if gecacht and gecacht[0] > time.monotonic():
        return gecacht[1]
    wert = laden()
    cache[name] = (time.monotonic() + CACHE_SEKUNDEN, wert)
    return wert


def toml_text(wert: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(wert), ensure_ascii=False)


def toml_tabelle(name: str, eintraege: dict[str, str]) -> str:
    """A TOML table of string values, keys sorted (the export format of the settings files)."""
    zeilen = [f"[{name}]"] + [f"{toml_text(k)} = {toml_text(v)}" for k, v in sorted(eintraege.items())]
    return "\n".join(zeilen) + "\n"
