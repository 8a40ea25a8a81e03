"""Conformance: execution listeners (start, end, take), task listeners (create, complete) as Python scripts or
registered services, and `camunda:inputOutput` (text, `${…}`, list, map, Python) with local inputs."""

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.models import BEENDET
from app.engine.registry import modell_parsen
from app.engine.speicher import laden
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.wiedervorlagen.models import Wiedervorlage
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang


def _daten(vorgang, element: str) -> dict:
    """The data of the open task `element`."""
    lauf = laden(instanz(vorgang), vorgang, None)
    [task] = [t for t in lauf.workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == element]
    return task.data


def test_listener_und_ein_ausgaben_laufen(amt, sabine, modell):
    """Inputs are there while the task is open, gone after it; outputs and listener results stay."""
    v = neuer_vorgang(amt, verfahren_key=modell("listener.bpmn"))
    daten = _daten(v, "pruefen")
    assert daten["anrede"] == "Frau Weber" and daten["stufen"] == ["a", "b"] and daten["karte"] == {"k": "Weber"}
    assert daten["summe"] == 3 and daten["genommen"] is True
    [wv] = db.session.scalars(select(Wiedervorlage).filter_by(vorgang_id=v.id)).all()
    assert wv.betreff == "Aus dem Listener"
    erledige(sabine, v, "pruefen")
    daten = _daten(v, "ansehen")
    assert daten["ergebnis"] == "Frau Weber" and daten["geprueft"] is True and daten["gesehen"] == "Angenommen"
    assert not {"anrede", "summe", "stufen", "karte", "zielstatus"} & set(daten)
    assert v.status == "Angenommen"  # set by the start listener of the script task (a registered service)
    assert "Ende Frau Weber 3" in instanz(v).protokoll
    erledige(sabine, v, "ansehen")
    assert instanz(v).zustand_art == BEENDET


@pytest.mark.parametrize(
    ("ersetzen", "teil"),
    [
        ('<camunda:script scriptFormat="python">geprueft = True', '<camunda:script scriptFormat="javascript">x'),
        ('event="complete"', 'event="assignment"'),
        ('class="amtsfluss.wiedervorlage"', 'class="de.amt.Wiedervorlage"'),
        ('<camunda:script scriptFormat="python">1 + 2', '<camunda:script scriptFormat="groovy">1 + 2'),
        ('name="ergebnis"', 'name="2x"'),
        ("Frau ${name}", "Frau ${name.upper()}"),
    ],
)
def test_nicht_unterstuetztes_wird_mit_element_und_zeile_abgelehnt(app, ersetzen, teil):
    """Each unsupported variant is a German deploy error at the user task `pruefen` with a line number."""
    xml = (MODELLE / "listener.bpmn").read_text(encoding="utf-8").replace(ersetzen, teil)
    with pytest.raises(ModellUngueltig) as info:
        modell_parsen(xml.encode(), "listener.bpmn")
    [fehler] = info.value.fehler
    assert fehler.element == "pruefen" and fehler.zeile and fehler.zeile > 18, fehler


def test_listener_an_skriptaufgabe_und_prozess_abgelehnt(app):
    """Task listeners belong to user tasks; listeners on the process itself are not run."""
    xml = (MODELLE / "listener.bpmn").read_text(encoding="utf-8")
    anfang = xml.index('<camunda:executionListener event="start" delegateExpression')
    ende = xml.index("</camunda:executionListener>", anfang)
    teil = xml[anfang:ende].replace("camunda:executionListener", "camunda:taskListener").replace("start", "create")
    xml = xml[:anfang] + teil + "</camunda:taskListener>" + xml[ende + len("</camunda:executionListener>") :]
    with pytest.raises(ModellUngueltig) as info:
        modell_parsen(xml.encode(), "listener.bpmn")
    assert [f.element for f in info.value.fehler] == ["annehmen"]
    assert "Benutzeraufgaben" in info.value.fehler[0].meldung


def test_listener_am_prozess_abgelehnt(app):
    """A listener on the process element itself would never run: a deploy error naming the process."""
    xml = (MODELLE / "listener.bpmn").read_text(encoding="utf-8")
    prozess = '<camunda:executionListener event="start"><camunda:script scriptFormat="python">x = 1</camunda:script>'
    xml = xml.replace(
        'isExecutable="true">',
        f'isExecutable="true"><bpmn:extensionElements>{prozess}</camunda:executionListener></bpmn:extensionElements>',
    )
    with pytest.raises(ModellUngueltig) as info:
        modell_parsen(xml.encode(), "listener.bpmn")
    [fehler] = info.value.fehler
    assert fehler.element == "k_listener" and "am Prozess" in fehler.meldung
