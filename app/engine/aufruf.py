"""Call activities with Camunda 7's variable mapping: `camunda:in` and `camunda:out`.

SpiffWorkflow 3.2 copies all data into the called process and all of its data back. With at least one
`camunda:in` only the mapped variables go in; with at least one `camunda:out` only the mapped ones come back, on
top of the caller's own data (as in Camunda). Without any mapping everything flows, as before. A rule is
`source`+`target`, `sourceExpression`+`target` (Python or JUEL, evaluated on the giving side) or
`variables="all"`; `local` and `businessKey` change nothing here (one Vorgang, no local variables).
"""

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.defaults import CallActivity

#: Attributes of a camunda:in / camunda:out element kept in the spec's extensions.
REGEL_ATTRIBUTE = ("source", "sourceExpression", "target", "variables", "local", "businessKey")


def regeln_lesen(knoten: list) -> list[dict]:
    """The mapping rules of `camunda:in` or `camunda:out` elements, as plain dicts for the spec's extensions."""
    return [{k: e.get(k) for k in REGEL_ATTRIBUTE if e.get(k) is not None} for e in knoten]


def abbilden(regeln: list[dict], task, daten: dict) -> dict:
    """The variables the rules pass from `daten` (the data of `task`, where expressions are evaluated)."""
    ergebnis: dict = {}
    for regel in regeln:
        if regel.get("variables") == "all":
            ergebnis.update(deepcopy(daten))
        elif "sourceExpression" in regel:
            ergebnis[regel["target"]] = task.workflow.script_engine.evaluate(task, regel["sourceExpression"])
        elif "source" in regel and regel["source"] in daten:
            ergebnis[regel["target"]] = deepcopy(daten[regel["source"]])
    return ergebnis


class Aufrufaktivitaet(CallActivity):
    """A call activity that applies `camunda:in`/`camunda:out` rules from its extensions."""

    def copy_data(self, my_task, subworkflow):
        """Mapped variables into the called process's start (all of them without `camunda:in`)."""
        regeln = (self.extensions or {}).get("in")
        if regeln is None:
            return super().copy_data(my_task, subworkflow)
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**abbilden(regeln, my_task, my_task.data))
        return None

    def update_data(self, my_task, subworkflow):
        """Mapped variables back onto the caller's data (all of the called data without `camunda:out`)."""
        regeln = (self.extensions or {}).get("out")
        if regeln is None:
            return super().update_data(my_task, subworkflow)
        ende = subworkflow.last_task
        my_task.data = {**my_task.data, **abbilden(regeln, ende, ende.data)}
        return None
