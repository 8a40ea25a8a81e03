"""Test cases kept with a procedure: saved from a test run, exported as JSON, run before every deploy."""

from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.werkstatt.entwuerfe import protokollieren
from app.werkstatt.models import Testfall
from app.werkstatt.probelauf import Ergebnis, ausfuehren, parsen


def testfaelle(key: str) -> list[Testfall]:
    """The test cases of a procedure, by name."""
    return list(db.session.scalars(select(Testfall).where(Testfall.key == key).order_by(Testfall.name)))


def testfall_speichern(
    key: str, name: str, startdaten: dict, schritte: list[dict], ergebnis: Ergebnis, benutzer: Benutzer
) -> Testfall:
    """Save a test run under a name (replacing a test case of that name); its result is the expectation. Commits."""
    name = name.strip()[:200]
    inhalt = {
        "startdaten": startdaten,
        "schritte": schritte,
        "erwartet": {"pfad": ergebnis.pfad, "beendet": ergebnis.beendet},
    }
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


def abdeckung(key: str, xml: bytes) -> list[str]:
    """The elements of `xml` that the procedure's test cases pass through (their runs against this draft)."""
    erreicht: list[str] = []
    faelle = testfaelle(key)
    try:
        modell = parsen(xml) if faelle else None
    except ModellUngueltig:
        return []
    for testfall in faelle:
        inhalt = testfall.inhalt
        pfad = ausfuehren(modell, inhalt.get("startdaten") or {}, inhalt.get("schritte") or []).pfad
        erreicht += [element for element in pfad if element not in erreicht]
    return erreicht
