"""Incidents of a procedure: mark and clear them, find the steps that got stuck, make them run again."""

import logging

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

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
