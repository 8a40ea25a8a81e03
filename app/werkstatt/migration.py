"""Migration of running instances to another version of their procedure: preview, then move, per instance.

Each open task and waiting event of an instance maps to the element with the same id in the target version, or to
the one the designer names; what cannot map (element missing, kind changed, inside a subprocess the target does
not have, a history the target version cannot hold) refuses that instance with the reason. Moving uses
SpiffWorkflow's `diff_workflow` and `migrate_workflow` (the same helpers as retrying an incident); open tasks keep
their id, data and what was computed when they were reached (candidate groups, due date, a timer's due time).
"""

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine import registry
from app.engine.aufgaben import element_info
from app.engine.models import AKTIV, VORFALL, ProzessInstanz, ProzessModellVersion
from app.engine.rollen import rollen_abbilden
from app.engine.runner import weiterlaufen
from app.engine.serialisierung import REGISTRY, zustand_laden, zustand_speichern
from app.engine.speicher import laden, speichern
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.werkstatt.entwuerfe import protokollieren

#: Who may migrate instances (of the Vorgänge of their own OEs).
ROLLEN = ("verfahrensdesign", "administration")
#: Task states of the steps an instance stands at.
OFFEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING
#: States of tasks that are history: their element must exist in the target, or the state cannot be loaded.
VERLAUF = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR
#: Most instances one migration moves.
MAX_INSTANZEN = 200


class KeineBerechtigung(Exception):
    """The user may not migrate instances (role), or not this one (another OE's Vorgang)."""


class MigrationAbgelehnt(Exception):
    """The request itself is not possible (same version, unknown version, nothing chosen); German message."""


@dataclass
class Schritt:
    """One open task or waiting event of an instance and where it goes in the target version."""

    element: str
    titel: str
    art: str
    ziel: str | None = None
    #: Why it cannot map (None: it maps)
    grund: str | None = None


@dataclass
class Vorschau:
    """The plan for one instance: its open steps, reasons that refuse it, and (after migrating) whether it moved."""

    instanz_id: int
    nummer: str
    schritte: list[Schritt] = field(default_factory=list)
    gruende: list[str] = field(default_factory=list)
    migriert: bool = False

    @property
    def moeglich(self) -> bool:
        """Every open step maps and nothing else refuses the instance."""
        return not self.alle_gruende()

    def alle_gruende(self) -> list[str]:
        """The reasons of the steps and of the instance, as sentences."""
        return [f"„{s.element}“: {s.grund}" for s in self.schritte if s.grund] + self.gruende


def darf_migrieren(benutzer: Benutzer) -> bool:
    """Only Verfahrensdesign and Administration migrate instances."""
    return benutzer.hat_rolle(*ROLLEN)


def version_laden(key: str, nummer: int | None) -> ProzessModellVersion | None:
    """A deployed version of a procedure by number."""
    if nummer is None:
        return None
    abfrage = select(ProzessModellVersion).where(
        ProzessModellVersion.key == key, ProzessModellVersion.version == nummer
    )
    return db.session.scalars(abfrage).first()


def laufende(version: ProzessModellVersion, benutzer: Benutzer) -> list[tuple[ProzessInstanz, Vorgang]]:
    """The running instances of a version whose Vorgänge the user may see, by Vorgangsnummer."""
    return list(
        db.session.execute(
            select(ProzessInstanz, Vorgang)
            .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
            .where(
                ProzessInstanz.modell_version_id == version.id,
                ProzessInstanz.zustand_art == AKTIV,
                Vorgang.oe_id.in_(benutzer.oe_ids),
            )
            .order_by(Vorgang.nummer)
            .limit(MAX_INSTANZEN)
        ).all()
    )


def _art(spec) -> str:
    """A task spec's kind as SpiffWorkflow describes it (BPMN terms, with the event type: „Timer Boundary Event“)."""
    return spec.description or spec.__class__.__name__


def _ebene(task, ziel: registry.GeladenesModell):
    """The target spec the task's level maps to: the process, or the subprocess of the same name (None: gone)."""
    if task.workflow is task.workflow.top_workflow:
        return ziel.spec
    return ziel.subprocess_specs.get(task.workflow.spec.name)


