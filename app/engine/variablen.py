"""The process variables of a Vorgang's procedure, read-only, for the layers below the engine (Bescheid
placeholders such as a fee a businessRuleTask computed); answered through the signal `verfahrensdaten_erbeten`."""

from datetime import date, datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.models import ProzessInstanz
from app.engine.speicher import laden
from app.extensions import db
from app.vorgaenge.models import Vorgang


def prozessvariablen(vorgang: Vorgang, **_kwargs) -> dict:
    """Scalar variables of the Vorgang's latest procedure instance: the data of its finished tasks in the order
    they finished, then of its open ones (later values win). Empty when no procedure runs or ran."""
    instanz = db.session.scalars(
        select(ProzessInstanz).where(ProzessInstanz.vorgang_id == vorgang.id).order_by(ProzessInstanz.id.desc())
    ).first()
    if instanz is None or not instanz.zustand:
        return {}
    workflow = laden(instanz, vorgang, None).workflow
    fertig = sorted(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change)
    offen = workflow.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING)
    variablen: dict = dict(workflow.data)
    for task in [*fertig, *offen]:
        variablen.update(task.data)
    return {k: v for k, v in variablen.items() if isinstance(v, str | int | float | bool | date | datetime)}
