"""Checking a BPMN file before it is deployed: every error, with file, line and element, in German.

Order: XML well-formedness, BPMN schema (all schema errors, each with its line), our own checks on the
Camunda dialect and the Python expressions (all of them), then SpiffWorkflow's structural parse (element id).
SpiffWorkflow's own message for a dangling sequence flow is misleading, so we check references ourselves first.
"""

import ast
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from app.auth.models import ROLLEN
from app.engine.cron import cron_als_zyklus, ist_cron
from app.engine.dienstaufgabe import bekannte_dienste, dienst_name
from app.engine.erweiterungen import abbildungen_pruefen, ein_ausgaben_pruefen, listener_pruefen
from app.engine.juel import JuelFehler, ist_iso_literal, ist_juel, python_ausdruck
from app.engine.rollen import rolle_fuer
from app.engine.skriptpruefung import skript_pruefen
from app.timeutil import utcnow
from app.vorgaenge.status import Status

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

FELDTYPEN = ("string", "textarea", "long", "boolean", "date", "enum")
CONSTRAINTS = ("required", "readonly", "minlength", "maxlength", "min", "max")
_FREMDE_SPRACHE = (
    "Skripte müssen in Python geschrieben sein (scriptFormat=„{sprache}“); JavaScript, Groovy und andere "
    "Sprachen werden nicht ausgeführt. Schreiben Sie das Skript in Python (siehe docs/bpmn.md, Skripte)."
)


@dataclass(frozen=True)
class Fehler:
    """One problem in a BPMN file, in words a process designer understands."""

    datei: str
    meldung: str
    zeile: int | None = None
    element: str | None = None
    #: A warning does not stop the deploy (e.g. a group that goes to the fallback role).
    warnung: bool = False

    def __str__(self) -> str:
        """`datei:zeile: [element] meldung` — the format of compilers, so editors can jump there."""
        ort = self.datei + (f":{self.zeile}" if self.zeile else "")
        element = f" [{self.element}]" if self.element else ""
        art = " Warnung:" if self.warnung else ""
        return f"{ort}:{element}{art} {self.meldung}"


class ModellUngueltig(Exception):
    """A BPMN model with errors; `fehler` holds all of them."""

    def __init__(self, fehler: list[Fehler]):
        """Keep the list; the message lists every error on its own line."""
        self.fehler = fehler
        super().__init__("\n".join(str(f) for f in fehler))


@lru_cache(maxsize=1)
def _schema() -> BpmnValidator:
    """The BPMN 2.0 XML schema (loading it takes a moment, so once per process)."""
    return BpmnValidator()


def _lokal(tag) -> str:
    """`{ns}userTask` → `userTask`."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def datei_pruefen(xml: bytes, datei: str) -> tuple[list[Fehler], etree._Element | None]:
    """All errors found in one BPMN file, and its parsed XML root (None when it is not XML at all)."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        return [Fehler(datei, f"Kein wohlgeformtes XML: {error.msg}", zeile=error.lineno)], None
    fehler: list[Fehler] = []
    # BpmnValidator.preprocess renames a tag bpmn-js writes wrongly; work on a copy so the stored XML stays as is.
    kopie = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    validator = _schema()
    validator.preprocess(kopie)
    if not validator.validator.validate(kopie):
        for eintrag in validator.validator.error_log:
            fehler.append(Fehler(datei, f"BPMN-Schema: {schema_meldung(eintrag.message)}", zeile=eintrag.line))
        return fehler, root
    fehler.extend(_dialekt_pruefen(root, datei))
    return fehler, root


def haupt_prozess(root):
    """The process a file deploys: its only executable process, else the first executable one that no call
    activity of the file calls (the others are called processes or further pools); None if none is executable."""
    ausfuehrbar = [p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("isExecutable") == "true"]
    aufgerufen = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    kandidaten = [p for p in ausfuehrbar if p.get("id") not in aufgerufen] or ausfuehrbar
    return kandidaten[0] if kandidaten else None


def _fehler(datei: str, knoten, meldung: str) -> Fehler:
    """An error at an XML element (its id, or the id of the nearest parent that has one)."""
    element = knoten
    while element is not None and not element.get("id"):
        element = element.getparent()
    return Fehler(datei, meldung, zeile=knoten.sourceline, element=element.get("id") if element is not None else None)


