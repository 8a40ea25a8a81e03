"""Running procedures: start, open tasks, complete, messages, incidents (retry, cancel).

Every function works in the caller's session. `start` only flushes (the intake commits); `abschliessen` commits
because it is the whole unit of work of a request. Concurrency: the instance row is locked with
`SELECT … FOR UPDATE` (PostgreSQL) and carries a version counter (SQLAlchemy `version_id_col`; the compiled
write-back `_zurueckschreiben` checks it the same way), so of two concurrent completions of one task exactly one
wins and the other gets `Konflikt` — also on SQLite, where the version check catches what the missing row lock
lets through. The hot writes (start, write-back after a run) bypass the ORM's flush with statements compiled once;
Historie entries and Vorgang changes always go through the session.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_dependencies, diff_workflow, migrate_workflow
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import any_, bindparam, cast, delete, exists, false, func, insert, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, array
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import ROLLEN, Benutzer
from app.database import KompilierteAnweisung, is_postgres
from app.engine import registry
from app.engine.formular import Formularfeld, anzeigen, felder_aus_spec, pruefen
from app.engine.models import ABGEBROCHEN, AKTIV, BEENDET, VORFALL, ProzessAufgabe, ProzessInstanz
from app.engine.registry import GeladenesModell
from app.engine.routing import ALLGEMEIN, verfahren_fuer
from app.engine.serialisierung import ist_speicherbar, zustand_laden, zustand_speichern
from app.engine.skripte import Kontext, frist_berechnen, script_engine, wiedervorlage_anlegen
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import HistorieEintrag, Vorgang
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import Status, UngueltigerStatuswechsel

log = logging.getLogger(__name__)

#: internal_data key marking that the "reached" effects (status, Wiedervorlage, due date) were applied.
ERREICHT = "amtsfluss_erreicht"


KONFLIKT_TEXT = "Der Vorgang wurde gerade von jemand anderem bearbeitet. Bitte laden Sie die Seite neu."


class Konflikt(Exception):
    """The task is no longer open, or someone else completed it at the same moment."""


class KeineBerechtigung(Exception):
    """The user may not complete this task (role, assignee or OE)."""


class KeinVerfahren(Exception):
    """No deployed procedure for this key (and none to fall back to)."""


class FormularFehler(Exception):
    """Submitted form data is invalid; `fehler` maps field id → German message. Nothing was saved."""

    def __init__(self, fehler: dict[str, str]):
        """Keep the per-field messages."""
        self.fehler = fehler
        super().__init__("; ".join(f"{k}: {v}" for k, v in fehler.items()))


@dataclass
class Aufgabe:
    """An open user task as inboxes and task forms see it."""

    task_id: str
    vorgang_id: int
    element_id: str
    titel: str
    felder: list[Formularfeld]
    kandidatengruppen: list[str]
    zugewiesen_an: str | None
    faellig: datetime | None
    dokumentation: str


@dataclass
class _Lauf:
    """One load–run–save cycle of an instance."""

    instanz: ProzessInstanz
    vorgang: Vorgang
    benutzer: Benutzer | None
    modell: GeladenesModell
    workflow: BpmnWorkflow
    #: ids of the open-task rows before this run (the READY user tasks of the loaded state of an active
    #: instance, which the rows mirror); None → read them from the database
    vorher_offen: set[str] | None = None
    #: READY user tasks after the run, by id (filled by `_weiterlaufen`)
    offen: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- helpers


def _element_info(modell: GeladenesModell, task_spec) -> dict:
    """Title, documentation, form fields and candidate groups of a user task (cached per version)."""
    info = modell.abgeleitet.get(task_spec.name)
    if info is None:
        ext = getattr(task_spec, "extensions", None) or {}
        gruppen = [g.strip().lower() for g in ext.get("candidateGroups", "").split(",") if g.strip()]
        if not gruppen and task_spec.lane and task_spec.lane.lower() in ROLLEN:
            gruppen = [task_spec.lane.lower()]
        info = {
            "titel": task_spec.bpmn_name or task_spec.name,
            "dokumentation": task_spec.documentation or "",
            "felder": felder_aus_spec(task_spec),
            "kandidatengruppen": gruppen or ["sachbearbeitung"],
            "assignee": ext.get("assignee"),
        }
        modell.abgeleitet[task_spec.name] = info
    return info


def _laden(instanz: ProzessInstanz, vorgang: Vorgang, benutzer: Benutzer | None) -> _Lauf:
    """Restore the workflow from its state and the cached spec; attach a fresh script engine."""
    modell = registry.modell(instanz.modell_version)
    workflow = zustand_laden(instanz.zustand, modell.spec, modell.subprocess_specs)
    workflow.script_engine = script_engine(Kontext(vorgang, benutzer))
    vorher = {str(t.id) for t in _offene_usertasks(workflow)} if instanz.zustand_art == AKTIV else None
    return _Lauf(instanz, vorgang, benutzer, modell, workflow, vorher_offen=vorher)


def _offene_usertasks(workflow: BpmnWorkflow) -> list:
    """READY user tasks of a workflow."""
    return [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask)]


def _status_anwenden(lauf: _Lauf, task) -> None:
    """Apply a `status` property of an element that was reached (once per task)."""
    ziel = (getattr(task.task_spec, "extensions", None) or {}).get("status")
    if task.internal_data.get(ERREICHT) or (not ziel and not isinstance(task.task_spec, UserTask)):
        return  # the marker only where it matters: it is stored with every task of the state
    task.internal_data[ERREICHT] = True
    if not ziel or lauf.vorgang.status == ziel:
        return
    try:
        status_setzen(lauf.vorgang, Status(ziel), lauf.benutzer, notiz=f"Verfahrensschritt „{_titel(task)}“")
    except UngueltigerStatuswechsel as error:
        # A caseworker may have changed the status by hand; the procedure goes on and the Historie says why.
        protokolliere(lauf.vorgang, "Status nicht geändert", lauf.benutzer, notiz=f"{error} ({_titel(task)})")


def _titel(task) -> str:
    """The element's name, or its id."""
    return task.task_spec.bpmn_name or task.task_spec.name


