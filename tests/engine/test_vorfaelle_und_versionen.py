"""Incidents (script and timer errors), retry with migration, cancel; versions: unchanged files, v1 keeps v1."""

from datetime import date, datetime, timedelta

from app.engine import runner
from app.engine.diagramm import diagramm_daten
from app.engine.models import ProzessInstanz, ProzessModellVersion
from app.engine.registry import deploy_xml
from app.engine.serialisierung import zustand_laden
from app.engine.timers import faellige_timer_ausfuehren
from app.extensions import db
from app.signale import vorgang_verworfen
from tests.engine.conftest import BEISPIELE, erledige, neuer_vorgang, offene_ids


def deploy(name: str):
    """Deploy one test model and commit."""
    ergebnis = deploy_xml((BEISPIELE / name).read_bytes(), name)
    db.session.commit()
    return ergebnis


def instanz(vorgang) -> ProzessInstanz:
    """The process instance of a Vorgang."""
    return db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()


def test_unveraenderte_datei_erzeugt_keine_neue_version(app):
    """Same bytes → same version; changed bytes → version 2; both stored with their hash."""
    assert deploy("rechnen_v1.bpmn").version == 1
    zweite = deploy("rechnen_v1.bpmn")
    assert (zweite.version, zweite.neu) == (1, False)
    assert deploy("rechnen_v2.bpmn").version == 2
    versionen = db.session.scalars(db.select(ProzessModellVersion).filter_by(key="rechnen")).all()
    assert len(versionen) == 2 and len({v.sha256 for v in versionen}) == 2


def test_skriptfehler_wird_vorfall_und_vorgang_bleibt(amt, sabine):
    """A ZeroDivisionError in a script: incident with element id and message, Historie, no open task."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)
    i = instanz(v)
    assert i.zustand_art == "vorfall"
    assert i.vorfall_element == "teilen"
    assert "ZeroDivisionError" in i.vorfall_text
    assert i.vorfall_seit is not None
    assert offene_ids(v) == []
    daten = diagramm_daten(v)
    assert daten["vorfall"]["element"] == "teilen" and "teilen" in daten["aktiv"]
    assert db.session.get(type(v), v.id) is not None


def test_vorfall_wiederholen_nach_korrigierter_version_migriert(amt, sabine):
    """Deploy a fixed v2, retry: the instance moves to v2 and runs on to the next task."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)
    deploy("rechnen_v2.bpmn")
    meldung = runner.wiederholen(instanz(v), sabine)
    assert "Version 2" in meldung
    i = instanz(v)
    assert i.zustand_art == "aktiv" and i.vorfall_element is None
    assert i.modell_version.version == 2
    assert offene_ids(v) == ["fertig"]


def test_vorfall_wiederholen_ohne_passende_version_bleibt_vorfall(amt, sabine):
    """A version that removed the failed task cannot take the instance; retry fails again, clearly."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)
    deploy("rechnen_v3.bpmn")
    meldung = runner.wiederholen(instanz(v), sabine)
    assert "bleibt auf 1" in meldung and "erneut fehlgeschlagen" in meldung
    assert instanz(v).zustand_art == "vorfall" and instanz(v).modell_version.version == 1


def test_vorfall_abbrechen(amt, sabine):
    """Cancel: no tasks, no timers, the Vorgang stays with its status."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)
    runner.abbrechen(instanz(v), sabine, "Antrag zurückgezogen")
    i = instanz(v)
    assert i.zustand_art == "abgebrochen" and i.next_timer_due is None
    assert offene_ids(v) == [] and v.status == "Neu"


