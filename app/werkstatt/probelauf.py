"""Test runs of a draft, in memory: start with sample form data, complete tasks, see the path and the variables.

No Vorgang, no database row, no mail: the scripts get an API with the same names as in a real run
(app.engine.skripte.Kontext) that records what it would do. A run is replayed from its start data and the list of
task inputs every time, so a test case is just that list plus what is expected (`pfad`, `beendet`). A step is a
task input (`element`, `daten`), a timer that fires (`timer`) or time that passes (`zeit`, ISO 8601 duration), on
the run's own clock (app.werkstatt.probeuhr); `nach` (seconds after the start) sets a step's time.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from app.engine.aufgaben import offene_usertasks
from app.engine.formular import Formularfeld, felder_aus_spec, pruefen
from app.engine.registry import modell_parsen
from app.engine.skripte import AmtsflussUmgebung, SkriptFehler, frist_berechnen, iso, tage
from app.engine.validierung import ModellUngueltig
from app.timeutil import heute
from app.vorgaenge.status import Status
from app.werkstatt.probeuhr import Probeuhr, dauer

#: Most steps a test run replays (a loop in the model must not keep a request busy).
MAX_SCHRITTE = 200


@dataclass
class OffeneAufgabe:
    """A user task waiting for input in the test run."""

    element: str
    titel: str
    felder: list[Formularfeld]


@dataclass
class Ergebnis:
    """Where a test run stands: path taken, open tasks, variables, recorded effects, errors."""

    pfad: list[str] = field(default_factory=list)
    offen: list[OffeneAufgabe] = field(default_factory=list)
    variablen: dict = field(default_factory=dict)
    protokoll: list[str] = field(default_factory=list)
    beendet: bool = False
    #: A model or step error: {"element": id or None, "meldung": text}
    fehler: dict | None = None
    #: Field errors of the last step's input (field id → message); that step was not applied.
    feldfehler: dict = field(default_factory=dict)
    #: `(von, nach)` element pairs the run went along (for the coverage of sequence flows).
    uebergaenge: list[tuple[str, str]] = field(default_factory=list)
    #: Timers that fired: {"element", "schritt", "zeit" (ISO), "nach": seconds after the start, "angefordert": a step
    #: asked for it, "verspaetung": seconds the clock had to go past the step's time for it, "vorzeitig": seconds it
    #: fired before the time of the step that asked for it}
    timer: list[dict] = field(default_factory=list)
    #: Timers still waiting: {"element", "faellig" (ISO)}
    wartende_timer: list[dict] = field(default_factory=list)

    def als_dict(self) -> dict:
        """JSON-ready form (for the modeler and for export)."""
        return {
            "pfad": self.pfad,
            "offen": [{"element": o.element, "titel": o.titel} for o in self.offen],
            "variablen": self.variablen,
            "protokoll": self.protokoll,
            "beendet": self.beendet,
            "fehler": self.fehler,
            "feldfehler": self.feldfehler,
            "timer": self.timer,
            "wartende_timer": self.wartende_timer,
        }


class ProbeKontext:
    """The script API of a test run: reads the sample form data, records every effect instead of doing it."""

    def __init__(self, startdaten: dict, protokoll: list[str], uhr: Probeuhr):
        """Sample form data as {pfad: wert}; effects go to `protokoll`; time is the run's clock."""
        self.startdaten = dict(startdaten)
        self.protokoll = protokoll
        self.uhr = uhr
        self.status = Status.NEU.value
        self.aktenzeichen = None

    def api(self) -> dict:
        """The same function names as app.engine.skripte.Kontext.api()."""
        return {
            "formulardaten": lambda: dict(self.startdaten),
            "formularwert": lambda pfad, vorgabe=None: self.startdaten.get(pfad, vorgabe),
            "vorgang_info": self.vorgang_info,
            "status_setzen": self.status_setzen,
            "aktenzeichen_setzen": self.aktenzeichen_setzen,
            "wiedervorlage_anlegen": self.wiedervorlage_anlegen,
            "historie_notiz": lambda text: self.protokoll.append(f"Historie-Notiz: {text}"),
            "heute": lambda: heute(self.uhr.jetzt),
            "jetzt": lambda: self.uhr.jetzt,
            "tage": tage,
            "iso": iso,
        }

    def vorgang_info(self) -> dict:
        """A made-up Vorgang for the test run."""
        return {
            "nummer": "TEST-000000",
            "status": self.status,
            "formular_id": "probelauf",
            "aktenzeichen": self.aktenzeichen,
            "antragsteller_name": "Testperson",
        }

    def status_setzen(self, status: str) -> None:
        """Record a status change (the status must exist, as in a real run)."""
        try:
            self.status = Status(status).value
        except ValueError:
            raise SkriptFehler(f"Unbekannter Status „{status}“.") from None
        self.protokoll.append(f"Status: {self.status}")

    def aktenzeichen_setzen(self, aktenzeichen: str) -> None:
        """Record the Aktenzeichen."""
        self.aktenzeichen = str(aktenzeichen).strip()
        self.protokoll.append(f"Aktenzeichen: {self.aktenzeichen}")

    def wiedervorlage_anlegen(self, betreff: str, frist, beschreibung: str = "") -> None:
        """Record a Wiedervorlage with its computed due date."""
        self.protokoll.append(
            f"Wiedervorlage „{betreff}“ fällig {frist_berechnen(frist, self.uhr.jetzt).date().isoformat()}"
        )


