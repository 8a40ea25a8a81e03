"""Candidate groups and lanes → product roles, kept by the designers (no code).

A group that is a product role stays itself; otherwise the mapping decides, and an unknown group goes to the
`standard` role (a deploy warning says so). The mapping lives in the database (table `rollen_zuordnung`, edited in
the workbench; the row `*` holds the standard role) once taken over from `processes/rollen.toml`; until then
database rows go first and the file decides the rest (app.einstellungen). Mapping happens when a task is reached,
so a changed table applies to tasks reached afterwards.
"""

import tomllib
from pathlib import Path

from flask import has_app_context
from sqlalchemy import delete, select

from app.auth.models import ROLLEN
from app.einstellungen import ROLLEN as ROLLEN_EINSTELLUNG
from app.einstellungen import (
    als_uebernommen_markieren,
    cache_leeren,
    in_datenbank,
    tabelle_gecacht,
    toml_tabelle,
    toml_text,
)
from app.engine.models import RollenZuordnung
from app.engine.routing import routing_datei
from app.extensions import db

STANDARD = "sachbearbeitung"
#: The row that holds the standard role once the mapping lives in the database.
STANDARD_ZEILE = "*"
_DATEI: dict[str, tuple[float, dict]] = {}


class RollenFehler(ValueError):
    """A mapping that cannot be stored (German message)."""


def rollen_datei() -> Path:
    """`rollen.toml` next to the routing file (default `processes/rollen.toml`)."""
    return routing_datei().parent / "rollen.toml"


def toml_lesen(text: str) -> dict:
    """A role file's text as `{"standard": rolle, "gruppen": {gruppe: rolle}}` (lower case); TOMLDecodeError."""
    roh = tomllib.loads(text)
    gruppen = roh.get("gruppen") or {}
    if not isinstance(gruppen, dict):
        raise RollenFehler('[gruppen] muss eine Tabelle sein (Gruppe = "Rolle").')
    return {
        "standard": str(roh.get("standard") or STANDARD).lower(),
        "gruppen": {str(k).strip().lower(): str(v).strip().lower() for k, v in gruppen.items()},
    }


def toml_schreiben(daten: dict) -> str:
    """The mapping as the file format of `processes/rollen.toml`."""
    kopf = "# Kandidatengruppen und Lanes → Rollen von Amtsfluss (aus Amtsfluss exportiert)\n"
    return "\n".join([kopf, f"standard = {toml_text(daten['standard'])}\n", toml_tabelle("gruppen", daten["gruppen"])])


def datei_laden(pfad: Path | None = None) -> dict:
    """The mapping of the file (cached until it changes; missing = empty)."""
    pfad = pfad or rollen_datei()
    try:
        stand = pfad.stat().st_mtime
    except FileNotFoundError:
        return {"standard": STANDARD, "gruppen": {}}
    gecacht = _DATEI.get(str(pfad))
    if gecacht and gecacht[0] == stand:
        return gecacht[1]
    daten = toml_lesen(pfad.read_text(encoding="utf-8"))
    _DATEI[str(pfad)] = (stand, daten)
    return daten


def zuordnung_pruefen() -> list[str]:
    """Problems of the mapping in force (the lookup tasks use): a malformed file, targets that are no product role."""
    wo = "Rollenzuordnung in der Datenbank (/werkstatt/rollen)" if in_datenbank(ROLLEN_EINSTELLUNG) else rollen_datei()
    try:
        daten = zuordnungen()
    except (tomllib.TOMLDecodeError, RollenFehler) as error:
        return [f"{wo}: kein gültiges TOML: {error}"]
    return [f"{wo}: {meldung}" for meldung in _falsche_rollen(daten)]


def _falsche_rollen(daten: dict) -> list[str]:
    """Entries whose target is no product role (German messages)."""
    ziele = [("standard", daten["standard"]), *((f"gruppen.{k}", v) for k, v in daten["gruppen"].items())]
    return [f"[{wo}] „{rolle}“ ist keine Rolle ({', '.join(ROLLEN)})." for wo, rolle in ziele if rolle not in ROLLEN]


def _db_zeilen() -> dict[str, str]:
    """The database rows, `*` included."""
    return {
        gruppe: rolle for gruppe, rolle in db.session.execute(select(RollenZuordnung.gruppe, RollenZuordnung.rolle))
    }


