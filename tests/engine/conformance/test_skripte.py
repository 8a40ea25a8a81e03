"""Conformance: Python scripts with `print` into the instance's own log (shown to administrators and designers);
JavaScript/Groovy scripts rejected naming element and line."""

import logging

import pytest

from app.engine.models import BEENDET
from app.engine.registry import modell_parsen
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import neuer_vorgang
from tests.factories import benutzer

JS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="js" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="rechnen" />
    <bpmn:scriptTask id="rechnen" name="Rechnen" scriptFormat="javascript"><bpmn:script>var x = 1;</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="rechnen" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:extensionElements><camunda:executionListener event="end">
      <camunda:script scriptFormat="groovy">println 'x'</camunda:script>
    </camunda:executionListener></bpmn:extensionElements></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_print_landet_im_protokoll_der_instanz(client, auth, amt, modell, caplog):
    """The printed line is stored on the instance, shown to a designer, hidden from caseworkers, not logged."""
    caplog.set_level(logging.DEBUG)
    v = neuer_vorgang(amt, verfahren_key=modell("skripte.bpmn"))
    i = instanz(v)
    assert i.zustand_art == BEENDET
    assert i.protokoll.strip().endswith("Summe: 5")
    assert "Summe: 5" not in caplog.text
    auth.login("sabine")
    assert client.get(f"/vorgang/{v.nummer}/verfahrensprotokoll").status_code == 403
    benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
    db.session.commit()
    auth.logout()
    auth.login("dora")
    seite = client.get(f"/vorgang/{v.nummer}/verfahrensprotokoll")
    assert seite.status_code == 200 and "Summe: 5" in seite.get_data(as_text=True)


def test_javascript_und_groovy_werden_mit_element_und_zeile_abgelehnt():
    """Both the script task and the listener script are reported, each with element and line."""
    with pytest.raises(ModellUngueltig) as info:
        modell_parsen(JS, "js.bpmn")
    fehler = {f.element: f for f in info.value.fehler}
    assert set(fehler) == {"rechnen", "e"}
    assert fehler["rechnen"].zeile == 7 and "javascript" in fehler["rechnen"].meldung
    assert fehler["e"].zeile == 11 and "groovy" in fehler["e"].meldung
