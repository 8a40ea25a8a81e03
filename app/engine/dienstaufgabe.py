"""Service tasks: the task spec that runs a registered Python handler or waits for an external worker.

A `bpmn:serviceTask` names its implementation the Camunda 7 way — `camunda:class`, `camunda:delegateExpression`
(`${name}`), the BPMN `implementation` attribute — or is an external task (`camunda:type="external"` +
`camunda:topic`), which stays STARTED until a worker completes it through the external-task API. Handlers get the
task, the script Kontext (the Vorgang) and the element's `camunda:properties`; what they return lands in the task
data. The built-in handlers live in `app.engine.dienste`.
"""

from collections.abc import Callable

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState

#: Camunda attributes of a service task kept in `task_spec.extensions` (same key names).
DIENST_ATTRIBUTE = ("type", "topic", "class", "delegateExpression", "expression", "resultVariable")
EXTERN = "external"


class DienstFehler(Exception):
    """A service task cannot run (no handler, missing property, failed call); the text is for the designer."""


#: handler(task, kontext, properties) → data for the task (or None); kontext is an `app.engine.skripte.Kontext`
Handler = Callable[[object, object, dict], dict | None]
_HANDLER: dict[str, Handler] = {}


def dienst(name: str):
    """Register a service handler under `name` (decorator); product code and extensions call it at import."""

    def eintragen(funktion: Handler) -> Handler:
        _HANDLER[name] = funktion
        return funktion

    return eintragen


def dienst_name(ext: dict) -> str | None:
    """The handler name a service task asks for: class, delegateExpression without `${}`, or implementation."""
    for schluessel in ("class", "delegateExpression", "implementation"):
        wert = (ext.get(schluessel) or "").strip()
        if wert.startswith(("${", "#{")) and wert.endswith("}"):
            wert = wert[2:-1].strip()
        if wert and not wert.startswith("##"):
            return wert
    return None


def ist_extern(ext: dict) -> bool:
    """True for a Camunda external task."""
    return (ext.get("type") or "").strip() == EXTERN


def handler_fuer(name: str) -> Handler | None:
    """The handler registered under `name` (service tasks and listeners call the same ones)."""
    return _HANDLER.get(name)


def bekannte_dienste() -> list[str]:
    """The names of the registered handlers (for validation messages)."""
    return sorted(_HANDLER)


class Dienstaufgabe(ServiceTask):
    """A service task: run the registered handler, or wait (STARTED) for an external worker."""

    def _execute(self, task):
        """True when the handler ran; None (STARTED, waiting) for an external task."""
        ext = self.extensions or {}
        if ist_extern(ext):
            return None
        name = dienst_name(ext)
        handler = handler_fuer(name or "")
        if handler is None:
            raise DienstFehler(f"Für die Dienstaufgabe ist kein Dienst „{name or ''}“ registriert.")
        engine = task.workflow.script_engine
        parameter = {}
        for schluessel, wert in ext.items():
            # properties are text; listeners and mappings (lists, dicts) are not parameters
            if isinstance(wert, str) and schluessel not in DIENST_ATTRIBUTE and schluessel != "implementation":
                # `${…}` in a property is evaluated against the task data (JUEL subset, see app.engine.juel)
                parameter[schluessel] = engine.evaluate(task, wert) if "${" in wert else wert
        ergebnis = handler(task, engine.environment.kontext, parameter)
        if ergebnis:
            ziel = ext.get("resultVariable")
            task.set_data(**({ziel: ergebnis} if ziel else ergebnis))
        return True


def extern_offen(workflow) -> dict:
    """The STARTED external service tasks of a workflow by id (waiting for a worker)."""
    return {
        str(t.id): t
        for t in workflow.get_tasks(state=TaskState.STARTED)
        if isinstance(t.task_spec, Dienstaufgabe) and ist_extern(t.task_spec.extensions or {})
    }