def _json(wert):
    """Task data as JSON values (dates as ISO text)."""
    if isinstance(wert, (date, datetime)):
        return wert.isoformat()
    if isinstance(wert, dict):
        return {str(k): _json(v) for k, v in wert.items()}
    if isinstance(wert, (list, tuple)):
        return [_json(v) for v in wert]
    return wert if wert is None or isinstance(wert, (str, int, float, bool)) else str(wert)


class _Lauf:
    """One replay: the workflow, its recording context and the result being filled."""

    def __init__(self, spec, subprocess_specs, startdaten: dict):
        """Create the workflow with the recording script environment and the run's own clock."""
        self.ergebnis = Ergebnis()
        self.uhr = Probeuhr()
        self.kontext = ProbeKontext(startdaten, self.ergebnis.protokoll, self.uhr)
        self.workflow = BpmnWorkflow(spec, subprocess_specs)
        self.workflow.script_engine = PythonScriptEngine(environment=AmtsflussUmgebung(self.kontext))
        self.erreicht: set[str] = set()

    def erledigt(self, task) -> None:
        """Record a finished element and its status property (user tasks: see `weiter`)."""
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            return
        self.ergebnis.pfad.append(bpmn_id)
        if not isinstance(task.task_spec, UserTask):
            self._status(task)
        if task.task_spec.__class__.__name__ in ("ServiceTask", "SendTask"):
            self.ergebnis.protokoll.append(f"{bpmn_id}: nicht ausgeführt (Probelauf)")

    def _status(self, task) -> None:
        """Apply a `status` property of a reached element to the made-up Vorgang."""
        ziel = (getattr(task.task_spec, "extensions", None) or {}).get("status")
        if ziel and ziel != self.kontext.status:
            self.kontext.status_setzen(ziel)

    def weiter(self, aktion=None) -> bool:
        """Run `aktion` and the engine to the next wait state; False (with `fehler`) when the model failed."""
        try:
            if aktion is not None:
                aktion()
            self.workflow.do_engine_steps(did_complete_task=self.erledigt)
            self.uhr.stellen(self.workflow)
            for task in offene_usertasks(self.workflow):
                if str(task.id) not in self.erreicht:
                    self.erreicht.add(str(task.id))
                    self._status(task)
        except Exception as error:  # noqa: BLE001 — scripts and expressions can raise anything
            task = getattr(error, "task", None)
            ursache = getattr(error, "exception", None) or error
            element = getattr(task.task_spec, "bpmn_id", None) if task is not None else None
            self.ergebnis.fehler = {"element": element, "meldung": f"{ursache.__class__.__name__}: {ursache}"}
            return False
        return True

    def schritt(self, nummer: int, element: str, daten: dict) -> bool:
        """Complete the open user task `element` with form input, checked like the caseworker's form."""
        task = next((t for t in offene_usertasks(self.workflow) if t.task_spec.name == element), None)
        if task is None:
            meldung = f"Schritt {nummer}: Die Aufgabe „{element}“ ist nicht offen."
            self.ergebnis.fehler = {"element": element, "meldung": meldung}
            return False
        werte, fehler = pruefen(felder_aus_spec(task.task_spec), daten, task.data)
        if fehler:
            self.ergebnis.feldfehler = fehler
            self.ergebnis.fehler = {"element": element, "meldung": f"Schritt {nummer}: Eingaben ungültig."}
            return False
        task.set_data(**werte)
        self.ergebnis.pfad.append(element)
        return self.weiter(task.run)

    def vorstellen(self, bis: datetime, nummer: int) -> bool:
        """Move the clock to `bis`, firing the timers due by then in order (each at its due time)."""
        for _ in range(MAX_SCHRITTE):
            naechster = self.uhr.naechster(self.workflow, bis)
            if naechster is None:
                break
            zeit, task = naechster
            self.uhr.jetzt = max(self.uhr.jetzt, zeit)
            element = task.task_spec.bpmn_id
            nach = (self.uhr.jetzt - self.uhr.start).total_seconds()
            eintrag = {"element": element, "schritt": nummer, "zeit": self.uhr.jetzt.isoformat(), "nach": nach}
            self.ergebnis.timer.append({**eintrag, "angefordert": False, "verspaetung": 0, "vorzeitig": 0})
            self.ergebnis.protokoll.append(
                f"Timer „{element}“ ausgelöst: {self.uhr.jetzt.isoformat(timespec='minutes')}"
            )
            task.internal_data["event_fired"] = True
            if not self.weiter(self.workflow.refresh_timers):
                return False
        self.uhr.jetzt = max(self.uhr.jetzt, bis)
        return True

    def timer(self, nummer: int, element: str) -> bool:
        """Let the waiting timer `element` fire: the clock moves to its due time (earlier timers fire first).

        A firing of `element` that no step asked for yet (the clock passed its due time) counts for this step.
        """
        soll = self.uhr.jetzt
        gefeuert = [t for t in self.ergebnis.timer if t["element"] == element and not t["angefordert"]]
        if gefeuert:
            vorzeitig = (soll - datetime.fromisoformat(gefeuert[0]["zeit"])).total_seconds()
            gefeuert[0].update(angefordert=True, vorzeitig=vorzeitig)
            return True
        task = next((t for t in self.uhr.wartende(self.workflow) if t.task_spec.bpmn_id == element), None)
        zeit = self.uhr.faellig(task) if task is not None else None
        if zeit is None:
            meldung = f"Schritt {nummer}: Der Timer „{element}“ wartet nicht."
            self.ergebnis.fehler = {"element": element, "meldung": meldung}
            return False
        verspaetung = max(0.0, (zeit - self.uhr.jetzt).total_seconds())
        weiter = self.vorstellen(zeit, nummer)
        eigene = [t for t in self.ergebnis.timer if t["element"] == element and t["schritt"] == nummer]
        if not eigene:
            meldung = f"Schritt {nummer}: Der Timer „{element}“ hat nicht ausgelöst (ein früherer Timer kam zuvor)."
            self.ergebnis.fehler = {"element": element, "meldung": meldung}
            return False
        eigene[-1].update(angefordert=True, verspaetung=verspaetung)
        return weiter

    def ausfuehren(self, nummer: int, schritt: dict) -> bool:
        """One step: its time first (`nach`: seconds after the start), then a task input, a timer or `zeit`."""
        try:
            nach = schritt.get("nach")
            if isinstance(nach, (int, float)) and not self.vorstellen(self.uhr.start + timedelta(seconds=nach), nummer):
                return False
            if "timer" in schritt:
                return self.timer(nummer, str(schritt["timer"]))
            if "zeit" in schritt:
                return self.vorstellen(self.uhr.jetzt + dauer(str(schritt["zeit"]), self.uhr.jetzt), nummer)
        except ValueError as error:
            self.ergebnis.fehler = {"element": None, "meldung": f"Schritt {nummer}: {error}"}
            return False
        return self.schritt(nummer, str(schritt.get("element", "")), dict(schritt.get("daten") or {}))

    def abschliessen(self) -> Ergebnis:
        """Fill open tasks, variables and the end state."""
        e = self.ergebnis
        offen = offene_usertasks(self.workflow)
        e.offen = [
            OffeneAufgabe(t.task_spec.name, t.task_spec.bpmn_name or t.task_spec.name, felder_aus_spec(t.task_spec))
            for t in offen
        ]
        e.beendet = self.workflow.is_completed()
        quelle = offen[0].data if offen else self.workflow.data
        if not quelle and not offen:
            fertige = self.workflow.get_tasks(state=TaskState.COMPLETED)
            quelle = fertige[-1].data if fertige else {}
        e.variablen = _json(quelle)
        e.uebergaenge = _uebergaenge(self.workflow)
        wartend = [(self.uhr.faellig(t), t.task_spec.bpmn_id) for t in self.uhr.wartende(self.workflow)]
        e.wartende_timer = [{"element": element, "faellig": z.isoformat()} for z, element in wartend if z is not None]
        return e


