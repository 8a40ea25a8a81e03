"""Timers in test runs and dry runs: fired by the test case or by time passing, on the run's own clock."""

import json
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.timers import faellige_timer_ausfuehren
from app.extensions import db
from app.timeutil import utcnow
from app.werkstatt import probelauf
from app.werkstatt.testfaelle import inhalt_aus_json
from tests.conftest import UHR_START
from tests.engine.conftest import erledige, neuer_vorgang

ALLGEMEIN = (ROOT / "processes" / "allgemeines_verfahren.bpmn").read_bytes()
ANNEHMEN = {"element": "antrag_pruefen", "daten": {"entscheidung": "annehmen"}}
ERINNERT = ["frist_bearbeitung", "erinnern", "erinnert"]


def test_time_passing_fires_the_timer_exactly_at_its_due_time(app, uhr, verfahren):
    """13 days later the 14-day timer still waits; one day more and it fires (non-interrupting: the task stays)."""
    frueh = probelauf.ausfuehren(ALLGEMEIN, {}, [ANNEHMEN, {"zeit": "P13D"}])
    assert frueh.timer == [] and frueh.pfad[-1] == "angenommen"
    assert frueh.wartende_timer == [
        {"element": "frist_bearbeitung", "faellig": (UHR_START + timedelta(14)).isoformat()}
    ]
    ergebnis = probelauf.ausfuehren(ALLGEMEIN, {}, [ANNEHMEN, {"zeit": "P13D"}, {"zeit": "P1D"}])
    assert ergebnis.pfad[-3:] == ERINNERT and [o.element for o in ergebnis.offen] == ["bearbeiten"]
    assert ergebnis.timer == [
        {
            "element": "frist_bearbeitung",
            "schritt": 3,
            "zeit": (UHR_START + timedelta(days=14)).isoformat(),
            "nach": 14 * 86400,
            "angefordert": False,
            "verspaetung": 0,
            "vorzeitig": 0,
        }
    ]
    assert "Historie-Notiz: Die Bearbeitungsfrist von 14 Tagen ist abgelaufen." in ergebnis.protokoll


def test_test_case_fires_a_named_timer_and_scripts_see_the_runs_clock(app, uhr, verfahren):
    """`{"timer": id}` moves the clock to the timer's due time; a timer that does not wait is an error of the step."""
    ergebnis = probelauf.ausfuehren(ALLGEMEIN, {}, [ANNEHMEN, {"timer": "frist_bearbeitung"}])
    assert ergebnis.pfad[-3:] == ERINNERT and ergebnis.fehler is None
    assert ergebnis.timer[0]["angefordert"] and ergebnis.timer[0]["verspaetung"] == 14 * 86400
    zu_frueh = probelauf.ausfuehren(ALLGEMEIN, {}, [{"timer": "frist_bearbeitung"}])
    assert zu_frueh.fehler["meldung"] == "Schritt 1: Der Timer „frist_bearbeitung“ wartet nicht."
    kaputt = probelauf.ausfuehren(ALLGEMEIN, {}, [ANNEHMEN, {"zeit": "14 Tage"}])
    assert kaputt.fehler["meldung"] == "Schritt 2: „14 Tage“ ist keine ISO-8601-Dauer (z. B. P14D oder PT2H)."


def test_saved_test_case_with_a_timer_passes_and_imports(app, uhr, verfahren):
    """A test case with timer and time steps is accepted by the import and passes against the same model."""
    schritte = [ANNEHMEN, {"zeit": "P2D"}, {"timer": "frist_bearbeitung"}]
    ergebnis = probelauf.ausfuehren(ALLGEMEIN, {}, schritte)
    inhalt = {"startdaten": {}, "schritte": schritte, "erwartet": {"pfad": ergebnis.pfad, "beendet": False}}
    assert probelauf.testfall_pruefen(ALLGEMEIN, inhalt) == []
    name, gelesen = inhalt_aus_json(
        "allgemeines_verfahren", b'{"name": "Frist", "schritte": [{"timer": "frist_bearbeitung"}, {"zeit": "P1D"}]}'
    )
    assert name == "Frist" and gelesen["schritte"][0] == {"timer": "frist_bearbeitung"}
    spaeter = ALLGEMEIN.replace(b"'P14D'", b"'P21D'")
    anders = probelauf.testfall_pruefen(spaeter, {**inhalt, "schritte": [ANNEHMEN, {"zeit": "P14D"}]})
    assert anders == ["Pfad endet nach Element 4: „frist_bearbeitung“ wird nicht erreicht."]