def _usertask_erreicht(lauf: _Lauf, task) -> None:
    """Effects of reaching a user task: status, due date, Wiedervorlage from camunda:followUpDate."""
    if task.internal_data.get(ERREICHT):
        return
    ext = getattr(task.task_spec, "extensions", None) or {}
    engine = lauf.workflow.script_engine
    if ext.get("dueDate"):
        task.internal_data["faellig"] = frist_berechnen(engine.evaluate(task, ext["dueDate"]), utcnow()).isoformat()
    if ext.get("followUpDate"):
        frist = frist_berechnen(engine.evaluate(task, ext["followUpDate"]), utcnow())
        wiedervorlage_anlegen(lauf.vorgang, f"Wiedervorlage: {_titel(task)}", frist, "Aus dem Verfahren", lauf.benutzer)
    _status_anwenden(lauf, task)


def _weiterlaufen(lauf: _Lauf, timer: bool = False, aktion=None) -> None:
    """Run `aktion` (completing a task, catching a message), then the engine to the next wait state.

    Any exception from the model (script, condition, timer expression) becomes an incident; the Vorgang is kept.
    """
    wf = lauf.workflow
    try:
        if aktion is not None:
            aktion()
        if timer:
            wf.refresh_timers()
        wf.do_engine_steps(did_complete_task=lambda t: _status_anwenden(lauf, t))
        lauf.offen = {}
        for task in _offene_usertasks(wf):
            _usertask_erreicht(lauf, task)
            lauf.offen[str(task.id)] = task
    except (StaleDataError, OperationalError):
        raise  # a database race is a conflict for the caller, not an incident of the procedure
    except Exception as error:  # noqa: BLE001 — scripts and expressions can raise anything
        _vorfall_setzen(lauf, error)


def _vorfall_setzen(lauf: _Lauf, error: Exception) -> None:
    """Mark the instance as an incident with element id and message, and say so in the Historie."""
    task = getattr(error, "task", None)
    element = task.task_spec.name if task is not None else None
    if element is None:
        fehlerhaft = lauf.workflow.get_tasks(state=TaskState.ERROR) or _kaputte_timer(lauf.workflow)
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


def _kaputte_timer(wf: BpmnWorkflow) -> list:
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


def _naechster_timer(wf: BpmnWorkflow) -> datetime | None:
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


def _speichern(lauf: _Lauf) -> tuple[set[str], list[dict]]:
    """Bring the instance object up to date (state without spec, next timer, end) and work out the open-task rows.

    Returns the ids of the rows to delete and the new rows as dicts (without `instanz_id` and `erstellt_am`); the
    caller writes them: `start` with the new instance, `_zurueckschreiben` for one instance, the timer batch
    through the session (`_aufgaben_abgleichen`).
    """
    wf, instanz = lauf.workflow, lauf.instanz
    instanz.zustand = zustand_speichern(wf)
    if instanz.zustand_art == AKTIV and wf.completed:
        instanz.zustand_art = BEENDET
        protokolliere(lauf.vorgang, "Verfahren beendet", lauf.benutzer)
    instanz.next_timer_due = _naechster_timer(wf) if instanz.zustand_art == AKTIV else None
    offen = lauf.offen if instanz.zustand_art == AKTIV else {}
    if lauf.vorher_offen is not None:
        vorhanden = lauf.vorher_offen
    else:
        vorhanden = set(db.session.scalars(select(ProzessAufgabe.task_id).where(ProzessAufgabe.instanz == instanz)))
    neu = []
    for task_id, task in offen.items():
        if task_id in vorhanden:
            continue
        info = _element_info(lauf.modell, task.task_spec)
        faellig = task.internal_data.get("faellig")
        neu.append(
            {
                "task_id": task_id,
                "vorgang_id": lauf.vorgang.id,
                "element_id": task.task_spec.name,
                "titel": info["titel"][:300],
                "kandidatengruppen": info["kandidatengruppen"],
                "zugewiesen_an": info["assignee"],
                "faellig": datetime.fromisoformat(faellig) if faellig else None,
            }
        )
    return vorhanden - offen.keys(), neu