def _dialekt_pruefen(root, datei: str) -> list[Fehler]:
    """Our checks: executable process, references, expressions, forms, roles, status values."""
    fehler: list[Fehler] = []
    prozesse = root.findall(f"{{{BPMN_NS}}}process")
    if haupt_prozess(root) is None:
        fehler.append(Fehler(datei, 'Die Datei enthält keinen ausführbaren Prozess (isExecutable="true").'))
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    for prozess in (p for p in prozesse if p.get("isExecutable") == "true"):  # pools drawn as black boxes: no
        fehler.extend(_prozess_pruefen(prozess, datei, ids))
    return fehler


def _prozess_pruefen(prozess, datei: str, ids: set[str]) -> list[Fehler]:
    """Checks inside one process element."""
    fehler: list[Fehler] = []
    x = prozess.xpath
    if not x(".//bpmn:startEvent", namespaces=NS):
        fehler.append(_fehler(datei, prozess, "Der Prozess hat kein Startereignis."))
    for fluss in x(".//bpmn:sequenceFlow", namespaces=NS):
        for attribut, wort in (("sourceRef", "Quelle"), ("targetRef", "Ziel")):
            ref = fluss.get(attribut)
            if not ref or ref not in ids:
                fehler.append(
                    _fehler(datei, fluss, f"Sequenzfluss hängt in der Luft: {wort} „{ref or ''}“ gibt es nicht.")
                )
    for bedingung in x(".//bpmn:conditionExpression", namespaces=NS):
        if (meldung := skript_pruefen(bedingung.text or "", "eval")) is not None:
            fehler.append(_fehler(datei, bedingung, f"Bedingung: {meldung}"))
    for art in ("timeDate", "timeDuration", "timeCycle"):
        for timer in x(f".//bpmn:{art}", namespaces=NS):
            meldung = _timer_pruefen(timer.text or "", art)
            if meldung is not None:
                fehler.append(_fehler(datei, timer, f"Timer ({art}): {meldung}"))
    for skript in x(".//bpmn:scriptTask", namespaces=NS):
        code = skript.findtext(f"{{{BPMN_NS}}}script")
        sprache = skript.get("scriptFormat", "python")
        if sprache.lower() not in ("python", ""):
            fehler.append(_fehler(datei, skript, _FREMDE_SPRACHE.format(sprache=sprache)))
        elif skript.get(f"{{{CAMUNDA_NS}}}resource"):
            fehler.append(_fehler(datei, skript, "Skripte aus Dateien (camunda:resource) werden nicht unterstützt."))
        elif (meldung := skript_pruefen(code or "", "exec")) is not None:
            fehler.append(_fehler(datei, skript, f"Skript: {meldung}"))
    for pruefung in (abbildungen_pruefen, listener_pruefen, ein_ausgaben_pruefen):
        fehler.extend(_fehler(datei, knoten, meldung) for knoten, meldung in pruefung(prozess))
    mit_dienst = (
        "@camunda:class or @camunda:delegateExpression or @camunda:type or @implementation[not(starts-with(., '##'))]"
    )
    for aufgabe in x(f".//bpmn:serviceTask | .//bpmn:sendTask[{mit_dienst}]", namespaces=NS):
        if (meldung := _dienst_pruefen(aufgabe)) is not None:
            fehler.append(_fehler(datei, aufgabe, meldung))
    lanes = {}
    for lane in x(".//bpmn:lane", namespaces=NS):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane
    for aufgabe in x(".//bpmn:userTask | .//bpmn:task | .//bpmn:manualTask", namespaces=NS):
        fehler.extend(_usertask_pruefen(aufgabe, datei, lanes.get(aufgabe.get("id"))))
    for prop in x(".//camunda:properties/camunda:property[@name='status']", namespaces=NS):
        if prop.get("value") not in {s.value for s in Status}:
            erlaubt = ", ".join(s.value for s in Status)
            fehler.append(_fehler(datei, prop, f"Unbekannter Status „{prop.get('value')}“. Erlaubt: {erlaubt}."))
    return fehler


