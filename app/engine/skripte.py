"""The script environment of BPMN scripts, conditions and timer expressions.

Scripts are Python with restricted builtins and a small German API instead of imports (see docs/bpmn.md):
`formulardaten()`, `formularwert(pfad)`, `vorgang_info()`, `status_setzen(status)`, `aktenzeichen_setzen(az)`,
`wiedervorlage_anlegen(betreff, frist, beschreibung="")`, `historie_notiz(text)`, `heute()`, `jetzt()`,
`tage(n)`, `iso(wert)`. The same AST check as at deploy runs before every script (imports, dunder and frame
attributes are refused), and every value a script leaves in the task data must be storable — otherwise the
script fails right there with a clear message instead of the save failing later.

This is not a sandbox against hostile authors (see DESIGN.md): deploying is a privileged role. It keeps honest
mistakes from reaching the operating system and makes the API the obvious way.
"""

import builtins
from datetime import date, datetime, timedelta
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.auth.models import Benutzer
from app.engine.cron import cron_als_zyklus, ist_cron
from app.engine.juel import JuelFehler, python_ausdruck
from app.engine.serialisierung import ist_speicherbar
from app.engine.skriptpruefung import skript_pruefen
from app.timeutil import ZEITZONE, heute, utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import Status
from app.wiedervorlagen.service import wiedervorlage_anlegen

_ERLAUBTE_BUILTINS = [
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "ArithmeticError",
    "Exception",
    "KeyError",
    "IndexError",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
    "True",
    "False",
    "None",
]
SICHERE_BUILTINS = {name: getattr(builtins, name) for name in _ERLAUBTE_BUILTINS}


class SkriptFehler(Exception):
    """A script did something the environment refuses; the message is meant for the process designer."""


@lru_cache(maxsize=512)
def _geprueft(code: str, modus: str) -> str | None:
    """The deploy-time check, cached per script text (scripts repeat across instances)."""
    return skript_pruefen(code, modus)


def flach(knoten: list, praefix: str = "") -> dict:
    """The Vorgang's form data tree as {pfad: wert}, paths joined with dots (e.g. `angaben.baumart`)."""
    werte = {}
    for eintrag in knoten or []:
        pfad = f"{praefix}{eintrag.get('name')}"
        if eintrag.get("kinder"):
            werte.update(flach(eintrag["kinder"], pfad + "."))
        else:
            werte[pfad] = eintrag.get("wert")
    return werte


def frist_berechnen(wert, ab: datetime | None = None) -> datetime:
    """A deadline from a date, a datetime, an ISO 8601 date/datetime string or an ISO duration ('P14D')."""
    ab = ab or utcnow()
    if isinstance(wert, timedelta):
        return ab + wert
    if isinstance(wert, datetime):
        return wert if wert.tzinfo else wert.replace(tzinfo=ZEITZONE)
    if isinstance(wert, date):
        return datetime.combine(wert, datetime.min.time(), ZEITZONE)
    if isinstance(wert, str):
        text = wert.strip()
        if text.upper().startswith("P"):
            return ab + TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), ab)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZEITZONE)
    raise SkriptFehler(f"„{wert!r}“ ist keine Frist (erwartet: Datum, ISO-8601-Text oder Dauer wie 'P14D').")