def _aufgaben_abgleichen(instanz: ProzessInstanz, weg: set[str], neu: list[dict]) -> None:
    """Apply the open-task rows of `_speichern` through the session (the timer batch, which flushes once)."""
    if weg:
        db.session.execute(delete(ProzessAufgabe).where(ProzessAufgabe.task_id.in_(weg)))
    for zeile in neu:
        db.session.add(ProzessAufgabe(instanz=instanz, **zeile))


#: The columns of an instance that running it may change (besides `geaendert_am` and the version counter).
_AENDERBAR = (
    "zustand",
    "zustand_art",
    "next_timer_due",
    "vorfall_element",
    "vorfall_text",
    "vorfall_seit",
    "modell_version_id",
)
#: The columns of an open-task row as `_speichern` builds it, plus those the writers add.
_AUFGABE_SPALTEN = (
    "task_id",
    "vorgang_id",
    "element_id",
    "titel",
    "kandidatengruppen",
    "zugewiesen_an",
    "faellig",
    "erstellt_am",
)


def _zurueckschreiben(lauf: _Lauf) -> None:
    """Save one loaded instance after a run (`_speichern`) and write it back with its open-task rows, checking its
    version: on PostgreSQL one statement (UPDATE … WHERE version = v, DELETE and INSERT of task rows as CTEs), on
    SQLite three compiled statements. Instead of the ORM's flush, which needs a round trip per statement (UPDATE,
    DELETE, INSERT: 3 instead of 1 for a completed task); the values are then marked as the object's committed
    state. Historie and Vorgang changes go with the session, in the order they were made. Raises
    `StaleDataError` when the version moved on, as the ORM would.
    """
    weg, neu = _speichern(lauf)
    instanz = lauf.instanz
    jetzt = utcnow()
    werte = instanz_werte(instanz, jetzt)
    for zeile in neu:
        zeile["erstellt_am"] = jetzt
    if is_postgres():
        werte["weg"] = sorted(weg)
        for nummer, zeile in enumerate(neu):
            werte.update({f"a{nummer}_{spalte}": wert for spalte, wert in zeile.items()})
        geschrieben = _aktualisieren_anweisung(len(neu)).ausfuehren(werte).wert is not None
    else:
        geschrieben = instanz_aktualisieren().ausfuehren(werte).anzahl == 1
        if geschrieben and weg:
            _sqlite_aufgabe_loeschen().ausfuehren([{"task_id": task_id} for task_id in sorted(weg)])
        if geschrieben and neu:
            _sqlite_aufgabe_einfuegen().ausfuehren([{**zeile, "instanz_id": instanz.id} for zeile in neu])
    if not geschrieben:
        raise StaleDataError(f"Prozessinstanz {instanz.id}: Version {instanz.version} ist nicht mehr aktuell")
    als_geschrieben(instanz, werte)
    set_committed_value(instanz, "modell_version", instanz.modell_version)  # a migration set it with the id


def instanz_werte(instanz: ProzessInstanz, jetzt: datetime) -> dict:
    """The bind values of `instanz_aktualisieren` for one instance: its changeable columns, id and version."""
    werte = {f"i_{spalte}": getattr(instanz, spalte) for spalte in _AENDERBAR}
    werte.update(i_geaendert_am=jetzt, b_id=instanz.id, b_version=instanz.version)
    return werte


def als_geschrieben(instanz: ProzessInstanz, werte: dict) -> None:
    """Mark the values written with `werte` (and the new version) as the object's committed state, so the ORM's
    next flush does not write them again."""
    for spalte in (*_AENDERBAR, "geaendert_am"):
        set_committed_value(instanz, spalte, werte[f"i_{spalte}"])
    set_committed_value(instanz, "version", werte["b_version"] + 1)


def _instanz_aenderung():
    """UPDATE of one instance's changeable columns where id and version match, version + 1 (bind parameters
    `b_id`, `b_version`, `i_<column>`)."""
    ti = ProzessInstanz.__table__
    return (
        update(ti)
        .where(
            ti.c.id == bindparam("b_id", type_=ti.c.id.type),
            ti.c.version == bindparam("b_version", type_=ti.c.version.type),
        )
        .values(
            {
                **{s: bindparam(f"i_{s}", type_=ti.c[s].type) for s in (*_AENDERBAR, "geaendert_am")},
                "version": ti.c.version + 1,
            }
        )
    )


