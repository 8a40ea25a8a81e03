"""Decision tables (DMN) in the workbench: deployed ones, drafts, check, deploy as the next version.

A decision is addressed by its id (deployed under the key `dmn:<id>`, app.engine.registry). A draft is an `Entwurf`
row under the same key; it never affects running cases. Checking and deploying use the engine's own DMN loader
(`registry.dmn_pruefen`, `registry.deploy_dmn`), so the workbench accepts exactly what `processes deploy` accepts.
"""

import re

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app.auth.models import Benutzer
from app.engine.dmn import entscheidungen as entscheidungs_ids
from app.engine.models import ProzessModellVersion
from app.engine.registry import DMN_PRAEFIX, deploy_dmn, dmn_pruefen, neueste_version
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.werkstatt.entwuerfe import MAX_BPMN_BYTES, DeployAbgelehnt, NichtAngenommen, protokollieren
from app.werkstatt.models import Entwurf

#: A decision id usable in URLs.
ID_MUSTER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,190}$")


def uebersicht() -> list[dict]:
    """Every decision with its newest version (who, when) and newest draft."""
    ergebnis: dict[str, dict] = {}
    neueste = select(func.max(ProzessModellVersion.id)).where(ProzessModellVersion.key.startswith(DMN_PRAEFIX))
    for version in db.session.scalars(
        select(ProzessModellVersion).where(ProzessModellVersion.id.in_(neueste.group_by(ProzessModellVersion.key)))
    ):
        ergebnis[version.key] = {"id": version.key.removeprefix(DMN_PRAEFIX), "version": version, "entwurf": None}
    entwuerfe = select(func.max(Entwurf.id)).where(Entwurf.key.startswith(DMN_PRAEFIX)).group_by(Entwurf.key)
    for entwurf in db.session.scalars(select(Entwurf).where(Entwurf.id.in_(entwuerfe))):
        zeile = ergebnis.setdefault(entwurf.key, {"id": entwurf.key.removeprefix(DMN_PRAEFIX), "version": None})
        zeile["entwurf"] = entwurf
    return sorted(ergebnis.values(), key=lambda z: z["id"])


def versionen(entscheidung: str) -> list[ProzessModellVersion]:
    """The deployed versions of a decision, newest first."""
    abfrage = select(ProzessModellVersion).where(ProzessModellVersion.key == DMN_PRAEFIX + entscheidung)
    return list(db.session.scalars(abfrage.order_by(ProzessModellVersion.version.desc())))


def version_xml(entscheidung: str, version: int) -> str | None:
    """The DMN document of one deployed version."""
    return db.session.scalar(
        select(ProzessModellVersion.xml).where(
            ProzessModellVersion.key == DMN_PRAEFIX + entscheidung, ProzessModellVersion.version == version
        )
    )


def neuester_entwurf(entscheidung: str) -> Entwurf | None:
    """The newest draft of a decision (with XML)."""
    abfrage = select(Entwurf).options(undefer(Entwurf.xml)).where(Entwurf.key == DMN_PRAEFIX + entscheidung)
    return db.session.scalars(abfrage.order_by(Entwurf.id.desc())).first()


def xml_fuer(entscheidung: str) -> str | None:
    """The XML the editor opens: the newest draft, else the newest deployed version; None when neither exists."""
    if (entwurf := neuester_entwurf(entscheidung)) is not None:
        return entwurf.xml
    version = neueste_version(DMN_PRAEFIX + entscheidung)
    return (
        None
        if version is None
        else db.session.scalar(select(ProzessModellVersion.xml).where(ProzessModellVersion.id == version.id))
    )


def pruefen(xml: bytes) -> list[dict]:
    """The errors deploying would report, as JSON-ready dicts (German messages)."""
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
    if len(xml) > grenze:
        return [{"zeile": None, "meldung": f"Die Datei ist größer als {grenze // 1000} KB."}]
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        return [{"zeile": None, "meldung": "DMN-Dateien mit DOCTYPE oder Entitäten werden nicht angenommen."}]
    _root, fehler = dmn_pruefen(xml, "entscheidung.dmn")
    return [{"zeile": f.zeile, "meldung": f.meldung} for f in fehler if not f.warnung]


def speichern(entscheidung: str, xml: bytes, benutzer: Benutzer, kommentar: str = "") -> Entwurf:
    """Save a DMN document as the newest draft of the decision (invalid ones too: work in progress). Commits."""
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
    if not xml.strip() or len(xml) > grenze:
        raise NichtAngenommen(f"Die Datei ist leer oder größer als {grenze // 1000} KB.")
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise NichtAngenommen("DMN-Dateien mit DOCTYPE oder Entitäten werden nicht angenommen.")
    root, fehler = dmn_pruefen(xml, "entscheidung.dmn")
    if root is None:
        raise NichtAngenommen(fehler[0].meldung)
    if entscheidung not in entscheidungs_ids(root):
        raise NichtAngenommen(f"Die Datei enthält die Entscheidung „{entscheidung}“ nicht mehr.")
    name = next((e.get("name") for e in root.iter() if isinstance(e.tag, str) and e.get("id") == entscheidung), None)
    entwurf = Entwurf(
        key=DMN_PRAEFIX + entscheidung,
        name=(name or entscheidung)[:300],
        xml=xml.decode("utf-8"),
        kommentar=kommentar.strip()[:500],
        autor=benutzer.login,
        basis_version=(v.version if (v := neueste_version(DMN_PRAEFIX + entscheidung)) is not None else None),
    )
    db.session.add(entwurf)
    db.session.flush()
    protokollieren(entwurf.key, "Entwurf gespeichert", benutzer, entwurf=entwurf.id, kommentar=entwurf.kommentar)
    db.session.commit()
    return entwurf


def deployen(entscheidung: str, benutzer: Benutzer) -> list:
    """Deploy the newest draft (every decision of its file) with the engine's DMN loader. Commits."""
    entwurf = neuester_entwurf(entscheidung)
    if entwurf is None:
        raise DeployAbgelehnt(["Es gibt keinen gespeicherten Entwurf."])
    try:
        ergebnisse = deploy_dmn(entwurf.xml.encode("utf-8"), f"{entscheidung}.dmn", benutzer.login)
    except ModellUngueltig as error:
        db.session.rollback()
        raise DeployAbgelehnt([f.meldung for f in error.fehler]) from None
    for ergebnis in ergebnisse:
        protokollieren(ergebnis.key, "Bereitgestellt", benutzer, entwurf=entwurf.id, version=ergebnis.version)
    db.session.commit()
    return ergebnisse