def _mit_frist_abgeschlossen(amt):
    """A finished Vorgang of the general procedure whose 14-day timer fired on day 15 (scheduler tick)."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    vorgang = neuer_vorgang(amt)
    erledige(sabine, vorgang, "antrag_pruefen", entscheidung="annehmen")
    uhr_jetzt = utcnow()
    with time_machine.travel(uhr_jetzt + timedelta(days=15), tick=False):
        assert faellige_timer_ausfuehren(utcnow()) == 1
    with time_machine.travel(uhr_jetzt + timedelta(days=16), tick=False):
        erledige(sabine, vorgang, "bearbeiten", ergebnis="stattgeben")
        erledige(sabine, vorgang, "bescheiden", bescheid_datum="2026-12-15", bescheid_text="Stattgegeben")
        erledige(sabine, vorgang, "abschliessen", zugestellt="true")
    return vorgang


def test_dry_run_reports_a_timer_that_would_fire_earlier_or_later(app, uhr, client, dora, amt, verfahren):
    """Recorded: the timer fired on day 15. A 7-day draft fires earlier, a 21-day draft later; unchanged: same."""
    vorgang = _mit_frist_abgeschlossen(amt)
    xml = ALLGEMEIN.decode()
    gleich = _trockenlauf(client, xml)
    assert "1 Vorgänge geprüft, 0 mit Abweichungen." in gleich, gleich
    frueher = _trockenlauf(client, xml.replace("'P14D'", "'P7D'"))
    assert (
        "Timer „frist_bearbeitung“ würde früher auslösen: 7 Tage 0 Std. vor dem aufgezeichneten Zeitpunkt (Schritt 2)."
        in frueher
    )
    spaeter = _trockenlauf(client, xml.replace("'P14D'", "'P21D'"))
    assert (
        "Timer „frist_bearbeitung“ würde später auslösen: 7 Tage 0 Std. nach dem aufgezeichneten Zeitpunkt" in spaeter
    )
    assert vorgang.nummer in spaeter


def _trockenlauf(client, xml: str) -> str:
    client.post("/werkstatt/verfahren/allgemeines_verfahren/entwurf", json={"xml": xml})
    antwort = client.get("/werkstatt/verfahren/allgemeines_verfahren/trockenlauf")
    assert antwort.status_code == 200
    return antwort.get_data(as_text=True)


def test_dry_run_reports_a_timer_the_recorded_case_never_saw(app, uhr, client, dora, amt, verfahren):
    """Recorded: finished after 3 days, no timer. A 2-day timer in the draft would have fired before step 2."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    vorgang = neuer_vorgang(amt)
    erledige(sabine, vorgang, "antrag_pruefen", entscheidung="annehmen")
    uhr.vorstellen(timedelta(days=3))
    erledige(sabine, vorgang, "bearbeiten", ergebnis="stattgeben")
    erledige(sabine, vorgang, "bescheiden", bescheid_datum="2026-12-03", bescheid_text="Stattgegeben")
    erledige(sabine, vorgang, "abschliessen", zugestellt="true")
    xml = ALLGEMEIN.decode()
    assert "1 Vorgänge geprüft, 0 mit Abweichungen." in _trockenlauf(client, xml)
    text = _trockenlauf(client, xml.replace("'P14D'", "'P2D'"))
    assert (
        "Timer „frist_bearbeitung“ würde auslösen, was im Vorgang nicht geschah: 2 Tage 0 Std. nach dem Start, "
        "vor Schritt 2." in text
    )