@functools.cache
def instanz_aktualisieren() -> KompilierteAnweisung:
    """The version-checked instance UPDATE alone, compiled once: SQLite's write-back and the timer batch (as
    executemany with `instanz_werte` per instance; the row count says how many versions matched)."""
    return KompilierteAnweisung(_instanz_aenderung())


@functools.lru_cache(maxsize=16)
def _aktualisieren_anweisung(anzahl: int) -> KompilierteAnweisung:
    """PostgreSQL: the instance UPDATE, the DELETE of the task rows in `weg` (an array) and the INSERT of `anzahl`
    new ones (`a<n>_<column>`) as one statement, built and compiled once per number of new rows. Returns the
    instance id, or no row when the version did not match."""
    ta = ProzessAufgabe.__table__
    geaendert = _instanz_aenderung().returning(ProzessInstanz.__table__.c.id).cte("geaenderte_instanz")
    erledigt = (
        delete(ta)
        .where(ta.c.task_id == any_(bindparam("weg", type_=ARRAY(ta.c.task_id.type))))
        .returning(ta.c.task_id)
        .cte("erledigte_aufgaben")
    )
    ctes = [erledigt]
    if anzahl:
        ctes.append(_aufgaben_aus(geaendert, anzahl).cte("neue_aufgaben"))
    return KompilierteAnweisung(select(geaendert.c.id).add_cte(*ctes))


def _aufgaben_aus(quelle, anzahl: int):
    """INSERT of `anzahl` task rows (bind parameters `a<n>_<column>`) for the instance whose id `quelle` (a CTE)
    returns: with the start's new instance, or with the instance a completion updated."""
    ta = ProzessAufgabe.__table__
    zeilen = union_all(
        *(
            select(
                *(bindparam(f"a{n}_{s}", type_=ta.c[s].type).label(s) for s in _AUFGABE_SPALTEN),
                quelle.c.id.label("instanz_id"),
            )
            for n in range(anzahl)
        )
    )
    return insert(ta).from_select([*_AUFGABE_SPALTEN, "instanz_id"], zeilen).returning(ta.c.instanz_id)


@functools.cache
def _sqlite_aufgabe_loeschen() -> KompilierteAnweisung:
    """SQLite: the DELETE of one open-task row (run as executemany), compiled once."""
    ta = ProzessAufgabe.__table__
    return KompilierteAnweisung(delete(ta).where(ta.c.task_id == bindparam("task_id", type_=ta.c.task_id.type)))


@functools.cache
def _sqlite_aufgabe_einfuegen() -> KompilierteAnweisung:
    """SQLite: the INSERT of one open-task row (run as executemany), compiled once."""
    ta = ProzessAufgabe.__table__
    spalten = (*_AUFGABE_SPALTEN, "instanz_id")
    return KompilierteAnweisung(insert(ta).values({s: bindparam(s, type_=ta.c[s].type) for s in spalten}))


def _instanz_sperren(instanz_id: int) -> ProzessInstanz | None:
    """Load the instance row fresh from the database and lock it until commit (PostgreSQL)."""
    return db.session.scalars(
        select(ProzessInstanz)
        .where(ProzessInstanz.id == instanz_id)
        .with_for_update(of=ProzessInstanz)
        .execution_options(populate_existing=True)
    ).first()


def _instanz_fuer(vorgang: Vorgang, sperren: bool = True) -> ProzessInstanz | None:
    """The instance of a Vorgang (locked when asked)."""
    query = select(ProzessInstanz).where(ProzessInstanz.vorgang_id == vorgang.id)
    if sperren:
        query = query.with_for_update(of=ProzessInstanz).execution_options(populate_existing=True)
    return db.session.scalars(query).first()


def _commit(lauf: _Lauf) -> None:
    """Write the instance back (`_zurueckschreiben`) and commit; a lost race on the instance row (version check or
    lock timeout) becomes `Konflikt`."""
    try:
        _zurueckschreiben(lauf)
        db.session.commit()
    except (StaleDataError, OperationalError) as error:
        db.session.rollback()
        raise Konflikt(KONFLIKT_TEXT) from error


# --------------------------------------------------------------------------------------------------- public API


