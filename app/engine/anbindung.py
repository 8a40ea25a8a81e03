"""Behaviour the model asks for beyond SpiffWorkflow 3.2, bound to the task specs' public events.

Once per restored version (`registry.GeladenesModell`), every task spec whose extensions ask for it gets a handler
on SpiffWorkflow's task-spec events (`update_event`, `completed_event`): listeners and input/output mappings
(`app.engine.listener`), and an interrupting start of an event subprocess cancels the rest of its parent scope.
Specs are shared by all instances of a version; the handlers act only on the task and workflow they are called
with.
"""

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from app.engine import listener


def anbinden(spec, subprocess_specs: dict) -> None:
    """Connect the handlers of one version's process spec and subprocess specs (call once per spec object)."""
    for prozess in [spec, *subprocess_specs.values()]:
        _ausloeser_verbinden(prozess)
        timer_unterprozesse = set()
        for task_spec in prozess.task_specs.values():
            ext = getattr(task_spec, "extensions", None) or {}
            listener.anbinden(task_spec)
            if ext.get("unterbrechend"):
                task_spec.completed_event.connect(_bereich_abbrechen)
            if ext.get("ereignis_unterprozess") and _mit_timerstart(subprocess_specs.get(task_spec.spec)):
                timer_unterprozesse.add(task_spec.name)
        if timer_unterprozesse:
            for task_spec in prozess.task_specs.values():
                if isinstance(task_spec, EndEvent):
                    task_spec.completed_event.connect(_timer_unterprozesse_beenden, frozenset(timer_unterprozesse))


def _ausloeser_verbinden(prozess) -> None:
    """Give message/signal/error-started event subprocesses their place in the spec once, at load time.

    SpiffWorkflow's `BpmnStartTask.trigger_wf` connects the start task to the event subprocess the first time one
    fires — on the spec, which all instances of a version share, so every later instance would start that event
    subprocess as a branch of its main flow. Linking only the event subprocess's own inputs and outputs makes
    `trigger_wf` skip that step and leaves the start task's outputs (what new instances run) as drawn.
    """
    start = getattr(prozess, "start", None)
    for name in getattr(start, "trigger_specs", None) or []:
        es_spec = prozess.task_specs[name]
        if start not in es_spec.inputs:
            es_spec.inputs = [*es_spec.inputs, start]
            es_spec.connect(prozess.end)


def _mit_timerstart(sp_spec) -> bool:
    """True for an event subprocess spec started by a timer (SpiffWorkflow starts those with the scope)."""
    starts = getattr(sp_spec, "bpmn_start_events", None) or []
    return any(isinstance(s.event_definition, TimerEventDefinition) for s in starts)


def _timer_unterprozesse_beenden(workflow, task, namen: frozenset) -> None:
    """An end event of a scope completed: cancel its event subprocesses whose timer start has not fired yet.

    SpiffWorkflow 3.2 runs a timer-started event subprocess as a branch of its scope, so the scope would wait for
    the timer although its flow has ended. In BPMN the scope ends and takes the unfired start with it.
    """
    offen = [
        t
        for t in workflow.tasks.values()
        if t.has_state(TaskState.DEFINITE_MASK) and t.task_spec.name not in ("End", workflow.spec.end.name)
    ]
    wartend = [t for t in offen if t.task_spec.name in namen and not _gestartet(workflow, t)]
    if len(wartend) == len(offen):
        for t in wartend:
            t.cancel()


def _gestartet(workflow, es_task) -> bool:
    """True when the event subprocess of `es_task` has left its start event (the timer fired)."""
    sub = workflow.top_workflow.subprocesses.get(es_task.id)
    return sub is not None and any(
        t.has_state(TaskState.FINISHED_MASK) and t.task_spec in sub.spec.bpmn_start_events for t in sub.tasks.values()
    )


def _bereich_abbrechen(workflow, task) -> None:
    """An interrupting event subprocess started: cancel every other token of the scope that holds it.

    `workflow` is the event subprocess's own workflow; its parent task sits in the parent scope. Every branch of
    the parent's task tree that does not lead to that task is cancelled (user tasks, waiting events, embedded
    subprocesses, other event subprocesses, and the scope's end join predicted below them). The event subprocess
    task then gets its own successors (the scope's end), which SpiffWorkflow otherwise only predicts for the main
    flow; 3.2 has no public call for that, hence `_sync_children` and `_predict`.
    """
    if workflow.parent_task_id is None:
        return
    ereignis_task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    pfad = []
    knoten = ereignis_task
    while knoten is not None:
        pfad.append(knoten)
        knoten = knoten.parent
    auf_pfad = {t.id for t in pfad}
    for vorfahr in pfad[1:]:
        for kind in list(vorfahr.children):
            if kind.id not in auf_pfad and not kind.has_state(TaskState.CANCELLED):
                kind.cancel()
    ereignis_task._sync_children(ereignis_task.task_spec.outputs, TaskState.FUTURE)
    for kind in ereignis_task.children:
        kind.task_spec._predict(kind, mask=TaskState.NOT_FINISHED_MASK)