def test_verworfener_vorgang_bricht_sein_verfahren_ab(amt, sabine):
    """The signal `vorgang_verworfen` cancels the running procedure in the sender's transaction (no commit)."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    vorgang_verworfen.send(v, benutzer=sabine, grund="Dublette")
    assert instanz(v).zustand_art == "abgebrochen" and offene_ids(v) == []
    db.session.rollback()
    assert instanz(v).zustand_art == "aktiv" and offene_ids(v) == ["eingabe"]
    vorgang_verworfen.send(v, benutzer=sabine, grund="Dublette")
    db.session.commit()
    vorgang_verworfen.send(v, benutzer=sabine, grund="noch einmal")  # nothing runs any more: nothing to do
    assert instanz(v).zustand_art == "abgebrochen"


def test_v1_instanz_laeuft_nach_deploy_von_v2_auf_v1_weiter(amt, sabine):
    """An instance keeps its version: v2's extra task never appears for it; new instances get v2."""
    deploy("rechnen_v1.bpmn")
    alt = neuer_vorgang(amt, verfahren_key="rechnen")
    deploy("rechnen_zusatz.bpmn")
    neu = neuer_vorgang(amt, verfahren_key="rechnen")
    assert instanz(alt).modell_version.version == 1 and instanz(neu).modell_version.version == 2
    erledige(sabine, alt, "eingabe", zahl=4)
    erledige(sabine, neu, "eingabe", zahl=4)
    assert offene_ids(alt) == ["fertig"]
    assert offene_ids(neu) == ["zusatz"]
    erledige(sabine, alt, "fertig")
    assert instanz(alt).zustand_art == "beendet"


def test_datum_und_zeit_aus_skripten_ueberstehen_speichern_und_laden(amt, sabine):
    """datetime and date left in task data by a script round-trip through the stored state."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=5)
    i = instanz(v)
    from app.engine import registry

    modell = registry.modell(i.modell_version)
    wf = zustand_laden(i.zustand, modell.spec, modell.subprocess_specs)
    [task] = [t for t in wf.get_tasks() if t.task_spec.name == "fertig"]
    assert task.data["ergebnis"] == 20
    assert isinstance(task.data["termin"], datetime) and isinstance(task.data["tag"], date)


def test_timerfehler_wird_vorfall_und_timer_mit_datum_feuert(uhr, amt, sabine):
    """A timer expression that cannot be computed is an incident; with data it fires on the controlled clock."""
    deploy("timer_kaputt.bpmn")
    v = neuer_vorgang(amt, verfahren_key="timer_kaputt")
    erledige(sabine, v, "eingabe", termin="")
    assert instanz(v).zustand_art == "vorfall" and instanz(v).vorfall_element == "warten"
    w = neuer_vorgang(amt, verfahren_key="timer_kaputt")
    termin = (uhr.jetzt + timedelta(days=3)).date()
    erledige(sabine, w, "eingabe", termin=termin.isoformat())
    assert instanz(w).next_timer_due is not None
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=1))) == 0
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=3))) == 1
    db.session.refresh(w)
    assert w.status == "Angenommen" and instanz(w).zustand_art == "beendet"


def test_timervorfall_nach_korrektur_wiederholen(uhr, amt, sabine):
    """A timer incident is retried on a fixed version: the timer waits again with a computable due date."""
    deploy("timer_kaputt.bpmn")
    v = neuer_vorgang(amt, verfahren_key="timer_kaputt")
    erledige(sabine, v, "eingabe", termin="")
    assert instanz(v).zustand_art == "vorfall"
    deploy("timer_repariert.bpmn")
    runner.wiederholen(instanz(v), sabine)
    i = instanz(v)
    assert i.zustand_art == "aktiv" and i.modell_version.version == 2
    assert i.next_timer_due - uhr.jetzt == timedelta(days=1)
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=2))) == 1
    db.session.refresh(v)
    assert v.status == "Angenommen" and instanz(v).zustand_art == "beendet"


def test_vorgang_mit_vorfall_zeigt_banner_auf_der_detailseite(app, client, amt, sabine):
    """A caseworker sees that the procedure is stuck, with the step and the error, instead of silent tasks."""
    deploy("rechnen_v1.bpmn")
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)
    client.post("/anmelden", data={"login": sabine.login, "password": "richtig-langes-passwort"})
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Das Verfahren dieses Vorgangs ist gestört" in seite
    assert "teilen" in seite and "ZeroDivisionError" in seite
