"""Installation-wide settings of the procedures in the workbench: routing, role mapping, label files.

Each change goes through the engine's or the Vorgang slice's store (which takes the shipped file over into the
database first) and is written to the workbench's audit log under `einstellung:<set>`, with the old and the new
value; then it commits. Only Verfahrensdesign and Systemadministration reach these functions (views).
"""

from sqlalchemy import select

from app.auth.models import Benutzer
from app.einstellungen import BESCHRIFTUNGEN, ROLLEN, ROUTING
from app.engine import rollen, routing
from app.extensions import db
from app.vorgaenge import beschriftungsdateien
from app.werkstatt.entwuerfe import protokollieren
from app.werkstatt.models import WerkstattEreignis

ARTEN = {"formular": "Formular-ID", "leika": "LeiKa-ID", "standard": "Standardverfahren"}


class EinstellungAbgelehnt(ValueError):
    """A change that was refused (German message)."""


def _protokoll_key(name: str) -> str:
    """The audit log key of a set of settings."""
    return f"einstellung:{name}"


def _fertig(name: str, aktion: str, benutzer: Benutzer, **details) -> None:
    """Log the change and commit."""
    protokollieren(_protokoll_key(name), aktion, benutzer, **details)
    db.session.commit()


def historie(name: str, anzahl: int = 100) -> list[WerkstattEreignis]:
    """The newest changes of a set of settings."""
    abfrage = select(WerkstattEreignis).where(WerkstattEreignis.key == _protokoll_key(name))
    return list(db.session.scalars(abfrage.order_by(WerkstattEreignis.id.desc()).limit(anzahl)))


def _abgelehnt(fehler: Exception) -> EinstellungAbgelehnt:
    """Roll back and turn a store's refusal into one error type."""
    db.session.rollback()
    return EinstellungAbgelehnt(str(fehler))


def routing_setzen(art: str, schluessel: str, verfahren: str, benutzer: Benutzer) -> None:
    """Route a form id / LeiKa id, or set the fallback procedure."""
    try:
        vorher = routing.eintrag_setzen(art, schluessel, verfahren, benutzer.login)
    except routing.RoutingUngueltig as fehler:
        raise _abgelehnt(fehler) from None
    wo = ARTEN[art] if art == "standard" else f"{ARTEN[art]} {schluessel.strip()}"
    _fertig(
        ROUTING,
        "Zuordnung geändert" if vorher else "Zuordnung angelegt",
        benutzer,
        eintrag=wo,
        alt=vorher,
        neu=verfahren.strip(),
    )


def routing_loeschen(art: str, schluessel: str, benutzer: Benutzer) -> None:
    """Remove a form id / LeiKa id entry."""
    try:
        vorher = routing.eintrag_loeschen(art, schluessel, benutzer.login)
    except routing.RoutingUngueltig as fehler:
        raise _abgelehnt(fehler) from None
    if vorher is None:
        raise _abgelehnt(ValueError("Diesen Eintrag gibt es nicht (mehr)."))
    _fertig(ROUTING, "Zuordnung gelöscht", benutzer, eintrag=f"{ARTEN[art]} {schluessel}", alt=vorher, neu=None)


def routing_importieren(text: str, dateiname: str, benutzer: Benutzer) -> None:
    """Replace the routing by an uploaded `routing.toml`."""
    vorher = routing.routing_laden()
    try:
        neu = routing.importieren(text, benutzer.login)
    except routing.RoutingUngueltig as fehler:
        raise _abgelehnt(fehler) from None
    _fertig(ROUTING, "Datei importiert", benutzer, datei=dateiname, alt=vorher, neu=neu)


