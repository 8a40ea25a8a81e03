"""Load and save the workflow of a process instance: state from the row, spec from the registry, tasks as rows."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine import registry
from app.engine.aufgaben import neue_zeile
from app.engine.dienstaufgabe import extern_offen
from app.engine.models import AKTIV, BEENDET, ExterneAufgabe, ProzessInstanz
from app.engine.registry import GeladenesModell
from app.engine.serialisierung import zustand_laden, zustand_speichern
from app.engine.skripte import Kontext, script_engine
from app.extensions import db
from app.signale import aufgabe_bereit
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.wiedervorlagen.service import schritte_verlassen

#: Marks a user task that set a Wiedervorlage (camunda:followUpDate): leaving it closes that Wiedervorlage.
MIT_WIEDERVORLAGE = "amtsfluss_wiedervorlage"
#: The instance log keeps the last this many characters.
PROTOKOLL_ZEICHEN = 50_000


@dataclass
class Lauf:
    """One load–run–save cycle of an instance."""

    instanz: ProzessInstanz
    vorgang: Vorgang
    benutzer: Benutzer | None
    modell: GeladenesModell
    workflow: BpmnWorkflow
    #: READY user tasks after the run, by id (filled by the runner)
    offen: dict = field(default_factory=dict)
    #: Whether the loaded state had external tasks waiting (their rows must then be brought in step)
    hatte_extern: bool = False


def instanz_sperren(instanz_id: int) -> ProzessInstanz | None:
    """Load the instance row fresh from the database and lock it until commit (PostgreSQL)."""
    return db.session.scalars(
        select(ProzessInstanz)
        .where(ProzessInstanz.id == instanz_id)
        .with_for_update(of=ProzessInstanz)
        .execution_options(populate_existing=True)
    ).first()


def laden(instanz: ProzessInstanz, vorgang: Vorgang, benutzer: Benutzer | None) -> Lauf:
    """Restore the workflow from its state and the cached spec; attach a fresh script engine."""
    modell = registry.modell(instanz.modell_version)
    workflow = zustand_laden(instanz.zustand, modell.spec, modell.subprocess_specs)
    workflow.script_engine = script_engine(Kontext(vorgang, benutzer))
    return Lauf(instanz, vorgang, benutzer, modell, workflow, hatte_extern=bool(extern_offen(workflow)))


def speichern(lauf: Lauf) -> None:
    """Bring the instance up to date through the session: state without spec, next timer, end, open-task rows.

    The next flush writes it; the instance's version counter makes a concurrent writer fail there.
    """
    wf, instanz = lauf.workflow, lauf.instanz
    instanz.zustand = zustand_speichern(wf)
    kontext = wf.script_engine.environment.kontext
    if kontext is not None and kontext.protokoll:
        neu = "\n".join(kontext.protokoll) + "\n"
        instanz.protokoll = ((instanz.protokoll or "") + neu)[-PROTOKOLL_ZEICHEN:]
        kontext.protokoll.clear()
    if instanz.zustand_art == AKTIV and wf.completed:
        instanz.zustand_art = BEENDET
        protokolliere(lauf.vorgang, "Verfahren beendet", lauf.benutzer)
    aktiv = instanz.zustand_art == AKTIV
    instanz.next_timer_due = naechster_timer(wf) if aktiv else None
    offen = lauf.offen if aktiv else {}
    vorhanden = {zeile.task_id for zeile in instanz.aufgaben}
    verlassen = vorhanden - offen.keys()
    if any(_mit_wiedervorlage(wf, task_id) for task_id in verlassen):
        schritte_verlassen(lauf.vorgang, verlassen, lauf.benutzer)
    instanz.aufgaben[:] = [zeile for zeile in instanz.aufgaben if zeile.task_id in offen]
    for task_id, task in offen.items():
        if task_id not in vorhanden:
            instanz.aufgaben.append(zeile := neue_zeile(lauf.modell, lauf.vorgang.id, task))
            aufgabe_bereit.send(lauf.vorgang, aufgabe=zeile, benutzer=lauf.benutzer)
    extern = extern_offen(wf) if aktiv else {}
    if extern or lauf.hatte_extern:  # the rows are only read where external tasks are or were
        _extern_abgleichen(lauf, extern)


def _mit_wiedervorlage(wf: BpmnWorkflow, task_id: str) -> bool:
    """Whether the step set a Wiedervorlage; a task the workflow no longer has counts as yes (the query decides)."""
    try:
        return bool(wf.get_task_from_id(UUID(task_id)).internal_data.get(MIT_WIEDERVORLAGE))
    except (TaskNotFoundException, ValueError):
        return True


def _extern_abgleichen(lauf: Lauf, extern: dict) -> None:
    """Keep the external-task rows of the instance in step with its STARTED external service tasks."""
    instanz = lauf.instanz
    vorhanden = {zeile.task_id: zeile for zeile in instanz.externe}
    for task_id, zeile in vorhanden.items():
        if task_id not in extern:
            instanz.externe.remove(zeile)
    for task_id, task in extern.items():
        if task_id not in vorhanden:
            thema = (task.task_spec.extensions or {}).get("topic", "")
            element = task.task_spec.name
            zeile = ExterneAufgabe(task_id=task_id, vorgang_id=lauf.vorgang.id, element_id=element, thema=thema)
            instanz.externe.append(zeile)


def naechster_timer(wf: BpmnWorkflow) -> datetime | None:
    """The earliest due time among the waiting timers (None when no timer waits).

    Read from the waiting tasks' `event_value`, which SpiffWorkflow computes once when a timer starts waiting;
    `waiting_events()` alone misses timers behind an event-based gateway (a MultipleEventDefinition).
    """
    faellig = []
    for task in list(wf.event_manager.tasks.values()):
        wert = task.internal_data.get("event_value")
        if isinstance(wert, dict):
            wert = wert.get("next")
        if not isinstance(wert, str):
            continue
        try:
            zeitpunkt = TimerEventDefinition.parse_time_or_duration(wert)
        except Exception:  # noqa: BLE001, S112 — an unparsable value surfaces as an incident when it fires
            continue
        if isinstance(zeitpunkt, datetime):
            faellig.append(zeitpunkt)
    return min(faellig) if faellig else None