def _uebergaenge(workflow) -> list[tuple[str, str]]:
    """Each completed element with the nearest BPMN element before it in the task tree: the flows taken."""
    paare = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        ziel = getattr(task.task_spec, "bpmn_id", None)
        vorher = task.parent
        while vorher is not None and not getattr(vorher.task_spec, "bpmn_id", None):
            vorher = vorher.parent
        if ziel and vorher is not None and (paar := (vorher.task_spec.bpmn_id, ziel)) not in paare:
            paare.append(paar)
    return paare


def parsen(xml: bytes) -> tuple:
    """The draft's `(spec, subprocess_specs)`, checked like a deploy; reusable for many runs. Raises ModellUngueltig."""
    _key, _name, spec, subprocess_specs = modell_parsen(xml, "entwurf.bpmn")
    return spec, subprocess_specs


def ausfuehren(xml: bytes | tuple, startdaten: dict, schritte: list[dict]) -> Ergebnis:
    """Run a draft (XML, or the result of `parsen`) from the start with these inputs; stops at the first failing
    step. Raises ModellUngueltig."""
    spec, subprocess_specs = parsen(xml) if isinstance(xml, bytes) else xml
    lauf = _Lauf(spec, subprocess_specs, startdaten)
    if lauf.weiter():
        for nummer, schritt in enumerate(schritte[:MAX_SCHRITTE], start=1):
            if not lauf.ausfuehren(nummer, schritt):
                break
    return lauf.abschliessen()


