"""Candidate groups and lanes → product roles: the designer's table `processes/rollen.toml` plus database rows.

A group that is a product role stays itself; otherwise the database row, then the file decides; an unknown group
goes to the file's `standard` role (a deploy warning says so). Mapping happens when a task is reached, so a
changed table applies to tasks reached afterwards.
"""

import time
import tomllib
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import select

from app.auth.models import ROLLEN
from app.engine.models import RollenZuordnung
from app.engine.routing import routing_datei
from app.extensions import db

STANDARD = "sachbearbeitung"
#: Seconds the database table is reused per app (it changes rarely; a change here clears it at once).
CACHE_SEKUNDEN = 2.0
_DATEI: dict[str, tuple[float, dict]] = {}


class RollenFehler(ValueError):
    """A mapping that cannot be stored (German message)."""


def rollen_datei() -> Path:
    """`rollen.toml` next to the routing file (default `processes/rollen.toml`)."""
    return routing_datei().parent / "rollen.toml"


def datei_laden(pfad: Path | None = None) -> dict:
    """`{"standard": rolle, "gruppen": {gruppe: rolle}}` from the file (cached until it changes; missing = empty)."""
    pfad = pfad or rollen_datei()
    try:
        stand = pfad.stat().st_mtime
    except FileNotFoundError:
        return {"standard": STANDARD, "gruppen": {}}
    gecacht = _DATEI.get(str(pfad))
    if gecacht and gecacht[0] == stand:
        return gecacht[1]
    with pfad.open("rb") as datei:
        roh = tomllib.load(datei)
    daten = {
        "standard": str(roh.get("standard") or STANDARD).lower(),
        "gruppen": {str(k).lower(): str(v).lower() for k, v in (roh.get("gruppen") or {}).items()},
    }
    _DATEI[str(pfad)] = (stand, daten)
    return daten


def datei_pruefen(pfad: Path | None = None) -> list[str]:
    """Problems of the file: TOML syntax, targets that are no product role (German messages)."""
    pfad = pfad or rollen_datei()
    if not pfad.exists():
        return []
    try:
        daten = datei_laden(pfad)
    except tomllib.TOMLDecodeError as error:
        return [f"{pfad}: kein gültiges TOML: {error}"]
    ziele = [("standard", daten["standard"]), *((f"gruppen.{k}", v) for k, v in daten["gruppen"].items())]
    return [
        f"{pfad}: [{wo}] „{rolle}“ ist keine Rolle ({', '.join(ROLLEN)})." for wo, rolle in ziele if rolle not in ROLLEN
    ]


def _db_zuordnung() -> dict[str, str]:
    """The database rows (cached per app for a few seconds); empty without an app context."""
    if not has_app_context():
        return {}
    cache = current_app.extensions.setdefault("engine_rollen", {})
    if cache.get("bis", 0) > time.monotonic():
        return cache["werte"]
    werte = {
        gruppe: rolle for gruppe, rolle in db.session.execute(select(RollenZuordnung.gruppe, RollenZuordnung.rolle))
    }
    cache.update(werte=werte, bis=time.monotonic() + CACHE_SEKUNDEN)
    return werte


def rolle_fuer(gruppe: str) -> tuple[str, bool]:
    """The product role for a group and whether the group is known (role, database row or file entry)."""
    gruppe = gruppe.strip().lower()
    if gruppe in ROLLEN:
        return gruppe, True
    if (rolle := _db_zuordnung().get(gruppe)) is not None:
        return rolle, True
    datei = datei_laden()
    if (rolle := datei["gruppen"].get(gruppe)) is not None:
        return rolle, True
    return datei["standard"], False


def rollen_abbilden(gruppen: list[str]) -> list[str]:
    """The product roles for a task's groups (order kept, no duplicates)."""
    rollen: list[str] = []
    for gruppe in gruppen:
        rolle = rolle_fuer(gruppe)[0]
        if rolle not in rollen:
            rollen.append(rolle)
    return rollen or [datei_laden()["standard"]]


def zuordnen(gruppe: str, rolle: str, von: str = "System") -> RollenZuordnung:
    """Store (or change) the mapping of a group in the database; flushes, the caller commits."""
    gruppe, rolle = gruppe.strip().lower(), rolle.strip().lower()
    if not gruppe or len(gruppe) > 200:
        raise RollenFehler("Die Gruppe muss 1 bis 200 Zeichen lang sein.")
    if rolle not in ROLLEN:
        raise RollenFehler(f"„{rolle}“ ist keine Rolle ({', '.join(ROLLEN)}).")
    if gruppe in ROLLEN:
        raise RollenFehler(f"„{gruppe}“ ist selbst eine Rolle.")
    zeile = db.session.scalars(select(RollenZuordnung).where(RollenZuordnung.gruppe == gruppe)).first()
    if zeile is None:
        zeile = RollenZuordnung(gruppe=gruppe, rolle=rolle, geaendert_von=von)
        db.session.add(zeile)
    else:
        zeile.rolle, zeile.geaendert_von = rolle, von
    db.session.flush()
    if has_app_context():
        current_app.extensions.pop("engine_rollen", None)
    return zeile