def test_test_run_page_fires_a_timer_and_moves_the_clock(app, uhr, client, dora, verfahren):
    """The panel lists the waiting timer with a button; firing it and a bad duration are handled as steps."""
    client.post("/werkstatt/verfahren/allgemeines_verfahren/entwurf", json={"xml": ALLGEMEIN.decode()})
    basis = {"_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])}
    seite = client.post("/werkstatt/verfahren/allgemeines_verfahren/probelauf", data={**basis, "_aktion": "zeit"})
    assert "keine ISO-8601-Dauer" in seite.get_data(as_text=True)  # an empty duration is refused, the run stays
    seite = client.post(
        "/werkstatt/verfahren/allgemeines_verfahren/probelauf", data={**basis, "_aktion": "zeit", "_zeit": "P1D"}
    ).get_data(as_text=True)
    assert "Timer „frist_bearbeitung“ auslösen" in seite
    gefeuert = client.post(
        "/werkstatt/verfahren/allgemeines_verfahren/probelauf",
        data={**basis, "_aktion": "timer", "_element": "frist_bearbeitung"},
    ).get_data(as_text=True)
    assert "<code>erinnern</code>" in gefeuert and "Timer „frist_bearbeitung“ ausgelöst" in gefeuert
    assert "&#34;timer&#34;: &#34;frist_bearbeitung&#34;" in gefeuert or '"timer": "frist_bearbeitung"' in gefeuert


ZWISCHEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">'
    b'<bpmn:process id="warten" isExecutable="true"><bpmn:startEvent id="start"/>'
    b'<bpmn:intermediateCatchEvent id="drei_tage"><bpmn:timerEventDefinition>'
    b"<bpmn:timeDuration>'P3D'</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    b'<bpmn:userTask id="pruefen" camunda:candidateGroups="sachbearbeitung"/>'
    b'<bpmn:boundaryEvent id="abbruch" attachedToRef="pruefen"><bpmn:timerEventDefinition>'
    b"<bpmn:timeDuration>'PT12H'</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    b'<bpmn:endEvent id="ende"/><bpmn:endEvent id="abgebrochen"/>'
    b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="drei_tage"/>'
    b'<bpmn:sequenceFlow id="f2" sourceRef="drei_tage" targetRef="pruefen"/>'
    b'<bpmn:sequenceFlow id="f3" sourceRef="pruefen" targetRef="ende"/>'
    b'<bpmn:sequenceFlow id="f4" sourceRef="abbruch" targetRef="abgebrochen"/>'
    b"</bpmn:process></bpmn:definitions>"
)


def test_intermediate_timer_and_interrupting_boundary_timer(app, uhr):
    """An intermediate timer waits until the clock passes 3 days; an interrupting 12-hour timer then cancels the
    task when half a day more passes, both fired in one step in order."""
    wartet = probelauf.ausfuehren(ZWISCHEN, {}, [])
    assert wartet.offen == [] and [t["element"] for t in wartet.wartende_timer] == ["drei_tage"]
    offen = probelauf.ausfuehren(ZWISCHEN, {}, [{"zeit": "P3D"}])
    assert [o.element for o in offen.offen] == ["pruefen"]
    abgebrochen = probelauf.ausfuehren(ZWISCHEN, {}, [{"zeit": "P3DT12H"}])
    assert [t["element"] for t in abgebrochen.timer] == ["drei_tage", "abbruch"]
    assert abgebrochen.beendet and abgebrochen.pfad[-2:] == ["abbruch", "abgebrochen"]
    zu_spaet = probelauf.ausfuehren(ZWISCHEN, {}, [{"zeit": "P3DT12H"}, {"element": "pruefen", "daten": {}}])
    assert zu_spaet.fehler["meldung"] == "Schritt 2: Die Aufgabe „pruefen“ ist nicht offen."
