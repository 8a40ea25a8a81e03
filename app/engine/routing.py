"""Which procedure a Vorgang runs: form id, then each LeiKa id, then the fallback (`standard`), no code.

Kept in the database (table `verfahren_routing`, edited in the workbench) once taken over from the shipped
`processes/routing.toml`; until then the file counts (app.einstellungen). The file stays the import and export
format.
"""

import tomllib
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import delete, select

from app.config import ROOT
from app.einstellungen import (
    ROUTING,
    als_uebernommen_markieren,
    cache_leeren,
    in_datenbank,
    tabelle_gecacht,
    toml_tabelle,
    toml_text,
)
from app.engine.models import VerfahrensRouting
from app.extensions import db

ALLGEMEIN = "allgemeines_verfahren"
#: art → the file's table name (and the German word for messages).
ARTEN = {"formular": "formulare", "leika": "leika"}
_CACHE: dict[str, tuple[float, dict]] = {}


class RoutingUngueltig(ValueError):
    """A routing entry or file that cannot be stored (German message)."""


def routing_datei() -> Path:
    """The routing file (config `PROCESS_ROUTING_FILE`, default `processes/routing.toml`)."""
    if has_app_context() and current_app.config.get("PROCESS_ROUTING_FILE"):
        return Path(current_app.config["PROCESS_ROUTING_FILE"])
    return ROOT / "processes" / "routing.toml"


def datei_laden(pfad: Path | None = None) -> dict:
    """The parsed routing file (cached until its modification time changes)."""
    pfad = pfad or routing_datei()
    try:
        stand = pfad.stat().st_mtime
    except FileNotFoundError:
        return {"standard": ALLGEMEIN, "formulare": {}, "leika": {}}
    gecacht = _CACHE.get(str(pfad))
    if gecacht and gecacht[0] == stand:
        return gecacht[1]
    daten = toml_lesen(pfad.read_text(encoding="utf-8"))
    _CACHE[str(pfad)] = (stand, daten)
    return daten


def _db_laden() -> dict:
    """The routing table as `{"standard", "formulare", "leika"}`."""
    daten: dict = {"standard": ALLGEMEIN, "formulare": {}, "leika": {}}
    for zeile in db.session.scalars(select(VerfahrensRouting)):
        if zeile.art == "standard":
            daten["standard"] = zeile.verfahren
        else:
            daten[ARTEN[zeile.art]][zeile.schluessel] = zeile.verfahren
    return daten


def routing_laden() -> dict:
    """The routing in force: the database once it was taken over, else the file."""
    if in_datenbank(ROUTING):
        return tabelle_gecacht(ROUTING, _db_laden)
    return datei_laden()


def verfahren_fuer(formular_id: str, leika_ids: list[str]) -> str:
    """The procedure key for a form id and LeiKa ids; unknown forms get the general procedure."""
    routing = routing_laden()
    if formular_id and formular_id in routing["formulare"]:
        return routing["formulare"][formular_id]
    for leika in leika_ids or []:
        if leika in routing["leika"]:
            return routing["leika"][leika]
    return routing["standard"]


def toml_lesen(text: str) -> dict:
    """A routing file's text as `{"standard", "formulare", "leika"}`; RoutingUngueltig (German) when malformed."""
    try:
        roh = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RoutingUngueltig(f"Kein gültiges TOML: {error}") from None
    daten = {"standard": str(roh.get("standard") or ALLGEMEIN), "formulare": {}, "leika": {}}
    for tabelle in ARTEN.values():
        eintraege = roh.get(tabelle) or {}
        if not isinstance(eintraege, dict):
            raise RoutingUngueltig(f'[{tabelle}] muss eine Tabelle sein (Schlüssel = "Verfahren").')
        for schluessel, verfahren in eintraege.items():
            if not isinstance(verfahren, str):
                raise RoutingUngueltig(f"[{tabelle}] {schluessel}: das Verfahren muss ein Text sein.")
            daten[tabelle][str(schluessel)] = verfahren
    return daten


def toml_schreiben(daten: dict) -> str:
    """The routing as the file format of `processes/routing.toml`."""
    kopf = "# Routing der Anträge: Formular-ID, dann LeiKa-ID, sonst das Standardverfahren (aus Amtsfluss exportiert)\n"
    teile = [kopf, f"standard = {toml_text(daten['standard'])}\n"]
    teile += [toml_tabelle(tabelle, daten[tabelle]) for tabelle in ARTEN.values()]
    return "\n".join(teile)


