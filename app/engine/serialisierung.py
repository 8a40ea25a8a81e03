"""Serializing workflows: the model (spec) once per version, the state per instance.

SpiffWorkflow's serializer writes the whole spec into every workflow dump and restores it on every load, which
costs most of the load time. Our converter for `BpmnWorkflow` leaves `spec` and `subprocess_specs` out of the
state and, when loading, takes the already restored spec objects of the version (cached in-process by
`app.engine.registry`). Specs are not changed by running workflows, so one spec object serves all instances.

Writing the state is on the path of every start and every completed task, so the task dicts are built directly
(`_tasks_als_dict`): the same dicts SpiffWorkflow 3.2's `TaskConverter` writes (loading uses SpiffWorkflow's own
converters unchanged), but each task id is turned into text once instead of four times (own id, key, parent,
child) and empty values skip the registry. `tests/engine/test_serialisierung.py` checks that the output equals
SpiffWorkflow's.
"""

import json
from datetime import date, datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG


def _workflow_als_dict(converter: WorkflowConverter, workflow) -> dict:
    """What SpiffWorkflow's `WorkflowConverter.to_dict` writes, with the tasks built by `_tasks_als_dict`."""
    registry = converter.registry
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_als_dict(workflow, registry),
        "root": str(workflow.task_tree.id),
    }


def _tasks_als_dict(workflow, registry) -> dict:
    """The tasks of one (sub)workflow as SpiffWorkflow's `TaskConverter` writes them (data as delta to the parent)."""
    tasks = workflow.tasks
    text = {task_id: str(task_id) for task_id in tasks}
    ergebnis = {}
    for task_id, task in tasks.items():
        eltern = tasks.get(task._parent)
        if eltern is None:
            data, delta = task.data, {}
        else:
            vorher, nachher = eltern.data, task.data
            data = {}
            delta = {
                "updates": {k: v for k, v in nachher.items() if k not in vorher or v != vorher[k]},
                "deletions": [k for k in vorher if k not in nachher],
            }
        ergebnis[text[task_id]] = {
            "id": text[task_id],
            "parent": text[task._parent] if eltern is not None else None,
            "children": [text.get(kind) or str(kind) for kind in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": registry.convert(task.internal_data) if task.internal_data else {},
            "data": data,
            "delta": delta,
            "typename": "Task",
        }
    return ergebnis


class SubWorkflowZustandConverter(BpmnSubWorkflowConverter):
    """Subprocess converter writing its tasks like `ZustandConverter`."""

    def to_dict(self, workflow):
        """What `BpmnSubWorkflowConverter.to_dict` writes."""
        dct = _workflow_als_dict(self, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct


class ZustandConverter(BpmnWorkflowConverter):
    """Workflow converter that keeps the spec out of the state and accepts restored spec objects."""

    def to_dict(self, workflow):
        """The per-instance state: tasks, data, subprocesses, events — no spec."""
        dct = _workflow_als_dict(self, workflow)
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
    config[BpmnSubWorkflow] = SubWorkflowZustandConverter
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
