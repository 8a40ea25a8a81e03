"""Test cases kept with a procedure: saved from a test run, exported and imported as JSON, run before every deploy."""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine.registry import key_aus_xml, modell_parsen, neueste_version
from app.engine.validierung import Fehler, ModellUngueltig
from app.extensions import db
from app.werkstatt.entwuerfe import protokollieren
from app.werkstatt.models import Testfall
from app.werkstatt.probelauf import Ergebnis, ausfuehren, parsen, testfaelle_pruefen

log = logging.getLogger(__name__)


def testfaelle(key: str) -> list[Testfall]:
    """The test cases of a procedure, by name."""
    return list(db.session.scalars(select(Testfall).where(Testfall.key == key).order_by(Testfall.name)))


#: Largest test-case file accepted for import.
MAX_TESTFALL_BYTES = 1_000_000


def inhalt_aus_lauf(startdaten: dict, schritte: list[dict], ergebnis: Ergebnis) -> dict:
    """A test case from a test run: its inputs, and its result as the expectation."""
    return {
        "startdaten": startdaten,
        "schritte": schritte,
        "erwartet": {"pfad": ergebnis.pfad, "beendet": ergebnis.beendet},
    }


def _schritt_gueltig(schritt) -> bool:
    """A step is a task input (`element`, `daten`), a timer that fires (`timer`) or time passing (`zeit`)."""
    if not isinstance(schritt, dict):
        return False
    if "timer" in schritt or "zeit" in schritt:
        return isinstance(schritt.get("timer", schritt.get("zeit")), str)
    return isinstance(schritt.get("element"), str) and isinstance(schritt.get("daten", {}), dict)


def inhalt_aus_json(key: str, daten: bytes) -> tuple[str, dict]:
    """`(name, inhalt)` of an exported test-case file for this procedure; ValueError with a German message."""
    if len(daten) > MAX_TESTFALL_BYTES:
        raise ValueError("Die Testfall-Datei ist zu groß.")
    try:
        dokument = json.loads(daten)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("Die Testfall-Datei ist kein gültiges JSON.") from None
    if not isinstance(dokument, dict):
        raise ValueError("Die Testfall-Datei muss ein JSON-Objekt sein.")
    if dokument.get("verfahren", key) != key:
        raise ValueError(f"Der Testfall gehört zum Verfahren „{dokument.get('verfahren')}“, nicht zu „{key}“.")
    startdaten, schritte = dokument.get("startdaten", {}), dokument.get("schritte", [])
    erwartet = dokument.get("erwartet", {})
    gueltig = (
        isinstance(startdaten, dict)
        and isinstance(schritte, list)
        and all(_schritt_gueltig(s) for s in schritte)
        and isinstance(erwartet, dict)
        and isinstance(erwartet.get("pfad", []), list)
    )
    name = dokument.get("name")
    if not gueltig or not isinstance(name, str) or not name.strip():
        raise ValueError(
            "Erwartet: name, startdaten (Objekt), schritte (Liste mit element und daten, timer oder zeit), erwartet."
        )
    return name, {"startdaten": startdaten, "schritte": schritte, "erwartet": erwartet}


def testfall_speichern(key: str, name: str, inhalt: dict, benutzer: Benutzer) -> Testfall:
    """Save a test case under a name (replacing one of that name). Commits."""
    name = name.strip()[:200]
    testfall = db.session.scalars(select(Testfall).where(Testfall.key == key, Testfall.name == name)).first()
    if testfall is None:
        testfall = Testfall(key=key, name=name, inhalt=inhalt, geaendert_von=benutzer.login)
        db.session.add(testfall)
    else:
        testfall.inhalt, testfall.geaendert_von = inhalt, benutzer.login
    protokollieren(key, "Testfall gespeichert", benutzer, name=name)
    db.session.commit()
    return testfall


def testfall_loeschen(testfall: Testfall, benutzer: Benutzer) -> None:
    """Delete a test case; the audit log keeps its name. Commits."""
    protokollieren(testfall.key, "Testfall gelöscht", benutzer, name=testfall.name)
    db.session.delete(testfall)
    db.session.commit()


def export(testfall: Testfall) -> dict:
    """The test case as a JSON document beside the `.bpmn` (like Camunda 8's test scenario files)."""
    return {"verfahren": testfall.key, "name": testfall.name, **testfall.inhalt}


#: BPMN flow nodes that count for coverage (local names).
FLUSSKNOTEN = {
    *("task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask", "scriptTask", "businessRuleTask"),
    *("callActivity", "subProcess", "transaction", "startEvent", "endEvent", "boundaryEvent"),
    *("intermediateCatchEvent", "intermediateThrowEvent"),
    *("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"),
}


