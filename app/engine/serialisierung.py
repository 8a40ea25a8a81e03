"""Serializing workflows: the model (spec) once per version, the state per instance.

SpiffWorkflow's serializer writes the whole spec into every workflow dump and restores it on every load, which
costs most of the load time. Our converter for `BpmnWorkflow` leaves `spec` and `subprocess_specs` out of the
state and, when loading, takes the already restored spec objects of the version (cached in-process by
`app.engine.registry`). Specs are not changed by running workflows, so one spec object serves all instances.
"""

import json
from datetime import date, datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG


class ZustandConverter(BpmnWorkflowConverter):
    """Workflow converter that keeps the spec out of the state and accepts restored spec objects."""

    def to_dict(self, workflow):
        """The per-instance state: tasks, data, subprocesses, events — no spec."""
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        """Restore a workflow; `spec`/`subprocess_specs` may be spec objects (cached) or their dicts."""
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):
            spec = self.registry.restore(spec)
        if any(isinstance(s, dict) for s in subprocess_specs.values()):
            subprocess_specs = self.mapping_from_dict(subprocess_specs)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    """The Camunda configuration with our workflow converter and `date` support for task data."""
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = ZustandConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


#: For specs (deploy, diff): converts deeply into plain dicts.
SERIALIZER = BpmnWorkflowSerializer(_registry())
REGISTRY = SERIALIZER.registry
#: For instance state: permanently in encoder mode (values are converted by the JSON encoder while dumping,
#: which is how SpiffWorkflow's own serialize_json works). A separate registry, so the mode flag is never
#: flipped while another thread uses it.
_ZUSTAND = BpmnWorkflowSerializer(_registry())
_ZUSTAND.registry._encoder_mode = True


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
    dct = _ZUSTAND.registry.convert(workflow)
    dct[_ZUSTAND.VERSION_KEY] = VERSION
    return json.dumps(dct, cls=_ZUSTAND._encoder_cls, separators=(",", ":"))


def zustand_laden(zustand: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild a workflow from its stored state and the (cached) spec objects of its version."""
    dct = json.loads(zustand)
    _ZUSTAND.migrate(dct)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    return _ZUSTAND.from_dict(dct)


def ist_speicherbar(wert) -> bool:
    """True when a task-data value survives the round trip through the state JSON."""
    if wert is None or isinstance(wert, (str, bool, int, float, datetime, date, timedelta)):
        return True
    if isinstance(wert, (list, tuple)):
        return all(ist_speicherbar(v) for v in wert)
    if isinstance(wert, dict):
        return all(isinstance(k, str) and ist_speicherbar(v) for k, v in wert.items())
    return False


def json_groesse(zustand: str) -> int:
    """Size in bytes of a stored state."""
    return len(zustand.encode())