def zuordnungen() -> dict:
    """The mapping in force as `{"standard", "gruppen"}`: the database once taken over, else rows over the file."""
    uebernommen = in_datenbank(ROLLEN_EINSTELLUNG)
    zeilen = dict(tabelle_gecacht(ROLLEN_EINSTELLUNG, _db_zeilen)) if has_app_context() else {}
    if uebernommen:
        standard = zeilen.pop(STANDARD_ZEILE, STANDARD)
        return {"standard": standard, "gruppen": zeilen}
    datei = datei_laden()
    zeilen.pop(STANDARD_ZEILE, None)
    return {"standard": datei["standard"], "gruppen": {**datei["gruppen"], **zeilen}}


def rolle_fuer(gruppe: str) -> tuple[str, bool]:
    """The product role for a group and whether the group is known (role or mapping entry)."""
    gruppe = gruppe.strip().lower()
    if gruppe in ROLLEN:
        return gruppe, True
    tabelle = zuordnungen()
    if (rolle := tabelle["gruppen"].get(gruppe)) is not None:
        return rolle, True
    return tabelle["standard"], False


def rollen_abbilden(gruppen: list[str]) -> list[str]:
    """The product roles for a task's groups (order kept, no duplicates)."""
    rollen: list[str] = []
    for gruppe in gruppen:
        rolle = rolle_fuer(gruppe)[0]
        if rolle not in rollen:
            rollen.append(rolle)
    return rollen or [zuordnungen()["standard"]]


def uebernehmen(von: str = "Start") -> bool:
    """Take the file over into the database (existing rows win) unless done; True when it did. Flushes."""
    if in_datenbank(ROLLEN_EINSTELLUNG):
        return False
    daten = datei_laden()
    vorhanden = _db_zeilen()
    for gruppe, rolle in [(STANDARD_ZEILE, daten["standard"]), *daten["gruppen"].items()]:
        if gruppe not in vorhanden and rolle in ROLLEN and gruppe not in ROLLEN:
            db.session.add(RollenZuordnung(gruppe=gruppe, rolle=rolle, geaendert_von=von))
    db.session.flush()
    als_uebernommen_markieren(ROLLEN_EINSTELLUNG, von)
    return True


def zuordnen(gruppe: str, rolle: str, von: str = "System") -> RollenZuordnung:
    """Store (or change) the mapping of a group, `*` for the standard role; flushes, the caller commits."""
    gruppe, rolle = gruppe.strip().lower(), rolle.strip().lower()
    if not gruppe or len(gruppe) > 200:
        raise RollenFehler("Die Gruppe muss 1 bis 200 Zeichen lang sein.")
    if rolle not in ROLLEN:
        raise RollenFehler(f"„{rolle}“ ist keine Rolle ({', '.join(ROLLEN)}).")
    if gruppe in ROLLEN:
        raise RollenFehler(f"„{gruppe}“ ist selbst eine Rolle.")
    uebernehmen(von)
    zeile = db.session.scalars(select(RollenZuordnung).where(RollenZuordnung.gruppe == gruppe)).first()
    if zeile is None:
        zeile = RollenZuordnung(gruppe=gruppe, rolle=rolle, geaendert_von=von)
        db.session.add(zeile)
    else:
        zeile.rolle, zeile.geaendert_von = rolle, von
    db.session.flush()
    cache_leeren()
    return zeile


def zuordnung_loeschen(gruppe: str, von: str) -> str | None:
    """Remove a group's mapping (its tasks then go to the standard role); returns its role. Flushes."""
    gruppe = gruppe.strip().lower()
    if gruppe == STANDARD_ZEILE:
        raise RollenFehler("Die Standardrolle kann nur geändert, nicht gelöscht werden.")
    uebernehmen(von)
    zeile = db.session.scalars(select(RollenZuordnung).where(RollenZuordnung.gruppe == gruppe)).first()
    if zeile is None:
        return None
    db.session.delete(zeile)
    db.session.flush()
    cache_leeren()
    return zeile.rolle


def importieren(text: str, von: str) -> dict:
    """Replace the whole mapping by a role file's content (RollenFehler when malformed). Flushes."""
    try:
        daten = toml_lesen(text)
    except tomllib.TOMLDecodeError as error:
        raise RollenFehler(f"Kein gültiges TOML: {error}") from None
    if fehler := _falsche_rollen(daten):
        raise RollenFehler(" ".join(fehler))
    if selbst := sorted(set(daten["gruppen"]) & set(ROLLEN)):
        raise RollenFehler(f"„{selbst[0]}“ ist selbst eine Rolle.")
    db.session.execute(delete(RollenZuordnung))
    for gruppe, rolle in [(STANDARD_ZEILE, daten["standard"]), *daten["gruppen"].items()]:
        db.session.add(RollenZuordnung(gruppe=gruppe, rolle=rolle, geaendert_von=von))
    db.session.flush()
    als_uebernommen_markieren(ROLLEN_EINSTELLUNG, von)
    return daten