def start(vorgang: Vorgang, verfahren_key: str | None = None) -> ProzessInstanz:
    """Start the procedure of a Vorgang and run it to its first wait state (no commit).

    Without a key the routing file decides; a routed procedure that is not deployed falls back to the general one.
    The instance and its open-task rows are written at once with Core inserts — on PostgreSQL as one statement
    (data-modifying CTE) — and the instance is then attached to the session as a persistent object; the Historie
    and whatever the first steps changed on the Vorgang go with the caller's next flush or commit.
    """
    key = verfahren_key or verfahren_fuer(vorgang.formular_id, vorgang.leika_ids)
    version = registry.aktuelle_version(key)
    if version is None and verfahren_key is None:
        version = registry.aktuelle_version(ALLGEMEIN)
    if version is None:
        raise KeinVerfahren(f"Das Verfahren „{key}“ ist nicht deployt.")
    if vorgang.id is None:
        db.session.flush()
    modell = registry.modell(version)
    workflow = BpmnWorkflow(modell.spec, modell.subprocess_specs)
    workflow.script_engine = script_engine(Kontext(vorgang, None))
    jetzt = utcnow()
    # transient until its row exists: the ORM must not insert it (nor cascade it from the task rows)
    instanz = ProzessInstanz(
        vorgang_id=vorgang.id,
        modell_version_id=version.id,
        zustand="",
        zustand_art=AKTIV,
        next_timer_due=None,
        vorfall_element=None,
        vorfall_text=None,
        vorfall_seit=None,
        gestartet_am=jetzt,
        geaendert_am=jetzt,
        version=1,
    )
    # What the caller has pending (e.g. the intake's Historie) goes first, so the Historie keeps its order; no
    # statement when nothing is pending.
    db.session.flush()
    eintrag = protokolliere(
        vorgang, "Verfahren gestartet", nachher={"verfahren": version.name, "version": version.version}
    )
    historie = _historie_zeile(eintrag, jetzt)  # written with the instance row below
    lauf = _Lauf(instanz, vorgang, None, modell, workflow, vorher_offen=set())
    _weiterlaufen(lauf)
    _weg, aufgaben = _speichern(lauf)  # nothing to delete: the instance is new
    werte = {spalte: getattr(instanz, spalte) for spalte in _INSTANZ_SPALTEN}
    try:
        # no autoflush: what the first steps added (status Historie, Wiedervorlagen) must follow our entry
        with db.session.no_autoflush:
            instanz.id = _instanz_einfuegen(werte, aufgaben, historie, jetzt)
    except IntegrityError as error:  # the unique vorgang_id: a second start (the caller must roll back)
        raise Konflikt("Für diesen Vorgang läuft bereits ein Verfahren.") from error
    make_transient_to_detached(instanz)
    db.session.add(instanz)
    return instanz


#: The columns of a Historie row written with an instance (the entry `protokolliere` built, plus `zeitpunkt`).
_HISTORIE_SPALTEN = ("vorgang_id", "benutzer_id", "akteur", "aktion", "vorher", "nachher", "notiz", "zeitpunkt")


def _historie_zeile(eintrag: HistorieEintrag, jetzt: datetime) -> dict:
    """Take a Historie entry out of the session, to be written with the instance (same statement on PostgreSQL)
    instead of by the ORM's flush; its values as a row."""
    db.session.expunge(eintrag)
    zeile = {spalte: eintrag.__dict__.get(spalte) for spalte in _HISTORIE_SPALTEN}
    zeile["zeitpunkt"] = jetzt
    return zeile


def _historie_einfuegen(praefix: str = ""):
    """INSERT of one Historie row (bind parameters `<praefix><column>`)."""
    th = HistorieEintrag.__table__
    return insert(th).values({s: bindparam(f"{praefix}{s}", type_=th.c[s].type) for s in _HISTORIE_SPALTEN})


#: The columns of a new instance row (all given explicitly, so the ORM object matches the row).
_INSTANZ_SPALTEN = (
    "vorgang_id",
    "modell_version_id",
    "zustand_art",
    "zustand",
    "next_timer_due",
    "vorfall_element",
    "vorfall_text",
    "vorfall_seit",
    "gestartet_am",
    "geaendert_am",
    "version",
)


def _instanz_einfuegen(werte: dict, aufgaben: list[dict], historie: dict, jetzt: datetime) -> int:
    """Insert an instance row, its open-task rows and its first Historie entry; returns the instance id.

    PostgreSQL: one round trip, `WITH i AS (INSERT … RETURNING id), h AS (INSERT historie …) INSERT INTO
    prozess_aufgabe SELECT … FROM i`. SQLite (in-process, no round trips to save): three plain inserts. All are
    compiled once (`KompilierteAnweisung`): this is the hottest write of the product.
    """
    for zeile in aufgaben:
        zeile["erstellt_am"] = jetzt
    if not is_postgres():
        _sqlite_historie().ausfuehren(historie)
        instanz_id = _sqlite_instanz_einfuegen(tuple(werte)).ausfuehren(werte).wert
        if aufgaben:
            _sqlite_aufgabe_einfuegen().ausfuehren([{**zeile, "instanz_id": instanz_id} for zeile in aufgaben])
        return instanz_id
    parameter = {f"i_{spalte}": wert for spalte, wert in werte.items()}
    parameter.update({f"h_{spalte}": wert for spalte, wert in historie.items()})
    for nummer, zeile in enumerate(aufgaben):
        parameter.update({f"a{nummer}_{spalte}": wert for spalte, wert in zeile.items()})
    return _cte_anweisung(tuple(werte), len(aufgaben)).ausfuehren(parameter).wert


