"""Open user tasks: the rows inboxes read, the task view object, and who may work on a task."""

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import cast, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB, array

from app.auth.models import Benutzer
from app.database import is_postgres
from app.engine import registry
from app.engine.formular import Formularfeld, felder_aus_spec
from app.engine.juel import ist_juel
from app.engine.models import AKTIV, ProzessAufgabe, ProzessInstanz, ProzessModellVersion
from app.engine.registry import GeladenesModell
from app.engine.rollen import rollen_abbilden
from app.extensions import db
from app.vorgaenge.models import Vorgang


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


def element_info(modell: GeladenesModell, task_spec) -> dict:
    """Title, documentation, form fields, candidate groups and assignee of a user task (cached per version)."""
    info = modell.abgeleitet.get(task_spec.name)
    if info is None:
        ext = getattr(task_spec, "extensions", None) or {}
        roh = ext.get("candidateGroups", "")
        gruppen = [] if ist_juel(roh) else [g.strip().lower() for g in roh.split(",") if g.strip()]
        if not roh and task_spec.lane:
            gruppen = [task_spec.lane.strip().lower()]
        info = {
            "titel": task_spec.bpmn_name or task_spec.name,
            "dokumentation": task_spec.documentation or "",
            "felder": felder_aus_spec(task_spec),
            "kandidatengruppen": gruppen,
            "assignee": ext.get("assignee"),
        }
        modell.abgeleitet[task_spec.name] = info
    return info


def offene_usertasks(workflow: BpmnWorkflow) -> list:
    """READY tasks a person completes, in the whole workflow (subprocesses included): user tasks, and
    `bpmn:task`/`manualTask`, which appear as confirm-only tasks."""
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def task_spec_finden(modell: GeladenesModell, element_id: str):
    """The task spec of an element in the process or any of its subprocesses (BPMN ids are unique per file)."""
    spec = modell.spec.task_specs.get(element_id)
    if spec is not None:
        return spec
    for sub in modell.subprocess_specs.values():
        spec = sub.task_specs.get(element_id)
        if spec is not None:
            return spec
    raise LookupError(f"Element „{element_id}“ gibt es im Modell nicht.")


def neue_zeile(modell: GeladenesModell, vorgang_id: int, task) -> ProzessAufgabe:
    """The open-task row of a READY user task."""
    info = element_info(modell, task.task_spec)
    faellig = task.internal_data.get("faellig")
    return ProzessAufgabe(
        task_id=str(task.id),
        vorgang_id=vorgang_id,
        element_id=task.task_spec.name,
        titel=info["titel"][:300],
        kandidatengruppen=rollen_abbilden(task.internal_data.get("gruppen") or info["kandidatengruppen"]),
        zugewiesen_an=task.internal_data.get("zugewiesen", info["assignee"]),
        faellig=datetime.fromisoformat(faellig) if faellig else None,
    )


def _aufgabe_aus_zeile(zeile: ProzessAufgabe, modell: GeladenesModell) -> Aufgabe:
    """Combine the open-task row with the form of its element."""
    info = element_info(modell, task_spec_finden(modell, zeile.element_id))
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


def darf_aufgabe_bearbeiten(benutzer: Benutzer, zeile: ProzessAufgabe, oe_id: int) -> bool:
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
            or_(ProzessAufgabe.zugewiesen_an == benutzer.login, hat_kandidatenrolle(list(benutzer.rollen or []))),
        )
    if limit is not None:
        query = query.limit(limit)
    modelle: dict[int, GeladenesModell] = {}
    ergebnis = []
    for zeile, oe_id, version_id in db.session.execute(query):
        if benutzer is not None and not darf_aufgabe_bearbeiten(benutzer, zeile, oe_id):
            continue  # the SQL filter already did this; the same rule as for completing, kept in one place
        if version_id not in modelle:
            modelle[version_id] = registry.modell(db.session.get(ProzessModellVersion, version_id))
        ergebnis.append(_aufgabe_aus_zeile(zeile, modelle[version_id]))
    return ergebnis


def hat_kandidatenrolle(rollen: list[str]):
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
    return _aufgabe_aus_zeile(zeile, registry.modell(zeile.instanz.modell_version))
