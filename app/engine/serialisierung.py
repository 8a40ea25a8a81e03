"""Serializing workflows with SpiffWorkflow's serializer (Camunda configuration): the spec once per version,
the state per instance.

The only change to the library's converters: the workflow's `spec` and `subprocess_specs` are left out of the
state and, when loading, the spec objects already restored for the version (`app.engine.registry`) are used.
Specs are not changed by running workflows, so one spec object serves all instances of a version.
"""

import json
from datetime import date, datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter, SubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG

from app.engine.aufruf import Aufrufaktivitaet
from app.engine.dienstaufgabe import Dienstaufgabe


class ZustandConverter(BpmnWorkflowConverter):
    """The library's workflow converter without the spec in the state; loading takes the restored spec objects."""

    def to_dict(self, workflow):
        """Tasks, data, subprocesses and events (as `BpmnWorkflowConverter` writes them), no spec."""
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        """Restore a workflow whose `spec` and `subprocess_specs` are spec objects."""
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry(workflow_converter=BpmnWorkflowConverter):
    """The Camunda configuration (with `workflow_converter`) and `date` support for task data."""
    config = {
        **CAMUNDA_CONFIG,
        BpmnWorkflow: workflow_converter,
        Dienstaufgabe: BpmnTaskSpecConverter,
        Aufrufaktivitaet: SubWorkflowConverter,
    }
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


#: For specs (deploy, diff, migration).
REGISTRY = _registry()
#: For instance state.
_ZUSTAND = BpmnWorkflowSerializer(_registry(ZustandConverter))


def spec_als_dict(spec, subprocess_specs: dict) -> dict:
    """The JSON-ready form of a process spec and its subprocess specs (stored once per version)."""
    return {
        "spec": REGISTRY.convert(spec),
        "subprocess_specs": {name: REGISTRY.convert(s) for name, s in subprocess_specs.items()},
    }


def spec_aus_dict(dct: dict):
    """Restore `(spec, subprocess_specs)` from `spec_als_dict` output."""
    spec = REGISTRY.restore(dct["spec"])
    subs = {name: REGISTRY.restore(s) for name, s in dct.get("subprocess_specs", {}).items()}
    return spec, subs


def zustand_speichern(workflow: BpmnWorkflow) -> str:
    """The per-instance state of a workflow as compact JSON text (no spec)."""
    dct = _ZUSTAND.to_dict(workflow)
    dct[_ZUSTAND.VERSION_KEY] = _ZUSTAND.VERSION
    return json.dumps(dct, cls=_ZUSTAND._encoder_cls, separators=(",", ":"))


def zustand_laden(zustand: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild a workflow from its stored state and the (cached) spec objects of its version."""
    dct = json.loads(zustand)
    _ZUSTAND.migrate(dct)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    return _ZUSTAND.from_dict(dct)


def ist_speicherbar(wert) -> bool:
    """True when a task-data value survives the round trip through the state JSON (`Decimal`, for one, does not)."""
    if wert is None or isinstance(wert, (str, bool, int, float, datetime, date, timedelta)):
        return True
    if isinstance(wert, (list, tuple)):
        return all(ist_speicherbar(v) for v in wert)
    if isinstance(wert, dict):
        return all(isinstance(k, str) and ist_speicherbar(v) for k, v in wert.items())
    return False