def _plan(workflow, ziel: registry.GeladenesModell, nummer: int, zuordnung: dict[str, str]):
    """`(schritte, gruende, plan)`: each open step with its target, the instance's refusals, and for `_umziehen` the
    open tasks' target specs with SpiffWorkflow's diffs of the process and its subprocesses."""
    schritte, gruende, ueberschreiben = [], [], {}
    for task in workflow.get_tasks(state=OFFEN):
        quelle = task.task_spec
        if not getattr(quelle, "bpmn_id", None):
            continue
        schritt = Schritt(quelle.bpmn_id, quelle.bpmn_name or quelle.bpmn_id, _art(quelle))
        schritte.append(schritt)
        ebene = _ebene(task, ziel)
        ziel_id = zuordnung.get(quelle.bpmn_id) or quelle.bpmn_id
        kandidat = ebene.task_specs.get(ziel_id) if ebene is not None else None
        if ebene is None:
            schritt.grund = f"liegt im Teilprozess „{task.workflow.spec.name}“, den es in Version {nummer} nicht gibt."
        elif kandidat is None or not getattr(kandidat, "bpmn_id", None):
            wie = "zugeordnete Element" if ziel_id != quelle.bpmn_id else "Element"
            schritt.grund = f"Das {wie} „{ziel_id}“ gibt es in Version {nummer} (auf dieser Ebene) nicht."
        elif _art(kandidat) != _art(quelle):
            schritt.grund = f"Art geändert: {_art(quelle)} → {_art(kandidat)}."
        else:
            schritt.ziel = kandidat.bpmn_id
            ueberschreiben[task] = kandidat
    try:
        top_diff, sp_diffs = diff_workflow(REGISTRY, workflow, ziel.spec, ziel.subprocess_specs)
    except Exception as error:  # noqa: BLE001 — a spec SpiffWorkflow cannot compare: refuse, with the reason
        return schritte, [f"Versionen nicht vergleichbar ({error.__class__.__name__}: {error})."], {}
    fehlend = sorted(
        {
            t.task_spec.bpmn_id
            for diff in [top_diff, *sp_diffs.values()]
            if diff is not None
            for t in diff.removed
            if t.has_state(VERLAUF) and getattr(t.task_spec, "bpmn_id", None)
        }
    )
    if fehlend:
        namen = ", ".join(f"„{e}“" for e in fehlend)
        gruende.append(f"Bereits durchlaufene Elemente fehlen in Version {nummer}: {namen}.")
    return schritte, gruende, (ueberschreiben, top_diff, sp_diffs)


def _umziehen(workflow, ziel: registry.GeladenesModell, plan) -> None:
    """Move the workflow onto the target specs, keeping each open task's id, data and internal data."""
    ueberschreiben, top_diff, sp_diffs = plan
    for task, spec in ueberschreiben.items():
        diff = top_diff if task.workflow is workflow else sp_diffs[task.workflow.parent_task_id]
        diff.alignment[task] = spec
    gesichert = {t.id: (dict(t.internal_data), dict(t.data)) for t in ueberschreiben}
    subprozesse = [(sp, ziel.subprocess_specs[sp.spec.name]) for sp in workflow.subprocesses.values()]
    migrate_workflow(top_diff, workflow, ziel.spec, reset_mask=TaskState.READY | TaskState.WAITING)
    for sp, spec in subprozesse:
        migrate_workflow(sp_diffs[sp.parent_task_id], sp, spec, reset_mask=TaskState.READY | TaskState.WAITING)
    workflow.subprocess_specs = ziel.subprocess_specs
    for task_id, (intern, daten) in gesichert.items():
        task = workflow.get_task_from_id(task_id)
        task.internal_data, task.data = intern, daten


def _pruefen(instanz: ProzessInstanz, vorgang: Vorgang, ziel: ProzessModellVersion, zuordnung: dict) -> Vorschau:
    """The preview of one instance: plan it and try the move in memory (the state must load on the target)."""
    vorschau = Vorschau(instanz.id, vorgang.nummer)
    ziel_modell = registry.modell(ziel)
    workflow = laden(instanz, vorgang, None).workflow  # with the script engine: timer expressions are evaluated
    vorschau.schritte, vorschau.gruende, plan = _plan(workflow, ziel_modell, ziel.version, zuordnung)
    if vorschau.moeglich:
        try:
            _umziehen(workflow, ziel_modell, plan)
            zustand_laden(zustand_speichern(workflow), ziel_modell.spec, ziel_modell.subprocess_specs)
        except Exception as error:  # noqa: BLE001 — whatever SpiffWorkflow refuses, the designer needs the reason
            vorschau.gruende.append(f"Zustand nicht übertragbar ({error.__class__.__name__}: {error}).")
    return vorschau


