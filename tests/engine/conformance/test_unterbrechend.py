"""Conformance: an interrupting event subprocess (message, signal, timer, error start) cancels the main flow."""

from datetime import timedelta

from app.engine import runner
from app.engine.ereignisse import signal_senden
from app.engine.models import BEENDET
from app.engine.timers import faellige_timer_ausfuehren
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def test_nachricht_unterbricht_den_hauptfluss(amt, sabine, modell):
    """The user tasks of the main flow disappear; the event subprocess's task comes; then the instance ends."""
    v = neuer_vorgang(amt, verfahren_key=modell("unterbrechend.bpmn"))
    assert offene_ids(v) == ["bearbeiten", "pruefen"]
    assert runner.nachricht(v, "Rücknahme", {})
    db.session.commit()
    assert offene_ids(v) == ["einstellen"]
    erledige(sabine, v, "einstellen")
    assert instanz(v).zustand_art == BEENDET
    assert signal_senden("Stopp") == 0  # the other event subprocesses went with the main flow


def test_signal_unterbricht_und_endet(amt, modell):
    """A signal start runs a script path; nothing of the main flow is left, so the instance ends at once."""
    v = neuer_vorgang(amt, verfahren_key=modell("unterbrechend.bpmn"))
    assert signal_senden("Stopp") == 1
    assert offene_ids(v) == []
    assert instanz(v).zustand_art == BEENDET and instanz(v).next_timer_due is None


def test_timer_unterbricht(uhr, amt, modell):
    """The 30-day timer start fires and ends the procedure; the open tasks are gone."""
    v = neuer_vorgang(amt, verfahren_key=modell("unterbrechend.bpmn"))
    assert instanz(v).next_timer_due is not None
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=31))) == 1
    assert offene_ids(v) == []
    assert instanz(v).zustand_art == BEENDET


def test_fehler_aus_parallelem_zweig_unterbricht(amt, sabine, modell):
    """An error end event in one branch starts the error event subprocess, which cancels the other branch."""
    v = neuer_vorgang(amt, verfahren_key=modell("unterbrechend.bpmn"))
    erledige(sabine, v, "pruefen", vollstaendig="false")
    assert offene_ids(v) == ["nachfordern"]
    erledige(sabine, v, "nachfordern")
    assert instanz(v).zustand_art == BEENDET


def test_ohne_fehler_endet_der_hauptfluss(amt, sabine, modell):
    """Without any event both branches end normally; the waiting event subprocesses go away with them."""
    v = neuer_vorgang(amt, verfahren_key=modell("unterbrechend.bpmn"))
    erledige(sabine, v, "pruefen", vollstaendig="true")
    erledige(sabine, v, "bearbeiten")
    assert instanz(v).zustand_art == BEENDET
