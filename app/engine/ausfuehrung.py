"""Running a loaded instance to its next wait state: the effects of reached elements (status, dates, groups) and
messages thrown to other instances.

`weiterlaufen` is the one place the engine steps run; `empfangen` lets an instance catch a message. A message
that the throwing instance does not catch itself goes to the instances its correlation names
(`app.engine.korrelation`), within the same transaction; their failures become their own incidents.
"""

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.engine.aufgaben import offene_usertasks
from app.engine.juel import ist_juel
from app.engine.korrelation import empfaenger
from app.engine.serialisierung import ist_speicherbar
from app.engine.skripte import frist_berechnen
from app.engine.speicher import MIT_WIEDERVORLAGE, Lauf, speichern
from app.engine.vorfaelle import festgefahren, vorfall_setzen
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import Status, UngueltigerStatuswechsel
from app.wiedervorlagen.service import wiedervorlage_anlegen

#: internal_data key marking that the "reached" effects (status, Wiedervorlage, due date) were applied.
ERREICHT = "amtsfluss_erreicht"


def _titel(task) -> str:
    """The element's name, or its id."""
    return task.task_spec.bpmn_name or task.task_spec.name


def _status_anwenden(lauf: Lauf, task) -> None:
    """Apply a `status` property of an element that was reached (once per task)."""
    ziel = (getattr(task.task_spec, "extensions", None) or {}).get("status")
    if task.internal_data.get(ERREICHT) or (not ziel and not task.task_spec.manual):
        return  # the marker only where it matters: it is stored with every task of the state
    task.internal_data[ERREICHT] = True
    if not ziel or lauf.vorgang.status == ziel:
        return
    try:
        status_setzen(lauf.vorgang, Status(ziel), lauf.benutzer, notiz=f"Verfahrensschritt „{_titel(task)}“")
    except UngueltigerStatuswechsel as error:
        # A caseworker may have changed the status by hand; the procedure goes on and the Historie says why.
        protokolliere(lauf.vorgang, "Status nicht geändert", lauf.benutzer, notiz=f"{error} ({_titel(task)})")


def _usertask_erreicht(lauf: Lauf, task) -> None:
    """Effects of reaching a user task: status, due date, Wiedervorlage from camunda:followUpDate."""
    if task.internal_data.get(ERREICHT):
        return
    ext = getattr(task.task_spec, "extensions", None) or {}
    engine = lauf.workflow.script_engine
    if ist_juel(ext.get("candidateGroups")):
        wert = engine.evaluate(task, ext["candidateGroups"])
        werte = wert if isinstance(wert, (list, tuple)) else str(wert or "").split(",")
        task.internal_data["gruppen"] = [str(g).strip().lower() for g in werte if str(g).strip()]
    if ist_juel(ext.get("assignee")):
        task.internal_data["zugewiesen"] = str(engine.evaluate(task, ext["assignee"]) or "").strip()[:80] or None
    if ext.get("dueDate"):
        task.internal_data["faellig"] = frist_berechnen(engine.evaluate(task, ext["dueDate"]), utcnow()).isoformat()
    if ext.get("followUpDate"):
        frist = frist_berechnen(engine.evaluate(task, ext["followUpDate"]), utcnow())
        betreff, von = f"Wiedervorlage: {_titel(task)}", lauf.benutzer
        wiedervorlage_anlegen(
            lauf.vorgang, betreff, frist, beschreibung="Aus dem Verfahren", erstellt_von=von, schritt=str(task.id)
        )
        task.internal_data[MIT_WIEDERVORLAGE] = True  # leaving the step then closes it (`speicher.speichern`)
    _status_anwenden(lauf, task)


