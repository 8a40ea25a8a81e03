"""Finding the instances a message or signal is for: by message name, Vorgang (business key) and correlation keys.

Like Camunda 7's message correlation: a message reaches instances that wait for its name (catch event, receive
task, boundary event, event subprocess with a message start), optionally only the one of a Vorgang
(`vorgangsnummer`, Camunda's business key) and only those whose process variables equal the given correlation
keys. Only instances of versions that can catch the name are loaded; each is locked (`FOR UPDATE`) when loaded.
"""

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine import registry
from app.engine.models import AKTIV, ProzessInstanz, ProzessModellVersion
from app.engine.speicher import Lauf, instanz_sperren, laden
from app.extensions import db
from app.vorgaenge.models import Vorgang


def faengt(modell: registry.GeladenesModell, klasse: type, name: str) -> bool:
    """True when an element of the version (process or subprocess) catches the event `name` of `klasse`."""
    for spec in [modell.spec, *modell.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            ed = getattr(task_spec, "event_definition", None)
            for kandidat in [ed, *getattr(ed, "event_definitions", [])]:
                if isinstance(kandidat, klasse) and kandidat.name == name:
                    return True
    return False


def versionen_die_fangen(klasse: type, name: str) -> list[int]:
    """Ids of the deployed procedure versions with an element that catches the event `name` of `klasse`."""
    versionen = db.session.scalars(
        select(ProzessModellVersion).where(~ProzessModellVersion.key.startswith(registry.DMN_PRAEFIX))
    )
    return [v.id for v in versionen if faengt(registry.modell(v), klasse, name)]


def wartende_nachricht(wf, name: str):
    """The message event definition named `name` that a waiting task or an event subprocess start catches."""
    specs = [t.task_spec for t in list(wf.event_manager.tasks.values())]
    for sp_name in wf.spec.start.trigger_specs:
        specs.extend(wf.subprocess_specs[sp_name].bpmn_start_events)
    for spec in specs:
        ed = getattr(spec, "event_definition", None)
        for kandidat in [ed, *getattr(ed, "event_definitions", [])]:
            if isinstance(kandidat, MessageEventDefinition) and kandidat.name == name:
                return kandidat
    return None


def passt(wf, schluessel: dict) -> bool:
    """True when every correlation key equals the process variable of that name in a task still running.

    The variables are read from the unfinished tasks (the waiting catch event, the open user task) and the
    workflow's own data, so a value set before the instance began to wait counts.
    """
    if not schluessel:
        return True
    quellen = [wf.data, *(t.data for t in wf.get_tasks(state=TaskState.NOT_FINISHED_MASK))]
    return all(any(name in d and d[name] == wert for d in quellen) for name, wert in schluessel.items())


def empfaenger(
    name: str, *, vorgangsnummer: str | None = None, schluessel: dict | None = None, ausser: frozenset = frozenset()
) -> list[tuple[Lauf, object]]:
    """The loaded and locked instances that wait for the message `name` and match the keys, with the definition
    each waits on. Instances whose id is in `ausser` (those running in this very call chain) are skipped."""
    abfrage = select(ProzessInstanz.id).where(ProzessInstanz.zustand_art == AKTIV)
    if vorgangsnummer is not None:
        abfrage = abfrage.join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id).where(Vorgang.nummer == vorgangsnummer)
    else:
        versionen = [
            v.id
            for v in db.session.scalars(
                select(ProzessModellVersion).where(~ProzessModellVersion.key.startswith(registry.DMN_PRAEFIX))
            )
            if faengt(registry.modell(v), MessageEventDefinition, name)
        ]
        abfrage = abfrage.where(ProzessInstanz.modell_version_id.in_(versionen))
    gefunden = []
    for instanz_id in db.session.scalars(abfrage.order_by(ProzessInstanz.id)).all():
        if instanz_id in ausser:
            continue
        instanz = instanz_sperren(instanz_id)
        if instanz is None or instanz.zustand_art != AKTIV:
            continue
        lauf = laden(instanz, db.session.get(Vorgang, instanz.vorgang_id), None)
        definition = wartende_nachricht(lauf.workflow, name)
        if definition is not None and passt(lauf.workflow, schluessel or {}):
            gefunden.append((lauf, definition))
    return gefunden
