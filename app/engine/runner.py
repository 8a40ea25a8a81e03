"""Running procedures: start, complete a task, messages, timers, retry and cancel.

Every function works in the caller's session and writes through the ORM. Concurrency: the instance row is locked
with `SELECT … FOR UPDATE` (PostgreSQL) and carries a version counter (`version_id_col`), so of two concurrent
completions of one task exactly one wins and the other gets `Konflikt` — also on SQLite, where the version check
catches what the missing row lock lets through.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import diff_dependencies, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Benutzer
from app.engine import registry
from app.engine.aufgaben import darf_aufgabe_bearbeiten, element_info
from app.engine.ausfuehrung import empfangen, weiterlaufen
from app.engine.dienstaufgabe import DienstFehler, extern_offen
from app.engine.formular import anzeigen, pruefen
from app.engine.korrelation import empfaenger
from app.engine.models import ABGEBROCHEN, AKTIV, BEENDET, VORFALL, ExterneAufgabe, ProzessAufgabe, ProzessInstanz
from app.engine.routing import ALLGEMEIN, verfahren_fuer
from app.engine.serialisierung import REGISTRY, ist_speicherbar
from app.engine.skripte import Kontext, script_engine
from app.engine.speicher import Lauf, instanz_sperren, laden, speichern
from app.engine.vorfaelle import neu_anstossen, vorfall_loeschen, vorfall_setzen
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang

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


def lauf_committen(lauf: Lauf) -> None:
    """Save the run and commit; a lost race on the instance row (version check or lock timeout) is `Konflikt`."""
    try:
        speichern(lauf)
        db.session.commit()
    except (StaleDataError, OperationalError) as error:
        db.session.rollback()
        raise Konflikt(KONFLIKT_TEXT) from error


# --------------------------------------------------------------------------------------------------- public API


def start(vorgang: Vorgang, verfahren_key: str | None = None) -> ProzessInstanz:
    """Start the procedure of a Vorgang and run it to its first wait state; flushes, the caller commits.

    Without a key the routing file decides; a routed procedure that is not deployed falls back to the general one.
    """
    key = verfahren_key or verfahren_fuer(vorgang.formular_id, vorgang.leika_ids)
    version = registry.aktuelle_version(key)
    if version is None and verfahren_key is None:
        version = registry.aktuelle_version(ALLGEMEIN)
    if version is None or version.key.startswith(registry.DMN_PRAEFIX):
        raise KeinVerfahren(f"Das Verfahren „{key}“ ist nicht deployt.")
    if vorgang.id is None:
        db.session.flush()
    modell = registry.modell(version)
    workflow = BpmnWorkflow(modell.spec, modell.subprocess_specs)
    workflow.script_engine = script_engine(Kontext(vorgang, None))
    instanz = ProzessInstanz(vorgang_id=vorgang.id, modell_version_id=version.id, zustand_art=AKTIV, aufgaben=[])
    protokolliere(vorgang, "Verfahren gestartet", nachher={"verfahren": version.name, "version": version.version})
    lauf = Lauf(instanz, vorgang, None, modell, workflow)
    # added after the first steps: their autoflushes must not write the instance before it has a state
    weiterlaufen(lauf)
    speichern(lauf)
    db.session.add(instanz)
    try:
        db.session.flush()
    except IntegrityError as error:  # the unique vorgang_id: a second start (the caller must roll back)
        raise Konflikt("Für diesen Vorgang läuft bereits ein Verfahren.") from error
    return instanz


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


def _gesperrt_laden(zeilenart, task_id: str):
    """A task row (user or external task) with its Vorgang and its instance, the instance locked until commit
    (PostgreSQL) and all loaded fresh; None when the row is gone."""
    return db.session.execute(
        select(zeilenart, Vorgang, ProzessInstanz)
        .join(Vorgang, Vorgang.id == zeilenart.vorgang_id)
        .join(ProzessInstanz, ProzessInstanz.id == zeilenart.instanz_id)
        .where(zeilenart.task_id == str(task_id))
        .with_for_update(of=ProzessInstanz)
        .execution_options(populate_existing=True)
    ).first()


def _abschliessen(task_id: str, daten: dict[str, str], benutzer: Benutzer) -> None:
    """The body of `abschliessen`."""
    # One query for the task row, its Vorgang and its instance, locked until commit (PostgreSQL) and loaded fresh;
    # a completion that won meanwhile shows up below as a task that is no longer READY, or at the version check.
    gefunden = _gesperrt_laden(ProzessAufgabe, task_id)
    if gefunden is None:
        raise Konflikt("Die Aufgabe ist nicht mehr offen.")
    zeile, vorgang, instanz = gefunden
    if not darf_aufgabe_bearbeiten(benutzer, zeile, vorgang.oe_id):
        raise KeineBerechtigung("Sie dürfen diese Aufgabe nicht erledigen.")
    if instanz.zustand_art != AKTIV:
        raise Konflikt("Das Verfahren dieses Vorgangs läuft nicht (beendet, abgebrochen oder mit Vorfall).")
    lauf = laden(instanz, vorgang, benutzer)
    try:
        task = lauf.workflow.get_task_from_id(UUID(str(task_id)))
    except Exception:  # noqa: BLE001 — TaskNotFoundException or a malformed id
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise Konflikt("Die Aufgabe ist nicht mehr offen.")
    info = element_info(lauf.modell, task.task_spec)
    werte, fehler = pruefen(info["felder"], daten, task.data)
    if fehler:
        raise FormularFehler(fehler)
    task.set_data(**werte)
    protokolliere(
        vorgang,
        "Aufgabe erledigt",
        benutzer,
        nachher={f.label: anzeigen(werte.get(f.id)) for f in info["felder"]},
        notiz=info["titel"],
    )
    weiterlaufen(lauf, aktion=task.run)
    speichern(lauf)
    db.session.commit()


def nachricht(vorgang: Vorgang, name: str, daten: dict) -> bool:
    """Deliver an external message (e.g. „Nachricht vom Antragsteller“) to the Vorgang's waiting instance.

    Returns False when no instance waits for a message of that name. The data land in the task data under the
    event's `camunda:resultVariable`, or `nachricht`. Flushes; the caller commits.
    """
    try:
        return nachricht_senden(name, daten, vorgangsnummer=vorgang.nummer) == 1
    except KeinEmpfaenger:
        return False


class KeinEmpfaenger(LookupError):
    """No instance waits for the message (with these keys)."""


class MehrereEmpfaenger(Exception):
    """Several instances wait for a message meant for exactly one."""


def nachricht_senden(
    name: str, daten: dict, *, vorgangsnummer: str | None = None, schluessel: dict | None = None, alle: bool = False
) -> int:
    """Correlate a message like Camunda 7: to the instances waiting for `name`, of the Vorgang `vorgangsnummer`
    (business key) and/or whose process variables equal `schluessel`; returns how many received it.

    `alle=False` (Camunda's `correlate`) wants exactly one receiver: none → KeinEmpfaenger, several →
    MehrereEmpfaenger, and nothing is delivered. `alle=True` (`correlateAll`) delivers to every match, none →
    KeinEmpfaenger. Flushes; the caller commits (or rolls back after an exception).
    """
    if not ist_speicherbar(daten):
        raise ValueError("Die Nachrichtendaten enthalten Werte, die nicht gespeichert werden können.")
    treffer = empfaenger(name, vorgangsnummer=vorgangsnummer, schluessel=schluessel)
    wo = "".join([f" (Vorgang {vorgangsnummer})"] * bool(vorgangsnummer)) + "".join(
        f" ({k} = {v!r})" for k, v in (schluessel or {}).items()
    )
    if not treffer:
        raise KeinEmpfaenger(f"Kein Verfahren wartet auf die Nachricht „{name}“{wo}.")
    if len(treffer) > 1 and not alle:
        raise MehrereEmpfaenger(
            f"{len(treffer)} Verfahren warten auf die Nachricht „{name}“{wo}; genauer korrelieren "
            "(Vorgangsnummer oder weitere Schlüssel) oder an alle senden."
        )
    for lauf, definition in treffer:
        empfangen(lauf, definition, daten)
    return len(treffer)


def _extern_laden(task_id: str):
    """The row, Vorgang and locked instance of an external task, and the STARTED task in the loaded workflow."""
    gefunden = _gesperrt_laden(ExterneAufgabe, task_id)
    if gefunden is None or gefunden[2].zustand_art != AKTIV:
        raise Konflikt("Die externe Aufgabe ist nicht mehr offen.")
    zeile, vorgang, instanz = gefunden
    lauf = laden(instanz, vorgang, None)
    task = extern_offen(lauf.workflow).get(zeile.task_id)
    if task is None:
        raise Konflikt("Die externe Aufgabe ist nicht mehr offen.")
    return zeile, lauf, task


def extern_abschliessen(task_id: str, daten: dict) -> None:
    """A worker completed an external task: its variables go into the task data, the procedure runs on. Commits."""
    zeile, lauf, task = _extern_laden(task_id)
    task.set_data(**daten)
    protokolliere(lauf.vorgang, "Externe Aufgabe erledigt", nachher={"thema": zeile.thema}, notiz=zeile.worker_id)
    weiterlaufen(lauf, aktion=task.complete)
    lauf_committen(lauf)


def extern_fehlschlag(task_id: str, text: str, versuche: int | None, warten_ms: int = 0) -> None:
    """A worker reports a failure: keep the retries left; none left makes the instance an incident. Commits."""
    zeile, lauf, task = _extern_laden(task_id)
    zeile.fehler_text, zeile.versuche_uebrig = text, versuche
    zeile.gesperrt_bis = utcnow() + timedelta(milliseconds=max(0, warten_ms)) if warten_ms else None
    if versuche == 0:
        fehler = DienstFehler(f"Externe Aufgabe „{zeile.thema}“ ohne weitere Versuche fehlgeschlagen: {text}")
        fehler.task = task
        vorfall_setzen(lauf, fehler)
    lauf_committen(lauf)


def timer_ausfuehren(instanz: ProzessInstanz, vorgang: Vorgang | None = None) -> None:
    """Refresh the timers of one (claimed) instance and run on (no flush, no commit; the batch flushes)."""
    if vorgang is None:
        vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = laden(instanz, vorgang, None)
    weiterlaufen(lauf, timer=True)
    speichern(lauf)


def timer_vorfall(instanz: ProzessInstanz, vorgang: Vorgang, error: Exception) -> None:
    """Mark an instance whose timer run failed outside the model as an incident; its timers stop."""
    vorfall_setzen(laden(instanz, vorgang, None), error)
    instanz.next_timer_due = None


def wiederholen(instanz: ProzessInstanz, benutzer: Benutzer | None, migrieren: bool = True) -> str:
    """Retry an incident: move to the newest version where the diff allows, reset failed tasks, run on. Commits.

    Returns a German summary for the admin page. A retry that fails again leaves a fresh incident.
    """
    instanz = instanz_sperren(instanz.id)
    if instanz is None or instanz.zustand_art != VORFALL:
        raise Konflikt("Diese Instanz hat keinen Vorfall.")
    vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = laden(instanz, vorgang, benutzer)
    meldung = "Erneut ausgeführt"
    if migrieren:
        meldung = _migrieren(lauf) or meldung
    vorfall_loeschen(instanz)
    protokolliere(vorgang, "Vorfall erneut ausgeführt", benutzer, notiz=meldung)
    weiterlaufen(lauf, timer=True, aktion=lambda: neu_anstossen(lauf.workflow))
    lauf_committen(lauf)
    return meldung if instanz.zustand_art != VORFALL else f"{meldung}; erneut fehlgeschlagen: {instanz.vorfall_text}"


def _migrieren(lauf: Lauf) -> str | None:
    """Move the instance to the newest version of its procedure if no task of it was removed there."""
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
    lauf.modell = neues_modell
    return f"Auf Version {neu.version} migriert und erneut ausgeführt"


def abbrechen(instanz: ProzessInstanz, benutzer: Benutzer | None, grund: str = "", *, commit: bool = True) -> None:
    """Cancel an instance (incident or running): no more tasks or timers; the Vorgang stays.

    Commits unless `commit=False` (e.g. inside a case action that verwirft or forwards the Vorgang).
    """
    instanz = instanz_sperren(instanz.id)
    if instanz is None or instanz.zustand_art in (BEENDET, ABGEBROCHEN):
        raise Konflikt("Das Verfahren ist bereits beendet oder abgebrochen.")
    vorgang = db.session.get(Vorgang, instanz.vorgang_id)
    lauf = laden(instanz, vorgang, benutzer)
    lauf.workflow.cancel()
    instanz.zustand_art = ABGEBROCHEN
    protokolliere(vorgang, "Verfahren abgebrochen", benutzer, notiz=grund)
    if commit:
        lauf_committen(lauf)
    else:
        speichern(lauf)
        db.session.flush()


def bei_verwerfen(vorgang: Vorgang, benutzer: Benutzer | None = None, grund: str = "", **_kwargs) -> None:
    """Receiver of `vorgang_verworfen`: cancel the Vorgang's procedure if it still runs (no commit)."""
    instanz = db.session.scalars(
        select(ProzessInstanz).where(
            ProzessInstanz.vorgang_id == vorgang.id, ProzessInstanz.zustand_art.not_in((BEENDET, ABGEBROCHEN))
        )
    ).first()
    if instanz is not None:
        abbrechen(instanz, benutzer, grund, commit=False)
