"""Diagram data for a Vorgang: the model XML plus where the case stands, for the bpmn-js viewer."""

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.engine import registry
from app.engine.models import VORFALL, ProzessInstanz, ProzessModellVersion
from app.engine.serialisierung import zustand_laden
from app.extensions import db


def _bpmn_id(task) -> str | None:
    """The BPMN element id of a task (None for SpiffWorkflow's internal helper tasks)."""
    return getattr(task.task_spec, "bpmn_id", None)


def diagramm_daten(vorgang) -> dict:
    """`xml` of the instance's version, `erledigt`/`aktiv` element ids, `vorfall` (element, text, seit) or None.

    A Vorgang without a procedure gives `xml` None and empty lists.
    """
    instanz = db.session.scalars(select(ProzessInstanz).where(ProzessInstanz.vorgang_id == vorgang.id)).first()
    if instanz is None:
        return {"xml": None, "erledigt": [], "aktiv": [], "vorfall": None}
    version = db.session.scalars(
        select(ProzessModellVersion)
        .where(ProzessModellVersion.id == instanz.modell_version_id)
        .options(undefer(ProzessModellVersion.xml))
    ).one()
    modell = registry.modell(version)
    workflow = zustand_laden(instanz.zustand, modell.spec, modell.subprocess_specs)
    erledigt, aktiv = [], []
    for task in workflow.get_tasks():
        bpmn_id = _bpmn_id(task)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED and bpmn_id not in erledigt:
            erledigt.append(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR) and (
            bpmn_id not in aktiv
        ):
            aktiv.append(bpmn_id)
    vorfall = None
    if instanz.zustand_art == VORFALL:
        vorfall = {"element": instanz.vorfall_element, "text": instanz.vorfall_text, "seit": instanz.vorfall_seit}
    return {
        "xml": version.xml,
        "erledigt": erledigt,
        "aktiv": aktiv,
        "vorfall": vorfall,
        "verfahren": version.name,
        "version": version.version,
        "zustand": instanz.zustand_art,
    }
