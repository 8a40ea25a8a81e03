"""Drafts of procedures: accept a BPMN document, save it as a draft, see who else edits, deploy as next version.

A draft is only stored; running cases never see it. Deploying goes through the engine's registry (the same
validation as `processes deploy`) after every test case of the procedure passed, and is written to the audit log.
"""

import re
from datetime import timedelta
from pathlib import Path

from flask import current_app
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.auth.models import Benutzer
from app.engine.models import ProzessModellVersion
from app.engine.registry import DeployErgebnis, deploy_xml, neueste_version
from app.engine.validierung import BPMN_NS, Fehler, ModellUngueltig, datei_pruefen
from app.extensions import db
from app.timeutil import utcnow
from app.werkstatt.models import Entwurf, Testfall, WerkstattEreignis
from app.werkstatt.probelauf import parsen, testfaelle_pruefen

#: Largest BPMN document accepted (config `WERKSTATT_MAX_BPMN_BYTES`).
MAX_BPMN_BYTES = 2_000_000
#: Somebody who opened or saved a procedure this recently counts as editing it.
BEARBEITET_SEIT = timedelta(minutes=30)
#: A process id usable in URLs and file names.
KEY_MUSTER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")
VORLAGE = Path(__file__).with_name("vorlage.bpmn")


class NichtAngenommen(Exception):
    """A BPMN document the workbench refuses (too large, not XML, DTD, no process, bad id); message in German."""


class DeployAbgelehnt(Exception):
    """Deploying was refused: the model is invalid or a test case fails; `meldungen` says why (German)."""

    def __init__(self, meldungen: list[str]):
        """Keep the messages."""
        self.meldungen = meldungen
        super().__init__("\n".join(meldungen))


def protokollieren(key: str, aktion: str, benutzer: Benutzer | str, **details) -> None:
    """Append an entry to the workbench's audit log (no commit); `benutzer` or who else acted ("CLI", "Start")."""
    login = benutzer if isinstance(benutzer, str) else benutzer.login
    db.session.add(WerkstattEreignis(key=key, aktion=aktion, benutzer=login, details=details))


def xml_annehmen(xml: bytes) -> tuple[str, str, list[Fehler]]:
    """Check an uploaded or posted BPMN document; returns `(key, name, fehler)` or raises NichtAngenommen.

    The size limit and the refusal of any DTD come first; then the engine's validator (its hardened lxml parser
    resolves no entities and loads nothing from the network) reads the process id and collects all errors.
    """
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
    if not xml.strip():
        raise NichtAngenommen("Die Datei ist leer.")
    if len(xml) > grenze:
        raise NichtAngenommen(f"Die Datei ist größer als {grenze // 1000} KB.")
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise NichtAngenommen("BPMN-Dateien mit DOCTYPE oder Entitäten werden nicht angenommen.")
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        raise NichtAngenommen("Die Datei muss UTF-8-kodiert sein (wie aus Camunda Modeler und bpmn-js).") from None
    fehler, root = datei_pruefen(xml, "entwurf.bpmn")
    if root is None:
        raise NichtAngenommen(fehler[0].meldung if fehler else "Kein XML.")
    if etree.QName(root).namespace != BPMN_NS:
        raise NichtAngenommen("Das ist keine BPMN-2.0-Datei (bpmn:definitions fehlt).")
    prozesse = root.findall(f"{{{BPMN_NS}}}process")
    prozess = next((p for p in prozesse if p.get("isExecutable") == "true"), prozesse[0] if prozesse else None)
    if prozess is None:
        raise NichtAngenommen("Die Datei enthält keinen Prozess.")
    key = prozess.get("id") or ""
    if not KEY_MUSTER.match(key):
        raise NichtAngenommen(f"Die Prozess-ID „{key[:80]}“ ist ungültig (Buchstaben, Ziffern, _ . -).")
    return key, (prozess.get("name") or key)[:300], fehler


def vorlage(key: str, name: str) -> bytes:
    """The template of a new procedure (start → user task → end, with diagram layout) under `key` and `name`."""
    if not KEY_MUSTER.match(key):
        raise NichtAngenommen("Die Prozess-ID muss mit einem Buchstaben beginnen (Buchstaben, Ziffern, _ . -).")
    root = etree.fromstring(VORLAGE.read_bytes())
    prozess = root.find(f"{{{BPMN_NS}}}process")
    prozess.set("id", key)
    prozess.set("name", name.strip()[:300] or key)
    for ebene in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane"):
        ebene.set("bpmnElement", key)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def speichern(xml: bytes, benutzer: Benutzer, kommentar: str = "", key: str | None = None) -> Entwurf:
    """Save a BPMN document as the newest draft of its procedure (invalid models too: work in progress). Commits.

    With `key`, the document's process id must be that procedure's (the modeler saves into one procedure).
    """
    xml_key, name, _fehler = xml_annehmen(xml)
    if key is not None and xml_key != key:
        raise NichtAngenommen(
            f"Die Prozess-ID im Diagramm („{xml_key}“) passt nicht zum Verfahren „{key}“. "
            "Ein neues Verfahren legen Sie über „Neues Verfahren“ an."
        )
    basis = neueste_version(xml_key)
    entwurf = Entwurf(
        key=xml_key,
        name=name,
        xml=xml.decode("utf-8"),
        kommentar=kommentar.strip()[:500],
        autor=benutzer.login,
        basis_version=basis.version if basis is not None else None,
    )
    db.session.add(entwurf)
    db.session.flush()
    protokollieren(xml_key, "Entwurf gespeichert", benutzer, entwurf=entwurf.id, kommentar=entwurf.kommentar)
    db.session.commit()
    return entwurf