def weiterlaufen(lauf: Lauf, timer: bool = False, aktion=None, unterwegs: frozenset = frozenset()) -> None:
    """Run `aktion` (completing a task, catching a message), then the engine to the next wait state.

    Messages the model throws and nobody in this instance catches go to other instances (`_weitergeben`);
    `unterwegs` holds the instances already running in this call chain, which never receive them. Any exception
    from the model (script, condition, timer expression) becomes an incident; the Vorgang is kept.
    """
    wf = lauf.workflow
    ausgehend: list = []

    def nach_schritt(task) -> None:
        _status_anwenden(lauf, task)
        if wf.bpmn_events:
            ausgehend.extend((task, e) for e in _nachrichten_herausnehmen(wf))

    try:
        if aktion is not None:
            aktion()
        if timer:
            wf.refresh_timers()
        wf.do_engine_steps(did_complete_task=nach_schritt)
        lauf.offen = {}
        for task in offene_usertasks(wf):
            _usertask_erreicht(lauf, task)
            lauf.offen[str(task.id)] = task
        if (fest := festgefahren(wf, lauf.offen)) is not None:
            raise fest
        if ausgehend:
            _weitergeben(lauf, ausgehend, unterwegs | {lauf.instanz.id})
    except (StaleDataError, OperationalError):
        raise  # a database race is a conflict for the caller, not an incident of the procedure
    except Exception as error:  # noqa: BLE001 — scripts and expressions can raise anything
        vorfall_setzen(lauf, error)


def _nachrichten_herausnehmen(wf) -> list:
    """Take the thrown messages nobody in the instance caught out of the workflow's outgoing events."""
    nachrichten = [e for e in wf.bpmn_events if isinstance(e.event_definition, MessageEventDefinition)]
    wf.bpmn_events = [e for e in wf.bpmn_events if e not in nachrichten]
    return nachrichten


def _weitergeben(lauf: Lauf, ausgehend: list, unterwegs: frozenset) -> None:
    """Deliver messages thrown in `lauf` to the other instances waiting for them (all that match).

    The thrower's `camunda:properties` say where to: `businessKey` (expression → Vorgangsnummer) and/or
    `correlationKey` (names of process variables, comma-separated, whose values the receiver must share). Without
    either the message was meant for the own instance, which did not wait for it. No receiver is not an error: a
    line in the instance log says so and the procedure goes on.
    """
    engine = lauf.workflow.script_engine
    for task, ereignis in ausgehend:
        ext = getattr(task.task_spec, "extensions", None) or {}
        name = ereignis.event_definition.name
        nummer = str(engine.evaluate(task, ext["businessKey"])) if ext.get("businessKey") else None
        namen = [n.strip() for n in (ext.get("correlationKey") or "").split(",") if n.strip()]
        schluessel = {n: task.data.get(n) for n in namen}
        daten = (ereignis.payload or {}).get("payload")
        daten = {} if daten is None else daten
        if not ist_speicherbar(daten):
            raise ValueError(f"Die Daten der Nachricht „{name}“ können nicht gespeichert werden.")
        treffer = []
        if nummer is not None or namen:  # without either the message was for the own instance only
            treffer = empfaenger(name, vorgangsnummer=nummer, schluessel=schluessel, ausser=unterwegs)
        for empfaenger_lauf, definition in treffer:
            empfangen(empfaenger_lauf, definition, daten, unterwegs, von=lauf.vorgang.nummer)
        ziel = ", ".join([f"Vorgang {nummer}"] * bool(nummer) + [f"{n} = {schluessel[n]!r}" for n in namen])
        _protokoll(lauf, f"Nachricht „{name}“ ({ziel or 'ohne Korrelation'}): {len(treffer)} Empfänger")


def empfangen(lauf: Lauf, definition, daten, unterwegs: frozenset = frozenset(), von: str | None = None) -> None:
    """Let the loaded instance catch the message of `definition` with `daten`, run on and save it (flush)."""
    payload = {"payload": daten, "result_var": getattr(definition, "result_var", None) or "nachricht"}
    nachher = {"nachricht": definition.name, **({"von": von} if von else {})}
    protokolliere(lauf.vorgang, "Nachricht eingegangen", nachher=nachher)
    weiterlaufen(lauf, aktion=lambda: lauf.workflow.catch(BpmnEvent(definition, payload=payload)), unterwegs=unterwegs)
    speichern(lauf)
    db.session.flush()


def _protokoll(lauf: Lauf, zeile: str) -> None:
    """A line in the instance's own log (as `print` of a script)."""
    kontext = lauf.workflow.script_engine.environment.kontext
    if kontext is not None:
        kontext.drucken(zeile)