@functools.lru_cache(maxsize=4)
def _sqlite_instanz_einfuegen(instanz_spalten: tuple) -> KompilierteAnweisung:
    """SQLite: the instance insert, built once (bind parameters named like the columns)."""
    ti = ProzessInstanz.__table__
    return KompilierteAnweisung(
        insert(ti).values({s: bindparam(s, type_=ti.c[s].type) for s in instanz_spalten}).returning(ti.c.id)
    )


@functools.cache
def _sqlite_historie() -> KompilierteAnweisung:
    """SQLite: the insert of the Historie row written with an instance."""
    return KompilierteAnweisung(_historie_einfuegen())


@functools.lru_cache(maxsize=64)
def _cte_anweisung(instanz_spalten: tuple, anzahl: int):
    """The PostgreSQL insert statement for an instance with `anzahl` task rows, built and compiled once per shape
    (with bind parameters `i_<column>`, `h_<column>` and `a<n>_<column>`)."""
    ti = ProzessInstanz.__table__
    neu = (
        insert(ti)
        .values({s: bindparam(f"i_{s}", type_=ti.c[s].type) for s in instanz_spalten})
        .returning(ti.c.id)
        .cte("neue_instanz")
    )
    eintrag = _historie_einfuegen("h_").returning(HistorieEintrag.__table__.c.id).cte("neuer_eintrag")
    if not anzahl:
        return KompilierteAnweisung(select(neu.c.id).add_cte(eintrag))
    return KompilierteAnweisung(select(neu.c.id).add_cte(eintrag, _aufgaben_aus(neu, anzahl).cte("neue_aufgaben")))


def _aufgabe_aus_zeile(zeile: ProzessAufgabe, modell: GeladenesModell) -> Aufgabe:
    """Combine the open-task row with the form of its element."""
    spec = modell.spec.task_specs[zeile.element_id]
    info = _element_info(modell, spec)
    return Aufgabe(
        task_id=zeile.task_id,
        vorgang_id=zeile.vorgang_id,
        element_id=zeile.element_id,
        titel=zeile.titel,
        felder=info["felder"],
        kandidatengruppen=list(zeile.kandidatengruppen or []),
        zugewiesen_an=zeile.zugewiesen_an,
        faellig=zeile.faellig,
        dokumentation=info["dokumentation"],
    )


def darf_bearbeiten(benutzer: Benutzer, zeile: ProzessAufgabe, oe_id: int) -> bool:
    """A user may complete a task of a Vorgang of their OE if they hold a candidate role or are the assignee."""
    if oe_id not in benutzer.oe_ids:
        return False
    return benutzer.hat_rolle(*(zeile.kandidatengruppen or [])) or (
        zeile.zugewiesen_an is not None and zeile.zugewiesen_an == benutzer.login
    )


def offene_aufgaben(
    benutzer: Benutzer | None = None, vorgang: Vorgang | None = None, *, limit: int | None = None
) -> list[Aufgabe]:
    """Open user tasks, due ones first; with `benutzer` only those they may complete, with `vorgang` only that
    Vorgang's; `limit` caps the number (inbox pages). OE, role and assignee are filtered in SQL."""
    from app.engine.models import ProzessModellVersion

    query = (
        select(ProzessAufgabe, Vorgang.oe_id, ProzessInstanz.modell_version_id)
        .join(ProzessInstanz, ProzessInstanz.id == ProzessAufgabe.instanz_id)
        .join(Vorgang, Vorgang.id == ProzessAufgabe.vorgang_id)
        .where(ProzessInstanz.zustand_art == AKTIV)
        .order_by(ProzessAufgabe.faellig.is_(None), ProzessAufgabe.faellig, ProzessAufgabe.erstellt_am)
    )
    if vorgang is not None:
        query = query.where(ProzessAufgabe.vorgang_id == vorgang.id)
    if benutzer is not None:
        query = query.where(
            Vorgang.oe_id.in_(benutzer.oe_ids),
            or_(ProzessAufgabe.zugewiesen_an == benutzer.login, _hat_kandidatenrolle(list(benutzer.rollen or []))),
        )
    if limit is not None:
        query = query.limit(limit)
    modelle: dict[int, GeladenesModell] = {}
    ergebnis = []
    for zeile, oe_id, version_id in db.session.execute(query):
        if benutzer is not None and not darf_bearbeiten(benutzer, zeile, oe_id):
            continue  # the SQL filter already did this; the same rule as for completing, kept in one place
        if version_id not in modelle:
            modelle[version_id] = registry.modell(db.session.get(ProzessModellVersion, version_id))
        ergebnis.append(_aufgabe_aus_zeile(zeile, modelle[version_id]))
    return ergebnis