def _auswahl(
    key: str, von: int, nach: int, instanz_ids: list[int], benutzer: Benutzer
) -> tuple[ProzessModellVersion, list[tuple[ProzessInstanz, Vorgang]]]:
    """Check the request and load the chosen running instances of version `von` in the user's OEs."""
    if not darf_migrieren(benutzer):
        raise KeineBerechtigung("Instanzen migrieren dürfen nur Verfahrensdesign und Administration.")
    quelle, ziel = version_laden(key, von), version_laden(key, nach)
    if quelle is None or ziel is None:
        raise MigrationAbgelehnt("Bitte wählen Sie eine vorhandene Quell- und Zielversion.")
    if quelle.id == ziel.id:
        raise MigrationAbgelehnt("Quell- und Zielversion sind gleich.")
    if not instanz_ids:
        raise MigrationAbgelehnt("Bitte wählen Sie mindestens eine laufende Instanz.")
    gewaehlt = [(i, v) for i, v in laufende(quelle, benutzer) if i.id in set(instanz_ids)]
    if len(gewaehlt) != len(set(instanz_ids)):
        raise KeineBerechtigung(
            "Mindestens eine gewählte Instanz läuft nicht (mehr) in dieser Version oder ist "
            "nicht in Ihren Organisationseinheiten."
        )
    return ziel, gewaehlt


def vorschau(key: str, von: int, nach: int, instanz_ids: list[int], zuordnung: dict, benutzer: Benutzer):
    """The preview per chosen instance (nothing is written)."""
    ziel, gewaehlt = _auswahl(key, von, nach, instanz_ids, benutzer)
    return [_pruefen(instanz, vorgang, ziel, zuordnung) for instanz, vorgang in gewaehlt]


def _zeilen_nachziehen(lauf, ziel_modell) -> None:
    """Open-task rows of tasks that now stand at another element take that element's title and groups."""
    for zeile in lauf.instanz.aufgaben:
        task = lauf.offen.get(zeile.task_id)
        if task is None or zeile.element_id == task.task_spec.name:
            continue
        info = element_info(ziel_modell, task.task_spec)
        zeile.element_id, zeile.titel = task.task_spec.name, info["titel"][:300]
        zeile.kandidatengruppen = rollen_abbilden(task.internal_data.get("gruppen") or info["kandidatengruppen"])


def _eine(instanz_id: int, von: int, ziel: ProzessModellVersion, zuordnung: dict, benutzer: Benutzer) -> Vorschau:
    """Migrate one instance in a savepoint: all of it or nothing (a refusal or failure leaves it as it was)."""
    instanz, vorgang = db.session.execute(
        select(ProzessInstanz, Vorgang)
        .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
        .where(ProzessInstanz.id == instanz_id)
        .with_for_update(of=ProzessInstanz)
        .execution_options(populate_existing=True)
    ).one()
    if instanz.zustand_art != AKTIV or instanz.modell_version.version != von:  # changed since it was chosen
        return Vorschau(instanz.id, vorgang.nummer, gruende=[f"Läuft nicht mehr in Version {von}."])
    ergebnis = _pruefen(instanz, vorgang, ziel, zuordnung)
    if not ergebnis.moeglich:
        return ergebnis
    alt = instanz.modell_version.version
    try:
        with db.session.begin_nested():
            lauf = laden(instanz, vorgang, benutzer)
            ziel_modell = registry.modell(ziel)
            _, _, plan = _plan(lauf.workflow, ziel_modell, ziel.version, zuordnung)
            _umziehen(lauf.workflow, ziel_modell, plan)
            instanz.modell_version, lauf.modell = ziel, ziel_modell
            weiterlaufen(lauf)
            if instanz.zustand_art == VORFALL:
                raise RuntimeError(instanz.vorfall_text)
            speichern(lauf)
            _zeilen_nachziehen(lauf, ziel_modell)
            wohin = {s.element: s.ziel for s in ergebnis.schritte if s.ziel and s.ziel != s.element}
            notiz = "; ".join(f"{a} → {b}" for a, b in wohin.items())
            protokolliere(vorgang, "Verfahren migriert", benutzer, {"version": alt}, {"version": ziel.version}, notiz)
            db.session.flush()
    except Exception as error:  # noqa: BLE001 — all-or-nothing per instance: the savepoint is gone, say why
        db.session.expire(instanz)
        ergebnis.gruende.append(f"Migration fehlgeschlagen ({error.__class__.__name__}: {error}).")
        return ergebnis
    ergebnis.migriert = True
    return ergebnis


def migrieren(key: str, von: int, nach: int, instanz_ids: list[int], zuordnung: dict, benutzer: Benutzer):
    """Migrate the chosen instances from version `von` to `nach`; those that cannot map stay. Audit log; commits."""
    ziel, gewaehlt = _auswahl(key, von, nach, instanz_ids, benutzer)
    ergebnisse = [_eine(instanz.id, von, ziel, zuordnung, benutzer) for instanz, _vorgang in gewaehlt]
    migriert = [e.nummer for e in ergebnisse if e.migriert]
    abgelehnt = [e.nummer for e in ergebnisse if not e.migriert]
    protokollieren(key, "migriert", benutzer, von=von, version=nach, vorgaenge=migriert, abgelehnt=abgelehnt)
    db.session.commit()
    return ergebnisse
