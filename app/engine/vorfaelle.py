"""Incidents of a procedure: mark and clear them, find the steps that got stuck, make them run again."""

import logging

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.dienstaufgabe import Dienstaufgabe, ist_extern
from app.engine.models import AKTIV, VORFALL, ProzessInstanz
from app.engine.speicher import Lauf
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere

log = logging.getLogger(__name__)


def vorfall_setzen(lauf: Lauf, error: Exception) -> None:
    """Mark the instance as an incident with element id and message, and say so in the Historie."""
    task = getattr(error, "task", None)
    element = task.task_spec.name if task is not None else None
    if element is None:
        fehlerhaft = lauf.workflow.get_tasks(state=TaskState.ERROR) or kaputte_timer(lauf.workflow)
        element = fehlerhaft[0].task_spec.name if fehlerhaft else None
    ursache = getattr(error, "exception", None) or error  # WorkflowTaskException wraps the script's exception
    text = f"{ursache.__class__.__name__}: {ursache}"
    notes = getattr(error, "__notes__", None)
    if notes:
        text += " — " + " ".join(notes)
    instanz = lauf.instanz
    instanz.zustand_art = VORFALL
    instanz.vorfall_element = element
    instanz.vorfall_text = text[:4000]
    instanz.vorfall_seit = utcnow()
    log.warning("Vorfall im Verfahren von Vorgang %s bei %s: %s", lauf.vorgang.nummer, element, text)
    protokolliere(lauf.vorgang, "Vorfall im Verfahren", lauf.benutzer, nachher={"element": element}, notiz=text[:1000])


class Festgefahren(Exception):
    """An active instance with no open task, no waiting event or timer and no external task: it can never go on."""

    def __init__(self, task):
        """`task` is a step where the flow stopped (e.g. a join waiting for a branch that never comes), or None."""
        self.task = task
        wo = f" bei „{task.task_spec.bpmn_name or task.task_spec.name}“" if task is not None else ""
        super().__init__(
            f"Verfahren steckt fest{wo}: keine offene Aufgabe, kein wartendes Ereignis, kein Timer. "
            "Nichts im Verfahren kann es weiterbringen (z. B. ein bedingtes Ereignis, dessen Bedingung sich nie "
            "ändert)."
        )


def festgefahren(wf: BpmnWorkflow, offen: dict) -> Festgefahren | None:
    """The reason an unfinished workflow cannot go on by itself or by anyone's action, or None if it can."""
    if wf.completed or offen or wf.spec.start.trigger_specs:
        return None  # (an event subprocess started by a message or signal can still come)
    wartend = wf.get_tasks(state=TaskState.WAITING)
    for task in wartend:
        if isinstance(task.task_spec, CatchingEvent) and _kann_kommen(task.task_spec.event_definition):
            return None  # a message, signal or timer can still come
    for task in wf.get_tasks(state=TaskState.STARTED):
        if isinstance(task.task_spec, Dienstaufgabe) and ist_extern(task.task_spec.extensions or {}):
            return None  # an external worker will complete it
    return Festgefahren(wartend[0] if wartend else None)


def _kann_kommen(definition) -> bool:
    """True for an event that can arrive from outside (message, signal, timer, …); a condition alone cannot
    become true when nothing else runs that could change the data."""
    teile = getattr(definition, "event_definitions", None) or [definition]
    return any(not isinstance(d, ConditionalEventDefinition) for d in teile)


def vorfall_loeschen(instanz: ProzessInstanz) -> None:
    """The instance runs again: no incident."""
    instanz.zustand_art, instanz.vorfall_element, instanz.vorfall_text, instanz.vorfall_seit = AKTIV, None, None, None


def kaputte_timer(wf: BpmnWorkflow) -> list:
    """Timer tasks whose computed value is not a date or duration (SpiffWorkflow raises without the task)."""
    kaputt = []
    for task in wf.get_tasks(state=TaskState.WAITING | TaskState.READY | TaskState.FUTURE):
        wert = task.internal_data.get("event_value")
        if isinstance(wert, str):
            try:
                TimerEventDefinition.parse_time_or_duration(wert)
            except Exception:  # noqa: BLE001 — exactly what we are looking for
                kaputt.append(task)
    return kaputt


def neu_anstossen(wf: BpmnWorkflow) -> None:
    """Make failed steps run again: ERROR tasks become READY; a timer whose value failed is computed anew.

    A failing timer expression leaves its task FUTURE behind a COMPLETED parent (SpiffWorkflow raised while
    moving it to WAITING); updating such tasks again continues where the error stopped the engine.
    """
    for task in wf.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.READY)
    for task in kaputte_timer(wf):
        task.internal_data.pop("event_value", None)
        task.internal_data.pop("event_fired", None)
    for task in wf.get_tasks(state=TaskState.FUTURE):
        if task.parent is not None and task.parent.state == TaskState.COMPLETED:
            task.task_spec._update(task)
