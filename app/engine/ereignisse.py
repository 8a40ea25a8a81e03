"""Signals: broadcast to every active instance that waits for one (catch events, boundary events, event
subprocesses). Messages are correlated by `runner.nachricht_senden`."""

from functools import partial

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from sqlalchemy import select

from app.engine.ausfuehrung import weiterlaufen
from app.engine.korrelation import versionen_die_fangen
from app.engine.models import AKTIV, ProzessInstanz
from app.engine.runner import lauf_committen
from app.engine.serialisierung import ist_speicherbar
from app.engine.speicher import instanz_sperren, laden
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang


def _fangen(workflow, ereignis: BpmnEvent, anzahl: list[int]) -> None:
    """Let the workflow catch the event and note how many of its tasks caught it."""
    anzahl.append(workflow.event_manager.catch(ereignis))


def signal_senden(name: str, daten: dict | None = None) -> int:
    """Deliver the signal `name` to every active instance waiting for it; returns how many caught it.

    Only instances of versions that contain a catching element are loaded; each is locked, run on and committed
    on its own, so one broken instance does not stop the others (it becomes an incident as usual).
    """
    daten = daten or {}
    if not ist_speicherbar(daten):
        raise ValueError("Die Signaldaten enthalten Werte, die nicht gespeichert werden können.")
    versionen = versionen_die_fangen(SignalEventDefinition, name)
    if not versionen:
        return 0
    ids = db.session.scalars(
        select(ProzessInstanz.id).where(
            ProzessInstanz.zustand_art == AKTIV, ProzessInstanz.modell_version_id.in_(versionen)
        )
    ).all()
    gefangen = 0
    for instanz_id in ids:
        instanz = instanz_sperren(instanz_id)
        if instanz is None or instanz.zustand_art != AKTIV:
            continue
        lauf = laden(instanz, db.session.get(Vorgang, instanz.vorgang_id), None)
        ereignis = BpmnEvent(SignalEventDefinition(name), payload=daten)
        anzahl: list[int] = []
        weiterlaufen(lauf, aktion=partial(_fangen, lauf.workflow, ereignis, anzahl))
        if sum(anzahl) or instanz.zustand_art != AKTIV:
            gefangen += 1
            protokolliere(lauf.vorgang, "Signal eingegangen", nachher={"signal": name})
            lauf_committen(lauf)
        else:
            db.session.rollback()
    return gefangen