def _hat_kandidatenrolle(rollen: list[str]):
    """SQL: the task's candidate groups (a JSON list) contain one of `rollen`."""
    if not rollen:
        return false()
    if is_postgres():
        return cast(ProzessAufgabe.kandidatengruppen, JSONB).has_any(array(rollen))
    gruppen = func.json_each(ProzessAufgabe.kandidatengruppen).table_valued("value")
    return exists(select(1).select_from(gruppen).where(gruppen.c.value.in_(rollen)))


def aufgabe(task_id: str) -> Aufgabe | None:
    """One open task by id (None when it is not open)."""
    zeile = db.session.get(ProzessAufgabe, task_id)
    if zeile is None:
        return None
    instanz = db.session.get(ProzessInstanz, zeile.instanz_id)
    return _aufgabe_aus_zeile(zeile, registry.modell(instanz.modell_version))


def abschliessen(task_id: str, daten: dict[str, str], benutzer: Benutzer) -> None:
    """Complete a user task with form data: check, run the engine, apply status changes, commit.

    Raises FormularFehler (nothing saved), Konflikt (task no longer open, or a concurrent completion won),
    KeineBerechtigung. On any of them the transaction is rolled back (which also releases the row lock).
    """
    try:
        _abschliessen(task_id, daten, benutzer)
    except (StaleDataError, OperationalError) as error:
        db.session.rollback()
        raise Konflikt(KONFLIKT_TEXT) from error
    except (FormularFehler, Konflikt, KeineBerechtigung):
        db.session.rollback()
        raise


def _abschliessen(task_id: str, daten: dict[str, str], benutzer: Benutzer) -> None:
    """The body of `abschliessen`."""
    # One query for the task row, its Vorgang and its instance, locked until commit (PostgreSQL) and loaded fresh;
    # a completion that won meanwhile shows up below as a task that is no longer READY, or at the version check.
    gefunden = db.session.execute(
        select(ProzessAufgabe, Vorgang, ProzessInstanz)
        .join(Vorgang, Vorgang.id == ProzessAufgabe.vorgang_id)
        .join(ProzessInstanz, ProzessInstanz.id == ProzessAufgabe.instanz_id)
        .where(ProzessAufgabe.task_id == str(task_id))
        .with_for_update(of=ProzessInstanz)
        .execution_options(populate_existing=True)
    ).first()
    if gefunden is None:
        raise Konflikt("Die Aufgabe ist nicht mehr offen.")
    zeile, vorgang, instanz = gefunden
    if not darf_bearbeiten(benutzer, zeile, vorgang.oe_id):
        raise KeineBerechtigung("Sie dürfen diese Aufgabe nicht erledigen.")
    if instanz.zustand_art != AKTIV:
        raise Konflikt("Das Verfahren dieses Vorgangs läuft nicht (beendet, abgebrochen oder mit Vorfall).")
    lauf = _laden(instanz, vorgang, benutzer)
    try:
        task = lauf.workflow.get_task_from_id(UUID(str(task_id)))
    except Exception:  # noqa: BLE001 — TaskNotFoundException or a malformed id
        task = None
    if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
        raise Konflikt("Die Aufgabe ist nicht mehr offen.")
    info = _element_info(lauf.modell, task.task_spec)
    werte, fehler = pruefen(info["felder"], daten, task.data)
    if fehler:
        raise FormularFehler(fehler)
    task.set_data(**werte)
    # through the session, not with the instance: the run may autoflush its own entries, which must follow this one
    protokolliere(
        vorgang,
        "Aufgabe erledigt",
        benutzer,
        nachher={f.label: anzeigen(werte.get(f.id)) for f in info["felder"]},
        notiz=info["titel"],
    )
    _weiterlaufen(lauf, aktion=task.run)
    _zurueckschreiben(lauf)
    db.session.commit()


def nachricht(vorgang: Vorgang, name: str, daten: dict) -> bool:
    """Deliver an external message (e.g. „Nachricht vom Antragsteller“) to the Vorgang's waiting instance.

    Returns False when no instance waits for a message of that name. The data land in the task data under the
    event's `camunda:resultVariable`, or `nachricht`. Flushes; the caller commits.
    """
    if not ist_speicherbar(daten):
        raise ValueError("Die Nachrichtendaten enthalten Werte, die nicht gespeichert werden können.")
    instanz = _instanz_fuer(vorgang)
    if instanz is None or instanz.zustand_art != AKTIV:
        return False
    lauf = _laden(instanz, vorgang, None)
    definition = None
    for task in list(lauf.workflow.event_manager.tasks.values()):
        ed = getattr(task.task_spec, "event_definition", None)
        for kandidat in [ed, *getattr(ed, "event_definitions", [])]:
            if isinstance(kandidat, MessageEventDefinition) and kandidat.name == name:
                definition = kandidat
    if definition is None:
        return False
    payload = {"payload": daten, "result_var": getattr(definition, "result_var", None) or "nachricht"}
    protokolliere(vorgang, "Nachricht eingegangen", nachher={"nachricht": name})
    _weiterlaufen(lauf, aktion=lambda: lauf.workflow.catch(BpmnEvent(definition, payload=payload)))
    _zurueckschreiben(lauf)
    db.session.flush()
    return True