def _dienst_pruefen(aufgabe) -> str | None:
    """A service task is an external task with a topic, or names a registered service handler."""
    c = f"{{{CAMUNDA_NS}}}"
    if aufgabe.get(f"{c}type") == "external":
        return None if (aufgabe.get(f"{c}topic") or "").strip() else "Externe Dienstaufgabe ohne camunda:topic."
    if aufgabe.get(f"{c}expression"):
        return "camunda:expression an Dienstaufgaben wird nicht unterstützt; nutzen Sie eine Skriptaufgabe."
    werte = {k: aufgabe.get(f"{c}{k}") for k in ("class", "delegateExpression")}
    name = dienst_name({**werte, "implementation": aufgabe.get("implementation")})
    bekannt = ", ".join(bekannte_dienste())
    if name is None:
        return (
            'Dienstaufgabe ohne Implementierung: camunda:type="external" mit camunda:topic, oder camunda:class, '
            f"camunda:delegateExpression bzw. implementation mit einem registrierten Dienst ({bekannt})."
        )
    if name not in bekannte_dienste():
        return f"Unbekannter Dienst „{name}“. Registriert sind: {bekannt}."
    return None


def _timer_pruefen(text: str, art: str) -> str | None:
    """A timer is an ISO 8601 literal (quoted or not), a cron expression (timeCycle) or a Python/JUEL expression."""
    if ist_iso_literal(text):
        return None
    if art == "timeCycle" and ist_cron(text):
        try:
            cron_als_zyklus(text, utcnow())
        except ValueError as error:
            return f"Cron-Ausdruck nicht verwendbar: {error}"
        return None
    if (meldung := skript_pruefen(text, "eval")) is not None:
        return meldung
    try:
        baum = ast.parse(python_ausdruck(text).strip(), mode="eval")
    except (SyntaxError, JuelFehler):
        return None
    wert = baum.body.value if isinstance(baum.body, ast.Constant) else None
    if isinstance(wert, (int, float)) or (isinstance(wert, str) and not ist_iso_literal(wert)):
        return f"„{text.strip()}“ ist kein ISO-8601-Datum, keine Dauer (P14D) und kein Intervall (R3/PT10M)."
    return None


def _rollen_pruefen(gruppen: str, knoten, datei: str, woher: str) -> list[Fehler]:
    """Groups that are neither a product role nor in the role mapping: a warning each (the fallback role gets them).

    A JUEL expression (`${gruppe}`) is checked as an expression; its value is mapped when the task is reached.
    """
    if ist_juel(gruppen):
        meldung = skript_pruefen(gruppen, "eval")
        return [] if meldung is None else [_fehler(datei, knoten, f"{woher}: {meldung}")]
    fehler = []
    for gruppe in (g.strip() for g in gruppen.split(",")):
        if not gruppe:
            continue
        rolle, bekannt = rolle_fuer(gruppe)
        if not bekannt:
            meldung = (
                f"Unbekannte Gruppe „{gruppe}“ ({woher}): keine Rolle ({', '.join(ROLLEN)}) und nicht in der "
                f"Rollenzuordnung (processes/rollen.toml); die Aufgabe geht an „{rolle}“."
            )
            fehler.append(replace(_fehler(datei, knoten, meldung), warnung=True))
    return fehler


def _usertask_pruefen(aufgabe, datei: str, lane) -> list[Fehler]:
    """Form fields, candidate groups (or the lane), and the date expressions of one user task."""
    fehler: list[Fehler] = []
    gruppen = aufgabe.get(f"{{{CAMUNDA_NS}}}candidateGroups")
    assignee = aufgabe.get(f"{{{CAMUNDA_NS}}}assignee")
    if ist_juel(assignee) and (meldung := skript_pruefen(assignee, "eval")) is not None:
        fehler.append(_fehler(datei, aufgabe, f"camunda:assignee: {meldung}"))
    if gruppen:
        fehler.extend(_rollen_pruefen(gruppen, aufgabe, datei, "camunda:candidateGroups"))
    elif lane is not None and lane.get("name"):
        fehler.extend(_rollen_pruefen(lane.get("name"), aufgabe, datei, f"Lane „{lane.get('name')}“"))
    for attribut in ("dueDate", "followUpDate"):
        ausdruck = aufgabe.get(f"{{{CAMUNDA_NS}}}{attribut}")
        if ausdruck is not None and (meldung := skript_pruefen(ausdruck, "eval")) is not None:
            fehler.append(_fehler(datei, aufgabe, f"camunda:{attribut}: {meldung}"))
    gesehen = set()
    for feld in aufgabe.xpath(".//camunda:formData/camunda:formField", namespaces=NS):
        feld_id = feld.get("id") or ""
        wo = f"Formularfeld „{feld_id}“"
        if not feld_id.isidentifier() or feld_id.startswith("_"):
            fehler.append(_fehler(datei, feld, f"{wo}: die id muss ein Python-Name sein (Buchstaben, Ziffern, _)."))
        if feld_id in gesehen:
            fehler.append(_fehler(datei, feld, f"{wo} ist doppelt."))
        gesehen.add(feld_id)
        typ = feld.get("type")
        if typ not in FELDTYPEN:
            fehler.append(_fehler(datei, feld, f"{wo}: unbekannter Typ „{typ}“. Erlaubt: {', '.join(FELDTYPEN)}."))
        if typ == "enum" and not feld.findall(f"{{{CAMUNDA_NS}}}value"):
            fehler.append(_fehler(datei, feld, f"{wo}: ein enum-Feld braucht mindestens einen camunda:value."))
        for constraint in feld.xpath("./camunda:validation/camunda:constraint", namespaces=NS):
            name, config = constraint.get("name"), constraint.get("config")
            if name not in CONSTRAINTS:
                fehler.append(
                    _fehler(datei, constraint, f"{wo}: unbekannte Regel „{name}“. Erlaubt: {', '.join(CONSTRAINTS)}.")
                )
            elif name in ("minlength", "maxlength", "min", "max") and not _ist_zahl(config):
                fehler.append(_fehler(datei, constraint, f"{wo}: Regel „{name}“ braucht eine Zahl als config."))
    return fehler