def neuester_entwurf(key: str) -> Entwurf | None:
    """The current draft of a procedure (its newest saved state)."""
    return db.session.scalars(
        select(Entwurf).where(Entwurf.key == key).options(undefer(Entwurf.xml)).order_by(Entwurf.id.desc())
    ).first()


def entwuerfe(key: str, anzahl: int = 20) -> list[Entwurf]:
    """The saved states of a procedure's draft, newest first."""
    return list(db.session.scalars(select(Entwurf).where(Entwurf.key == key).order_by(Entwurf.id.desc()).limit(anzahl)))


def version_xml(key: str, version: int) -> ProzessModellVersion | None:
    """A deployed version with its XML loaded."""
    return db.session.scalars(
        select(ProzessModellVersion)
        .where(ProzessModellVersion.key == key, ProzessModellVersion.version == version)
        .options(undefer(ProzessModellVersion.xml))
    ).first()


def geoeffnet(key: str, benutzer: Benutzer) -> None:
    """Note that someone opened the procedure in the modeler (shown to others as „bearbeitet gerade“). Commits."""
    protokollieren(key, "Modeler geöffnet", benutzer)
    db.session.commit()


def andere_bearbeiter(key: str, benutzer: Benutzer) -> list[str]:
    """Logins of the others who opened or saved this procedure in the last half hour."""
    seit = utcnow() - BEARBEITET_SEIT
    return sorted(
        set(
            db.session.scalars(
                select(WerkstattEreignis.benutzer).where(
                    WerkstattEreignis.key == key,
                    WerkstattEreignis.zeitpunkt >= seit,
                    WerkstattEreignis.benutzer != benutzer.login,
                    WerkstattEreignis.aktion.in_(("Modeler geöffnet", "Entwurf gespeichert")),
                )
            )
        )
    )


def ereignisse(key: str, anzahl: int = 50) -> list[WerkstattEreignis]:
    """The audit log of a procedure, newest first."""
    abfrage = select(WerkstattEreignis).where(WerkstattEreignis.key == key)
    return list(db.session.scalars(abfrage.order_by(WerkstattEreignis.id.desc()).limit(anzahl)))


def freigabe_erforderlich() -> bool:
    """Whether a draft needs a second person's approval before it is deployed (config `WERKSTATT_FREIGABE`)."""
    return bool(current_app.config.get("WERKSTATT_FREIGABE"))


def freigegeben_von(entwurf: Entwurf) -> list[str]:
    """Logins of those who approved this draft."""
    zeilen = db.session.scalars(
        select(WerkstattEreignis).where(WerkstattEreignis.key == entwurf.key, WerkstattEreignis.aktion == "freigegeben")
    )
    return sorted({z.benutzer for z in zeilen if (z.details or {}).get("entwurf") == entwurf.id})


def freigeben(entwurf: Entwurf, benutzer: Benutzer) -> None:
    """Approve a draft for deploying (audit log); the author cannot approve their own draft. Commits."""
    if entwurf.autor == benutzer.login:
        raise NichtAngenommen("Den eigenen Entwurf muss eine zweite Person freigeben.")
    protokollieren(entwurf.key, "freigegeben", benutzer, entwurf=entwurf.id)
    db.session.commit()


def deployen(entwurf: Entwurf, benutzer: Benutzer) -> DeployErgebnis:
    """Deploy a draft as the procedure's next version after all its test cases passed; audit log; commits.

    With approval switched on, someone other than the deploying person must have approved this draft.
    """
    xml = entwurf.xml.encode("utf-8")
    meldungen = []
    if freigabe_erforderlich() and not [login for login in freigegeben_von(entwurf) if login != benutzer.login]:
        meldungen.append("Der Entwurf braucht vor dem Bereitstellen die Freigabe einer zweiten Person.")
    try:
        modell = parsen(xml)
    except ModellUngueltig as error:
        raise DeployAbgelehnt([*meldungen, *(_text(f) for f in error.fehler)]) from None
    faelle = db.session.scalars(select(Testfall).where(Testfall.key == entwurf.key).order_by(Testfall.name))
    meldungen += testfaelle_pruefen(modell, [(t.name, t.inhalt) for t in faelle])
    if meldungen:
        raise DeployAbgelehnt(meldungen)
    ergebnis = deploy_xml(xml, f"{entwurf.key}.bpmn", von=benutzer.login)
    protokollieren(entwurf.key, "deployt", benutzer, entwurf=entwurf.id, version=ergebnis.version, neu=ergebnis.neu)
    db.session.commit()
    return ergebnis


def _text(fehler: Fehler) -> str:
    """An error for people: element and message (the file name of a draft says nothing)."""
    return f"[{fehler.element}] {fehler.meldung}" if fehler.element else fehler.meldung