@dataclass
class Abdeckung:
    """What the test cases of a procedure pass through in a model: flow nodes and sequence flows, by id."""

    elemente: list[str] = field(default_factory=list)
    fluesse: list[str] = field(default_factory=list)
    elemente_gesamt: int = 0
    fluesse_gesamt: int = 0

    @property
    def anteil(self) -> int:
        """Covered elements and flows together, in whole percent."""
        gesamt = self.elemente_gesamt + self.fluesse_gesamt
        return round(100 * (len(self.elemente) + len(self.fluesse)) / gesamt) if gesamt else 0

    def als_dict(self) -> dict:
        """JSON for the diagram: ids to mark, counts and the percentage."""
        return {
            "elemente": self.elemente,
            "fluesse": self.fluesse,
            "elemente_gesamt": self.elemente_gesamt,
            "fluesse_gesamt": self.fluesse_gesamt,
            "anteil": self.anteil,
        }


def abdeckung(key: str, xml: bytes) -> Abdeckung:
    """The flow nodes and sequence flows of `xml` that the procedure's test cases pass (their runs on this model)."""
    ergebnis = Abdeckung()
    fluesse: dict[tuple[str, str], list[str]] = {}
    for element in etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True)).iter():
        name = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if name in FLUSSKNOTEN:
            ergebnis.elemente_gesamt += 1
        elif name == "sequenceFlow":
            fluesse.setdefault((element.get("sourceRef"), element.get("targetRef")), []).append(element.get("id"))
            ergebnis.fluesse_gesamt += 1
    faelle = testfaelle(key)
    try:
        modell = parsen(xml) if faelle else None
    except ModellUngueltig:
        return ergebnis
    for testfall in faelle:
        lauf = ausfuehren(modell, testfall.inhalt.get("startdaten") or {}, testfall.inhalt.get("schritte") or [])
        ergebnis.elemente += [e for e in lauf.pfad if e not in ergebnis.elemente]
        for paar in lauf.uebergaenge:
            ergebnis.fluesse += [f for f in fluesse.get(paar, []) if f not in ergebnis.fluesse]
    return ergebnis


def dateien_neben(datei: Path, key: str) -> tuple[list[tuple[str, dict]], list[Fehler]]:
    """The test-case files `<key>.<name>.test.json` beside a `.bpmn` file: `(name, inhalt)` each, and file errors."""
    faelle, fehler = [], []
    for pfad in sorted(Path(datei).parent.glob(f"{key}.*.test.json")):
        try:
            faelle.append(inhalt_aus_json(key, pfad.read_bytes()))
        except (ValueError, OSError) as error:
            fehler.append(Fehler(str(pfad), f"Testfall-Datei nicht lesbar: {error}"))
    return faelle, fehler


def dateien_uebernehmen(key: str, faelle: list[tuple[str, dict]], von: str, ersetzen: bool) -> None:
    """Store test cases from files as the procedure's test cases, each with an audit log entry (flush, no commit).

    `ersetzen`: a file replaces a saved test case of the same name (`processes deploy`, after the case passed);
    otherwise that saved test case stays (start-up: the database is the source of truth).
    """
    gespeichert, von = {t.name: t for t in testfaelle(key)}, von[:80]
    for name, inhalt in faelle:
        name = name.strip()[:200]
        testfall = gespeichert.get(name)
        if testfall is None:
            db.session.add(Testfall(key=key, name=name, inhalt=inhalt, geaendert_von=von))
        elif ersetzen and testfall.inhalt != inhalt:
            testfall.inhalt, testfall.geaendert_von = inhalt, von
        else:
            continue
        protokollieren(key, "Testfall aus Datei übernommen", von, name=name)
    db.session.flush()


def vor_deploy(xml: bytes, datei: Path, von: str = "CLI") -> list[Fehler]:
    """The check `processes deploy` runs per BPMN file: all test cases of its procedure, as the browser deploy does.

    The procedure's test cases in the database plus the files beside the `.bpmn` (a file replaces a saved test
    case of the same name). When they pass, the files' test cases are stored in the database, so the browser
    deploy runs them too. An unchanged file is deployed as nothing: only new or changed test-case files run
    against it. Raises ModellUngueltig.
    """
    key = key_aus_xml(xml)
    aus_dateien, fehler = dateien_neben(datei, key) if key else ([], [])
    gespeichert = {t.name: t.inhalt for t in testfaelle(key)} if key else {}
    aktuell = neueste_version(key) if key else None
    if aktuell is not None and aktuell.sha256 == hashlib.sha256(xml).hexdigest():
        faelle = {name: inhalt for name, inhalt in aus_dateien if gespeichert.get(name.strip()[:200]) != inhalt}
        if not faelle:
            return fehler
    else:
        faelle = gespeichert | dict(aus_dateien)
    _key, _name, spec, subprocess_specs = modell_parsen(xml, str(datei))
    meldungen = testfaelle_pruefen((spec, subprocess_specs), sorted(faelle.items()))
    if fehler or meldungen:
        return fehler + [Fehler(str(datei), meldung) for meldung in meldungen]
    dateien_uebernehmen(key, aus_dateien, von, ersetzen=True)
    return []


def beim_start_bereitgestellt(key: str, datei: str, von: str) -> None:
    """A shipped procedure deployed at start-up: store its test-case files, never over a saved test case."""
    faelle, fehler = dateien_neben(Path(datei), key)
    for f in fehler:
        log.error("Testfall-Datei nicht übernommen: %s", f)
    dateien_uebernehmen(key, faelle, von, ersetzen=False)
