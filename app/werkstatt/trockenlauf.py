"""Dry run of a draft on recorded cases: replay the steps of the last finished Vorgänge of the procedure.

For each finished instance the recorded state gives the completed elements in order and, per user task, the
submitted form values; the draft runs in memory (app.werkstatt.probelauf) with the Vorgang's form data and these
inputs, each at its recorded time on the run's clock. Reported per case: another path, a task that no longer exists or
is not open, a form value the draft refuses (e.g. a new required field), a script error, a timer that would fire
earlier or later. Nothing is written.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine import registry
from app.engine.formular import felder_aus_spec
from app.engine.models import BEENDET, ProzessInstanz, ProzessModellVersion
from app.engine.serialisierung import zustand_laden
from app.engine.skripte import flach
from app.extensions import db
from app.vorgaenge.models import Vorgang
from app.werkstatt.probelauf import ausfuehren, parsen
from app.werkstatt.probeuhr import BEWEGLICH, Probeuhr

#: How many recorded cases a dry run replays at most.
MAX_FAELLE = 100


@dataclass
class Fall:
    """The dry-run result of one recorded Vorgang; `nummer` is None when the viewer may not see that Vorgang."""

    nummer: str | None
    version: int
    schritte: int
    abweichungen: list[str] = field(default_factory=list)


def _als_text(wert) -> str:
    """A stored task-data value as the task form would receive it."""
    if isinstance(wert, bool):
        return "true" if wert else "false"
    if isinstance(wert, (date, datetime)):
        return wert.isoformat()[:10]
    return "" if wert is None else str(wert)


def aufzeichnung(instanz: ProzessInstanz) -> tuple[list[str], list[dict]]:
    """The completed elements of an instance in order, and its user-task inputs and fired timers as test-run steps,
    each with its time (`nach`: seconds after the start)."""
    modell = registry.modell(instanz.modell_version)
    workflow = zustand_laden(instanz.zustand, modell.spec, modell.subprocess_specs)
    erledigt = [
        t for t in workflow.get_tasks(state=TaskState.COMPLETED) if getattr(t.task_spec, "bpmn_id", None) is not None
    ]
    erledigt.sort(key=lambda t: t.last_state_change)
    schritte = []
    beginn = erledigt[0].last_state_change if erledigt else 0
    for task in erledigt:
        nach = round(task.last_state_change - beginn)
        if isinstance(task.task_spec, UserTask):
            felder = [f for f in felder_aus_spec(task.task_spec) if not f.readonly and f.id in task.data]
            daten = {f.id: _als_text(task.data[f.id]) for f in felder}
            schritte.append({"element": task.task_spec.bpmn_id, "daten": daten, "nach": nach})
        elif isinstance(getattr(task.task_spec, "event_definition", None), BEWEGLICH):
            # its due time, not when the scheduler's tick got to it
            faellig = Probeuhr.faellig(task)
            nach = (faellig.timestamp() - beginn) if faellig is not None else nach
            schritte.append({"timer": task.task_spec.bpmn_id, "nach": round(nach)})
    schritte.sort(key=lambda schritt: schritt["nach"])
    return [t.task_spec.bpmn_id for t in erledigt], schritte


def _spanne(sekunden: float) -> str:
    """A span of time in days and hours, for people."""
    tage, rest = divmod(round(sekunden), 86400)
    return f"{tage} Tage {rest // 3600} Std." if tage else f"{rest // 3600} Std. {rest % 3600 // 60} Min."


def _timer_abweichungen(timer: list[dict]) -> list[str]:
    """Timers of the draft that fire before the recorded case's next step, or only after the recorded time."""
    abweichungen = []
    for t in timer:
        if not t["angefordert"]:
            abweichungen.append(
                f"Timer „{t['element']}“ würde auslösen, was im Vorgang nicht geschah: {_spanne(t['nach'])} nach dem "
                f"Start, vor Schritt {t['schritt']}."
            )
        elif t["vorzeitig"] > 1:
            abweichungen.append(
                f"Timer „{t['element']}“ würde früher auslösen: {_spanne(t['vorzeitig'])} vor dem aufgezeichneten "
                f"Zeitpunkt (Schritt {t['schritt']})."
            )
        elif t["verspaetung"] > 1:
            abweichungen.append(
                f"Timer „{t['element']}“ würde später auslösen: {_spanne(t['verspaetung'])} nach dem "
                f"aufgezeichneten Zeitpunkt (Schritt {t['schritt']})."
            )
    return abweichungen


def _vergleichen(alt: list[str], neu: list[str]) -> str | None:
    """Where the draft's path leaves the recorded one (None when they are equal)."""
    if alt == neu:
        return None
    for index, (a, n) in enumerate(zip(alt, neu, strict=False)):
        if a != n:
            return f"Anderer Pfad ab Element {index + 1}: bisher „{a}“, im Entwurf „{n}“."
    if len(neu) < len(alt):
        return f"Der Entwurf endet früher: „{alt[len(neu)]}“ wird nicht mehr erreicht."
    return f"Der Entwurf geht weiter: zusätzlich „{neu[len(alt)]}“."


def fall_pruefen(xml: bytes | tuple, instanz: ProzessInstanz, vorgang: Vorgang, sichtbar: bool) -> Fall:
    """Replay one recorded case against the draft and list the differences."""
    pfad_alt, schritte = aufzeichnung(instanz)
    fall = Fall(vorgang.nummer if sichtbar else None, instanz.modell_version.version, len(schritte))
    ergebnis = ausfuehren(xml, flach(vorgang.formulardaten), schritte)
    if ergebnis.fehler:
        meldung = ergebnis.fehler["meldung"]
        if not sichtbar and ergebnis.fehler.get("element"):
            meldung = f"[{ergebnis.fehler['element']}] {meldung.split(':')[0]}"  # no values of a foreign case
        fall.abweichungen.append(meldung)
    for feld, meldung in ergebnis.feldfehler.items():
        fall.abweichungen.append(f"Feld „{feld}“: {meldung}")
    fall.abweichungen += _timer_abweichungen(ergebnis.timer)
    if not ergebnis.fehler and (abweichung := _vergleichen(pfad_alt, ergebnis.pfad)):
        fall.abweichungen.append(abweichung)
    if not ergebnis.fehler and not ergebnis.beendet:
        offen = ", ".join(o.element for o in ergebnis.offen) or "ein Ereignis"
        fall.abweichungen.append(f"Der Entwurf wäre noch nicht beendet (wartet auf {offen}).")
    return fall


def trockenlauf(key: str, xml: bytes, benutzer: Benutzer, anzahl: int = 20) -> list[Fall]:
    """The dry run of `xml` on the last `anzahl` finished Vorgänge of the procedure, newest first."""
    zeilen = db.session.execute(
        select(ProzessInstanz, Vorgang)
        .join(ProzessModellVersion, ProzessModellVersion.id == ProzessInstanz.modell_version_id)
        .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
        .where(ProzessModellVersion.key == key, ProzessInstanz.zustand_art == BEENDET)
        .order_by(ProzessInstanz.geaendert_am.desc(), ProzessInstanz.id.desc())
        .limit(max(1, min(anzahl, MAX_FAELLE)))
    ).all()
    sichtbar, modell = set(benutzer.oe_ids), parsen(xml)
    return [fall_pruefen(modell, instanz, vorgang, vorgang.oe_id in sichtbar) for instanz, vorgang in zeilen]