def _pfad_abweichung(erwartet: list[str], tatsaechlich: list[str]) -> str:
    """Where a run's path leaves the expected one, by position and element."""
    for nummer, (soll, ist) in enumerate(zip(erwartet, tatsaechlich, strict=False), start=1):
        if soll != ist:
            return f"Pfad weicht bei Element {nummer} ab: erwartet „{soll}“, erreicht „{ist}“."
    if len(tatsaechlich) < len(erwartet):
        return f"Pfad endet nach Element {len(tatsaechlich)}: „{erwartet[len(tatsaechlich)]}“ wird nicht erreicht."
    return f"Pfad geht nach Element {len(erwartet)} weiter: zusätzlich „{tatsaechlich[len(erwartet)]}“."


def testfall_pruefen(xml: bytes | tuple, inhalt: dict) -> list[str]:
    """What differs between a test case's expectation and a run of `xml` (or `parsen(xml)`; empty = passed)."""
    try:
        ergebnis = ausfuehren(xml, inhalt.get("startdaten") or {}, inhalt.get("schritte") or [])
    except ModellUngueltig as error:
        return [f"Modell ungültig: {error.fehler[0].meldung}"]
    abweichungen = []
    if ergebnis.fehler:
        abweichungen.append(ergebnis.fehler["meldung"])
    abweichungen += [f"Feld „{feld}“: {meldung}" for feld, meldung in ergebnis.feldfehler.items()]
    erwartet = inhalt.get("erwartet") or {}
    if "pfad" in erwartet and erwartet["pfad"] != ergebnis.pfad:
        abweichungen.append(_pfad_abweichung([str(e) for e in erwartet["pfad"]], ergebnis.pfad))
    if "beendet" in erwartet and bool(erwartet["beendet"]) != ergebnis.beendet:
        wort = "beendet" if erwartet["beendet"] else "noch offen"
        abweichungen.append(f"Erwartet war: Verfahren {wort}.")
    return abweichungen


def testfaelle_pruefen(modell: tuple, faelle: list[tuple[str, dict]]) -> list[str]:
    """Run test cases `(name, inhalt)` against `parsen(xml)`; one German line per difference, naming the case.

    The one check before every deploy, from the browser and from `processes deploy`.
    """
    return [f"Testfall „{name}“: {meldung}" for name, inhalt in faelle for meldung in testfall_pruefen(modell, inhalt)]