class Kontext:
    """What a script may act on: one Vorgang and the user whose action runs the engine (None = System)."""

    def __init__(self, vorgang: Vorgang, benutzer: Benutzer | None = None):
        """Bind to the Vorgang and the acting user."""
        self.vorgang = vorgang
        self.benutzer = benutzer
        #: Lines the scripts printed in this run; `speichern` appends them to the instance's own log.
        self.protokoll: list[str] = []

    def api(self) -> dict:
        """The functions scripts can call, bound to this Vorgang."""
        return {
            "formulardaten": self.formulardaten,
            "formularwert": self.formularwert,
            "vorgang_info": self.vorgang_info,
            "status_setzen": self.status_setzen,
            "aktenzeichen_setzen": self.aktenzeichen_setzen,
            "wiedervorlage_anlegen": self.wiedervorlage_anlegen,
            "historie_notiz": self.historie_notiz,
            "print": self.drucken,
            "heute": heute,
            "jetzt": utcnow,
            "tage": tage,
            "iso": iso,
        }

    def formulardaten(self) -> dict:
        """The Antrag's form data as {pfad: wert}."""
        return flach(self.vorgang.formulardaten)

    def formularwert(self, pfad: str, vorgabe=None):
        """One value of the Antrag's form data by its path, e.g. `angaben.stammumfang`."""
        return flach(self.vorgang.formulardaten).get(pfad, vorgabe)

    def vorgang_info(self) -> dict:
        """Number, status, form id, Aktenzeichen and applicant name of the Vorgang."""
        v = self.vorgang
        return {
            "nummer": v.nummer,
            "status": v.status,
            "formular_id": v.formular_id,
            "aktenzeichen": v.aktenzeichen,
            "antragsteller_name": v.antragsteller_name,
        }

    def status_setzen(self, status: str) -> None:
        """Change the Vorgang's status through the one status service (transition table, Historie)."""
        try:
            ziel = Status(status)
        except ValueError:
            raise SkriptFehler(f"Unbekannter Status „{status}“.") from None
        if self.vorgang.status != ziel.value:
            status_setzen(self.vorgang, ziel, self.benutzer, notiz="durch das Verfahren")

    def aktenzeichen_setzen(self, aktenzeichen: str) -> None:
        """Set the Aktenzeichen and record it in the Historie."""
        aktenzeichen = str(aktenzeichen).strip()
        if not aktenzeichen or len(aktenzeichen) > 100:
            raise SkriptFehler("Das Aktenzeichen muss 1 bis 100 Zeichen lang sein.")
        vorher = self.vorgang.aktenzeichen
        self.vorgang.aktenzeichen = aktenzeichen
        protokolliere(
            self.vorgang,
            "Aktenzeichen gesetzt",
            self.benutzer,
            {"aktenzeichen": vorher},
            {"aktenzeichen": aktenzeichen},
        )

    def wiedervorlage_anlegen(self, betreff: str, frist, beschreibung: str = ""):
        """Create a Wiedervorlage through the Wiedervorlagen service."""
        frist = frist_berechnen(frist)
        return wiedervorlage_anlegen(
            self.vorgang, str(betreff), frist, beschreibung=str(beschreibung), erstellt_von=self.benutzer
        )

    def drucken(self, *werte, sep: str = " ", **_ignoriert) -> None:
        """`print` of scripts: one line in the instance's own log (never in the application log)."""
        zeile = str(sep).join(str(w) for w in werte)
        self.protokoll.append(f"{utcnow():%Y-%m-%d %H:%M:%S} {zeile}"[:2000])

    def historie_notiz(self, text: str) -> None:
        """Write a note into the Vorgang's Historie."""
        protokolliere(self.vorgang, "Notiz des Verfahrens", self.benutzer, notiz=str(text))


def tage(anzahl: int) -> timedelta:
    """A duration of `anzahl` days, e.g. `heute() + tage(14)`."""
    return timedelta(days=anzahl)


def iso(wert) -> str:
    """A date, datetime or duration as ISO 8601 text (what timer expressions need)."""
    if isinstance(wert, timedelta):
        return f"P{wert.days}DT{wert.seconds}S"
    if isinstance(wert, datetime):
        return (wert if wert.tzinfo else wert.replace(tzinfo=ZEITZONE)).isoformat()
    if isinstance(wert, date):
        return datetime.combine(wert, datetime.min.time(), ZEITZONE).isoformat()
    return str(wert)


class AmtsflussUmgebung(TaskDataEnvironment):
    """Task-data environment with restricted builtins, the API of one Kontext and a storability check."""

    def __init__(self, kontext: Kontext | None):
        """Globals: the safe builtins and, when bound to a Vorgang, its API."""
        api = kontext.api() if kontext is not None else {"heute": heute, "jetzt": utcnow, "tage": tage, "iso": iso}
        self.kontext = kontext  # service handlers act on the same Vorgang
        # FEEL/JUEL literals, as DMN tables (SpiffWorkflow passes their text through) and JUEL write them
        feel = {"true": True, "false": False, "null": None}
        super().__init__({"__builtins__": SICHERE_BUILTINS, **feel, **api})

    def evaluate(self, expression, context, external_context=None):
        """Evaluate a condition or timer expression after the same check as at deploy.

        A message without a payload expression (`camunda:expression`) is thrown with None as its payload.
        """
        if expression is None:
            return None
        if ist_cron(expression):
            return cron_als_zyklus(expression, utcnow())
        try:
            expression = python_ausdruck(expression)
        except JuelFehler as error:
            raise SkriptFehler(str(error)) from None
        if (meldung := _geprueft(expression, "eval")) is not None:
            raise SkriptFehler(meldung)
        return super().evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        """Run a script; refuse forbidden constructs before, unstorable values after."""
        if (meldung := _geprueft(script, "exec")) is not None:
            raise SkriptFehler(meldung)
        super().execute(script, context, external_context)
        for name, wert in context.items():
            if not ist_speicherbar(wert):
                raise SkriptFehler(
                    f"Der Wert von „{name}“ ({type(wert).__name__}) kann nicht gespeichert werden. Erlaubt sind "
                    "Text, Zahlen (int/float), Wahrheitswerte, Datum/Zeit, Listen und Dicts davon."
                )
        return True


def script_engine(kontext: Kontext | None) -> PythonScriptEngine:
    """A script engine for one run; attach it after every load (deserializing does not restore it)."""
    return PythonScriptEngine(environment=AmtsflussUmgebung(kontext))
