"""The stored state is exactly what SpiffWorkflow's own serializer writes (minus the spec), and it loads back:
for the shipped procedures, the reference model and a model with an embedded subprocess, at the start and after
completed tasks.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from app.engine.dmn import dmn_uebersetzen
from app.engine.formular import felder_aus_spec
from app.engine.serialisierung import zustand_laden, zustand_speichern
from app.engine.skripte import Kontext, script_engine
from app.extensions import db
from tests.factories import vorgang

ROOT = Path(__file__).resolve().parents[2]

MIT_UNTERPROZESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="mit_unterprozess" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vorher"/>
    <bpmn:scriptTask id="vorher"><bpmn:script>betrag = 10
stichtag = heute()</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="vorher" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub_start"/>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="pruefen"/>
      <bpmn:userTask id="pruefen" name="Prüfen"/>
      <bpmn:sequenceFlow id="s2" sourceRef="pruefen" targetRef="rechnen"/>
      <bpmn:scriptTask id="rechnen"><bpmn:script>betrag = betrag * 2</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="s3" sourceRef="rechnen" targetRef="sub_ende"/>
      <bpmn:endEvent id="sub_ende"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f3" sourceRef="sub" targetRef="abschluss"/>
    <bpmn:userTask id="abschluss" name="Abschluss"/>
    <bpmn:sequenceFlow id="f4" sourceRef="abschluss" targetRef="ende"/>
    <bpmn:endEvent id="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _modelle():
    """(parser, process key, form data for user tasks) of every model checked."""
    for pfad in sorted((ROOT / "processes").glob("*.bpmn")):
        parser = CamundaParser()
        parser.add_bpmn_file(str(pfad))
        for tabelle in (ROOT / "processes").glob("*.dmn"):  # the business rule tasks' tables, FEEL translated
            parser.add_dmn_xml(dmn_uebersetzen(etree.parse(str(tabelle)).getroot())[0], filename=str(tabelle))
        for key in parser.get_process_ids():
            yield pytest.param(parser, key, {}, id=key)
    parser = CamundaParser()
    parser.add_bpmn_file(str(ROOT / "bench" / "reference-20-tasks.bpmn"))
    daten = {"wiedervorlage": "2999-01-01T00:00:00+00:00", "bemerkung": "ok"}
    yield pytest.param(parser, "bench", daten, id="reference-20-tasks")
    parser = CamundaParser()
    parser.add_bpmn_str(MIT_UNTERPROZESS.encode())
    yield pytest.param(parser, "mit_unterprozess", {}, id="mit_unterprozess")


def _beispieldaten(task_spec) -> dict:
    """A valid value for every form field of a user task (first enum option, dates as `date`)."""
    beispiel = {"string": "x" * 5, "long": 1, "boolean": False, "date": date(2026, 11, 28)}
    return {f.id: f.werte[0][0] if f.typ == "enum" else beispiel[f.typ] for f in felder_aus_spec(task_spec)}


def _spiffworkflow_zustand(workflow) -> dict:
    """SpiffWorkflow's own dump of the workflow, without the spec parts."""
    registry = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    dct = json.loads(BpmnWorkflowSerializer(registry).serialize_json(workflow))
    del dct["spec"], dct["subprocess_specs"]
    return dct


@pytest.mark.parametrize(("parser", "key", "daten"), list(_modelle()))
def test_state_equals_spiffworkflows_own_dump_and_loads_back(amt, parser, key, daten):
    """At the start and after each of up to three completed user tasks: same dict, and load + save is stable."""
    spec, subs = parser.get_spec(key), parser.get_subprocess_specs(key)
    antrag = vorgang(amt, formular_id=key)
    db.session.flush()
    workflow = BpmnWorkflow(spec, subs, script_engine=script_engine(Kontext(antrag, None)))
    workflow.do_engine_steps()
    for _ in range(4):
        zustand = zustand_speichern(workflow)
        assert json.loads(zustand) == _spiffworkflow_zustand(workflow)
        geladen = zustand_laden(zustand, spec, subs)
        assert zustand_speichern(geladen) == zustand
        offen = [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask)]
        if not offen:
            break
        offen[0].set_data(**{**_beispieldaten(offen[0].task_spec), **daten})
        offen[0].run()
        workflow.do_engine_steps()