def rolle_setzen(gruppe: str, rolle: str, benutzer: Benutzer) -> None:
    """Map a group or lane (or `*`, the standard role) to a role."""
    vorher = rollen.zuordnungen()
    try:
        rollen.zuordnen(gruppe, rolle, benutzer.login)
    except rollen.RollenFehler as fehler:
        raise _abgelehnt(fehler) from None
    gruppe = gruppe.strip().lower()
    alt = vorher["standard"] if gruppe == rollen.STANDARD_ZEILE else vorher["gruppen"].get(gruppe)
    eintrag = "Standardrolle" if gruppe == rollen.STANDARD_ZEILE else gruppe
    _fertig(
        ROLLEN,
        "Zuordnung geändert" if alt else "Zuordnung angelegt",
        benutzer,
        eintrag=eintrag,
        alt=alt,
        neu=rolle.strip().lower(),
    )


def rolle_loeschen(gruppe: str, benutzer: Benutzer) -> None:
    """Remove a group's mapping."""
    try:
        vorher = rollen.zuordnung_loeschen(gruppe, benutzer.login)
    except rollen.RollenFehler as fehler:
        raise _abgelehnt(fehler) from None
    if vorher is None:
        raise _abgelehnt(ValueError("Diesen Eintrag gibt es nicht (mehr)."))
    _fertig(ROLLEN, "Zuordnung gelöscht", benutzer, eintrag=gruppe, alt=vorher, neu=None)


def rollen_importieren(text: str, dateiname: str, benutzer: Benutzer) -> None:
    """Replace the role mapping by an uploaded `rollen.toml`."""
    vorher = rollen.zuordnungen()
    try:
        neu = rollen.importieren(text, benutzer.login)
    except rollen.RollenFehler as fehler:
        raise _abgelehnt(fehler) from None
    _fertig(ROLLEN, "Datei importiert", benutzer, datei=dateiname, alt=vorher, neu=neu)


def felder_lesen(text: str) -> dict[str, str]:
    """The edit field's lines `feld = Beschriftung` as a dict (empty lines and lines starting with # skipped)."""
    felder: dict[str, str] = {}
    for nummer, zeile in enumerate(text.splitlines(), start=1):
        zeile = zeile.strip()
        if not zeile or zeile.startswith("#"):
            continue
        feld, gleich, label = zeile.partition("=")
        if not gleich or not feld.strip() or not label.strip():
            raise EinstellungAbgelehnt(f"Zeile {nummer}: erwartet wird „feld = Beschriftung“.")
        felder[feld.strip().strip('"')] = label.strip().strip('"')
    return felder


def beschriftung_setzen(formular: str, felder: dict[str, str], benutzer: Benutzer, aktion: str = "") -> None:
    """Store one form's labels (new or changed)."""
    try:
        vorher = beschriftungsdateien.setzen(formular, felder, benutzer.login)
    except beschriftungsdateien.BeschriftungUngueltig as fehler:
        raise _abgelehnt(fehler) from None
    aktion = aktion or ("Beschriftungen geändert" if vorher is not None else "Beschriftungen angelegt")
    _fertig(BESCHRIFTUNGEN, aktion, benutzer, eintrag=formular.strip(), alt=vorher, neu=felder)


def beschriftung_loeschen(formular: str, benutzer: Benutzer) -> None:
    """Remove one form's labels."""
    vorher = beschriftungsdateien.loeschen(formular, benutzer.login)
    if vorher is None:
        raise _abgelehnt(ValueError("Für dieses Formular gibt es keine Beschriftungen."))
    _fertig(BESCHRIFTUNGEN, "Beschriftungen gelöscht", benutzer, eintrag=formular, alt=vorher, neu=None)


def beschriftung_importieren(formular: str, text: str, benutzer: Benutzer) -> None:
    """Store an uploaded label file as the labels of `formular` (its file name's stem by default)."""
    try:
        felder = beschriftungsdateien.toml_lesen(text)
    except beschriftungsdateien.BeschriftungUngueltig as fehler:
        raise _abgelehnt(fehler) from None
    beschriftung_setzen(formular, felder, benutzer, aktion="Datei importiert")
