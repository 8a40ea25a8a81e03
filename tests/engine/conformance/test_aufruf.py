"""Conformance: call activities to a process of the same file and to another deployed model (pinned version),
in a file with a collaboration of two pools; data flows into and out of the called process."""

import pytest
from SpiffWorkflow.util.task import TaskState

from app.engine.models import BEENDET
from app.engine.registry import deploy_xml
from app.engine.speicher import laden
from app.engine.validierung import ModellUngueltig
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def test_aufruf_in_derselben_datei_und_eines_anderen_modells(amt, sabine, modell):
    """k_aufruf calls k_unter (same file), then k_subprozess version 1 (deployed before); all run to the end."""
    modell("subprozess.bpmn")
    v = neuer_vorgang(amt, verfahren_key=modell("aufruf.bpmn"))
    assert instanz(v).modell_version.key == "k_aufruf"
    erledige(sabine, v, "unter_aufgabe", notiz="aus dem Unterverfahren")
    assert offene_ids(v) == ["innen"]
    erledige(sabine, v, "innen", ok="true")
    erledige(sabine, v, "danach")
    assert offene_ids(v) == ["pruefen"]
    erledige(sabine, v, "pruefen")
    assert instanz(v).zustand_art == BEENDET


def test_fehlendes_aufrufziel_ist_ein_klarer_fehler(app):
    """Without the called model deployed: a German error at the call activity, with its line."""
    with pytest.raises(ModellUngueltig) as info:
        deploy_xml((MODELLE / "aufruf.bpmn").read_bytes(), "aufruf.bpmn")
    [fehler] = info.value.fehler
    assert fehler.element == "extern" and fehler.zeile == 15 and "k_subprozess" in fehler.meldung


def _daten(vorgang, element: str) -> dict:
    """The data of the open task `element` (also inside a called process)."""
    lauf = laden(instanz(vorgang), vorgang, None)
    [task] = [t for t in lauf.workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == element]
    return task.data


def test_camunda_in_und_out_einzelner_variablen(amt, sabine, modell):
    """Only mapped variables go in (source, sourceExpression; businessKey changes nothing) and come back on top
    of the caller's data; `variables="all"` passes everything, an out rule only its variable."""
    v = neuer_vorgang(amt, verfahren_key=modell("aufruf_abbildung.bpmn"))
    innen = _daten(v, "unter_pruefen")
    assert innen["antragsteller"] == "Eva" and innen["doppelt"] == 200
    assert "geheim" not in innen and "name" not in innen and innen["ergebnis"] == "Eva: 200"
    erledige(sabine, v, "unter_pruefen")
    aussen = _daten(v, "danach")
    assert aussen["bescheid_text"] == "Eva: 200" and aussen["punkte_plus"] == 42 and aussen["geheim"] == "nur hier"
    assert "intern" not in aussen and "antragsteller" not in aussen and "ergebnis" not in aussen
    assert aussen["zaehler"] == 3 + 42 and aussen["name"] == "Eva"  # `name` changed inside, not mapped out
    erledige(sabine, v, "danach")
    assert instanz(v).zustand_art == BEENDET


def test_ungueltige_abbildung_wird_abgelehnt(app):
    """A rule without target, and an expression that is no valid JUEL/Python, are deploy errors with line."""
    xml = (MODELLE / "aufruf_abbildung.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('target="antragsteller"', "").replace("${punkte + 1}", "${punkte +}")
    with pytest.raises(ModellUngueltig) as info:
        deploy_xml(xml.encode(), "kaputt.bpmn")
    meldungen = {(f.element, f.zeile): f.meldung for f in info.value.fehler}
    assert "camunda:in" in meldungen[("aufruf", 15)] and "target" in meldungen[("aufruf", 15)]
    assert "camunda:out" in meldungen[("aufruf", 18)]
