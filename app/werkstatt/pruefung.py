"""Checking a draft while it is drawn, and the forms of its user tasks as the caseworker will see them.

The check is the engine's own (`registry.modell_parsen`: schema, Camunda dialect, expressions, SpiffWorkflow's
structural parse), the same one `processes deploy` runs, so what passes here deploys.
"""

from dataclasses import dataclass

from SpiffWorkflow.camunda.specs.user_task import UserTask

from app.engine.formular import Formularfeld, felder_aus_spec
from app.engine.registry import modell_parsen
from app.engine.validierung import ModellUngueltig


@dataclass
class AufgabenFormular:
    """The form of one user task of a draft."""

    element: str
    titel: str
    felder: list[Formularfeld]


def pruefen(xml: bytes) -> list[dict]:
    """All errors of a BPMN document as `{element, zeile, meldung}` (German); empty when it would deploy."""
    try:
        modell_parsen(xml, "entwurf.bpmn")
    except ModellUngueltig as error:
        return [{"element": f.element, "zeile": f.zeile, "meldung": f.meldung} for f in error.fehler]
    return []


def formulare(xml: bytes) -> list[AufgabenFormular]:
    """The user tasks of a valid draft with their form fields, in document order. Raises ModellUngueltig."""
    _key, _name, spec, subprocess_specs = modell_parsen(xml, "entwurf.bpmn")
    specs = [spec, *subprocess_specs.values()]
    aufgaben = [t for s in specs for t in s.task_specs.values() if isinstance(t, UserTask)]
    return [AufgabenFormular(t.name, t.bpmn_name or t.name, felder_aus_spec(t)) for t in aufgaben]