def _ist_zahl(text: str | None) -> bool:
    """True for an integer or decimal number written as text."""
    try:
        float(text or "")
    except ValueError:
        return False
    return True


#: SpiffWorkflow's structural messages, said the way a process designer understands them.
UEBERSETZUNGEN = {
    "Multiple outgoing flows are not supported": "Ein Element ohne Gateway darf nur einen ausgehenden Sequenzfluss "
    "haben; verzweigen Sie mit einem exklusiven oder parallelen Gateway.",
    "was not found": "Der aufgerufene Prozess ist nicht in dieser Datei enthalten.",
    "A loopMaximum or loopCondition must be specified": "Eine Schleife braucht loopMaximum oder loopCondition.",
    "No DMN Diagram available": "Die Entscheidungstabelle ist nicht bereitgestellt.",
    "Unsupported Catch Event": "Dieses Randereignis hat keine unterstützte Ereignisdefinition.",
    'No "calledElement" attribute': "Der Aufrufaktivität fehlt calledElement (der aufgerufene Prozess).",
    "Non-default exclusive outgoing sequence flow without condition": "Ein ausgehender Sequenzfluss dieses "
    "exklusiven Gateways hat keine Bedingung; geben Sie eine Bedingung an oder machen Sie ihn zum Standardfluss.",
}

#: lxml's XML-schema messages (English), said in German; the original stays in brackets.
SCHEMA_MUSTER = [
    (re.compile(r"Element '([^']+)': This element is not expected"), "Element „{0}“ ist hier nicht erlaubt"),
    (
        re.compile(r"Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed"),
        "Element „{0}“: Attribut „{1}“ ist nicht erlaubt",
    ),
    (
        re.compile(r"Element '([^']+)': The attribute '([^']+)' is required but missing"),
        "Element „{0}“: Pflichtattribut „{1}“ fehlt",
    ),
    (
        re.compile(r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value"),
        "Element „{0}“: „{2}“ ist kein gültiger Wert für „{1}“",
    ),
    (re.compile(r"Element '([^']+)': Missing child element"), "Element „{0}“: ein Pflicht-Unterelement fehlt"),
]


def schema_meldung(englisch: str) -> str:
    """A German explanation of an lxml schema message (with the original), or the original when unknown."""
    for muster, deutsch in SCHEMA_MUSTER:
        if treffer := muster.search(englisch):
            teile = [etree.QName(t).localname if t.startswith("{") else t for t in treffer.groups()]
            return f"{deutsch.format(*teile)} ({englisch.strip()})"
    return englisch


def spiff_fehler(error: ValidationException, datei: str) -> Fehler:
    """Turn SpiffWorkflow's ValidationException into our error record (German where we know the message)."""
    meldung = str(error.args[0]) if error.args else str(error)
    for englisch, deutsch in UEBERSETZUNGEN.items():
        if englisch in meldung:
            meldung = f"{deutsch} ({meldung})"
            break
    zeile = error.line_number if isinstance(error.line_number, int) and error.line_number else None
    return Fehler(datei, f"Struktur: {meldung}", zeile=zeile, element=error.id or None)