def timer_ausfuehren(instanz: ProzessInstanz, vorgang: Vorgang | None = None) -> None:
    """Refresh the timers of one (claimed) instance and run on (no flush, no commit; the batch flushes)."""
    if vorgang is None:
        vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = _laden(instanz, vorgang, None)
    _weiterlaufen(lauf, timer=True)
    _aufgaben_abgleichen(instanz, *_speichern(lauf))


def wiederholen(instanz: ProzessInstanz, benutzer: Benutzer | None, migrieren: bool = True) -> str:
    """Retry an incident: move to the newest version where the diff allows, reset failed tasks, run on. Commits.

    Returns a German summary for the admin page. A retry that fails again leaves a fresh incident.
    """
    instanz = _instanz_sperren(instanz.id)
    if instanz is None or instanz.zustand_art != VORFALL:
        raise Konflikt("Diese Instanz hat keinen Vorfall.")
    vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = _laden(instanz, vorgang, benutzer)
    meldung = "Erneut ausgeführt"
    if migrieren:
        meldung = _migrieren(lauf) or meldung
    instanz.zustand_art, instanz.vorfall_element, instanz.vorfall_text, instanz.vorfall_seit = AKTIV, None, None, None
    protokolliere(vorgang, "Vorfall erneut ausgeführt", benutzer, notiz=meldung)
    _weiterlaufen(lauf, timer=True, aktion=lambda: _neu_anstossen(lauf.workflow))
    _commit(lauf)
    return meldung if instanz.zustand_art != VORFALL else f"{meldung}; erneut fehlgeschlagen: {instanz.vorfall_text}"


def _neu_anstossen(wf: BpmnWorkflow) -> None:
    """Make failed steps run again: ERROR tasks become READY; a timer whose value failed is computed anew.

    A failing timer expression leaves its task FUTURE behind a COMPLETED parent (SpiffWorkflow raised while
    moving it to WAITING); updating such tasks again continues where the error stopped the engine.
    """
    for task in wf.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.READY)
    for task in _kaputte_timer(wf):
        task.internal_data.pop("event_value", None)
        task.internal_data.pop("event_fired", None)
    for task in wf.get_tasks(state=TaskState.FUTURE):
        if task.parent is not None and task.parent.state == TaskState.COMPLETED:
            task.task_spec._update(task)


def _migrieren(lauf: _Lauf) -> str | None:
    """Move the instance to the newest version of its procedure if no task of it was removed there."""
    from app.engine.serialisierung import REGISTRY

    alt = lauf.instanz.modell_version
    neu = registry.neueste_version(alt.key)
    if neu is None or neu.id == alt.id:
        return None
    neues_modell = registry.modell(neu)
    top_diff, sp_diffs = diff_workflow(REGISTRY, lauf.workflow, neues_modell.spec, neues_modell.subprocess_specs)
    if top_diff.removed or any(d is None or d.removed for d in sp_diffs.values()):
        return f"Version {neu.version} passt nicht zum Stand der Instanz (Schritte entfernt); bleibt auf {alt.version}"
    diff_dependencies(REGISTRY, lauf.workflow.subprocess_specs, neues_modell.subprocess_specs)
    migrate_workflow(top_diff, lauf.workflow, neues_modell.spec, reset_mask=TaskState.WAITING)
    lauf.workflow.subprocess_specs = neues_modell.subprocess_specs
    lauf.instanz.modell_version = neu
    lauf.instanz.modell_version_id = neu.id
    lauf.modell = neues_modell
    return f"Auf Version {neu.version} migriert und erneut ausgeführt"


def abbrechen(instanz: ProzessInstanz, benutzer: Benutzer | None, grund: str = "", *, commit: bool = True) -> None:
    """Cancel an instance (incident or running): no more tasks or timers; the Vorgang stays.

    Commits unless `commit=False` (e.g. inside a case action that verwirft or forwards the Vorgang).
    """
    instanz = _instanz_sperren(instanz.id)
    if instanz is None or instanz.zustand_art in (BEENDET, ABGEBROCHEN):
        raise Konflikt("Das Verfahren ist bereits beendet oder abgebrochen.")
    vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = _laden(instanz, vorgang, benutzer)
    lauf.workflow.cancel()
    instanz.zustand_art = ABGEBROCHEN
    protokolliere(vorgang, "Verfahren abgebrochen", benutzer, notiz=grund)
    if commit:
        _commit(lauf)
    else:
        _zurueckschreiben(lauf)
        db.session.flush()