def uebernehmen(von: str = "Start") -> bool:
    """Take the file over into the database unless it lives there already; True when it did. Flushes."""
    if in_datenbank(ROUTING):
        return False
    daten = datei_laden()
    _zeilen_schreiben(daten, von)
    als_uebernommen_markieren(ROUTING, von)
    return True


def _zeilen_schreiben(daten: dict, von: str) -> None:
    """Replace every routing row by `daten`."""
    db.session.execute(delete(VerfahrensRouting))
    db.session.add(VerfahrensRouting(art="standard", schluessel="*", verfahren=daten["standard"], geaendert_von=von))
    for art, tabelle in ARTEN.items():
        for schluessel, verfahren in daten[tabelle].items():
            db.session.add(VerfahrensRouting(art=art, schluessel=schluessel, verfahren=verfahren, geaendert_von=von))
    db.session.flush()
    cache_leeren()


def _pruefen(art: str, schluessel: str, verfahren: str) -> None:
    """Refuse an entry the table cannot hold."""
    if art not in (*ARTEN, "standard"):
        raise RoutingUngueltig("Bitte wählen Sie Formular-ID oder LeiKa-ID.")
    if art != "standard" and not 1 <= len(schluessel) <= 200:
        raise RoutingUngueltig("Die Formular- oder LeiKa-ID muss 1 bis 200 Zeichen lang sein.")
    if not 1 <= len(verfahren) <= 200:
        raise RoutingUngueltig("Bitte wählen Sie ein Verfahren.")


def eintrag_setzen(art: str, schluessel: str, verfahren: str, von: str) -> str | None:
    """Route a form id / LeiKa id (or the fallback) to a procedure; returns the previous procedure. Flushes."""
    schluessel, verfahren = ("*" if art == "standard" else schluessel.strip()), verfahren.strip()
    _pruefen(art, schluessel, verfahren)
    uebernehmen(von)
    zeile = db.session.scalars(
        select(VerfahrensRouting).where(VerfahrensRouting.art == art, VerfahrensRouting.schluessel == schluessel)
    ).first()
    vorher = zeile.verfahren if zeile is not None else None
    if zeile is None:
        db.session.add(VerfahrensRouting(art=art, schluessel=schluessel, verfahren=verfahren, geaendert_von=von))
    else:
        zeile.verfahren, zeile.geaendert_von = verfahren, von
    db.session.flush()
    cache_leeren()
    return vorher


def eintrag_loeschen(art: str, schluessel: str, von: str) -> str | None:
    """Remove a form id / LeiKa id entry (the fallback stays); returns its procedure, None when there was none."""
    if art not in ARTEN:
        raise RoutingUngueltig("Das Standardverfahren kann nur geändert, nicht gelöscht werden.")
    uebernehmen(von)
    zeile = db.session.scalars(
        select(VerfahrensRouting).where(VerfahrensRouting.art == art, VerfahrensRouting.schluessel == schluessel)
    ).first()
    if zeile is None:
        return None
    db.session.delete(zeile)
    db.session.flush()
    cache_leeren()
    return zeile.verfahren


def importieren(text: str, von: str) -> dict:
    """Replace the whole routing by a routing file's content (RoutingUngueltig when malformed). Flushes."""
    daten = toml_lesen(text)
    for art, tabelle in ARTEN.items():
        for schluessel, verfahren in daten[tabelle].items():
            _pruefen(art, schluessel, verfahren)
    _pruefen("standard", "*", daten["standard"])
    _zeilen_schreiben(daten, von)
    als_uebernommen_markieren(ROUTING, von)
    return daten


def herkunft() -> str:
    """Where the routing in force comes from, for messages: the database's page or the file."""
    return "Routing in der Datenbank (/werkstatt/routing)" if in_datenbank(ROUTING) else str(routing_datei())


def routing_pruefen(bekannte_keys: set[str]) -> list[str]:
    """Problems of the routing in force (the lookup the intake uses): a malformed file, targets that are not
    deployed procedures (German messages)."""
    wo = herkunft()
    try:
        daten = routing_laden()
    except RoutingUngueltig as error:
        return [f"{wo}: {error}"]
    ziele = [("standard", daten["standard"])]
    for abschnitt in ARTEN.values():
        ziele += [(f"{abschnitt}.{k}", v) for k, v in sorted(daten[abschnitt].items())]
    fehlend = [(ort, ziel) for ort, ziel in ziele if ziel not in bekannte_keys]
    return [f"{wo}: [{ort}] Verfahren „{ziel}“ ist nicht bereitgestellt." for ort, ziel in fehlend]
