"""Deploy checks of Camunda extension elements that Amtsfluss runs: `camunda:in`/`camunda:out` on call
activities, execution and task listeners, `camunda:inputOutput`.

Each check returns `(xml element, German message)` pairs; `validierung` turns them into errors with line and id.
"""

from app.engine.dienstaufgabe import bekannte_dienste, dienst_name
from app.engine.skriptpruefung import skript_pruefen

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_NS}


def _ist_name(text: str | None) -> bool:
    """A usable variable name (a Python identifier not starting with `_`)."""
    return bool(text) and text.isidentifier() and not text.startswith("_")


def abbildungen_pruefen(prozess) -> list[tuple[object, str]]:
    """`camunda:in`/`camunda:out` rules: `source`+`target`, `sourceExpression`+`target` or `variables="all"`."""
    fehler = []
    for regel in prozess.xpath(".//bpmn:callActivity/bpmn:extensionElements/camunda:*", namespaces=NS):
        art = regel.tag.rsplit("}", 1)[-1]
        if art not in ("in", "out"):
            continue
        wo = f"camunda:{art}"
        if regel.get("variables") is not None:
            if regel.get("variables") != "all":
                fehler.append((regel, f"{wo}: variables erlaubt nur „all“."))
        elif art == "in" and regel.get("businessKey") is not None and regel.get("source") is None:
            continue  # the called process runs for the same Vorgang anyway
        elif regel.get("source") is None and regel.get("sourceExpression") is None:
            fehler.append((regel, f"{wo}: braucht source, sourceExpression oder variables=„all“."))
        elif not _ist_name(regel.get("target")):
            fehler.append((regel, f"{wo}: target fehlt oder ist kein Variablenname (Buchstaben, Ziffern, _)."))
        elif (ausdruck := regel.get("sourceExpression")) is not None and (
            meldung := skript_pruefen(ausdruck, "eval")
        ) is not None:
            fehler.append((regel, f"{wo} sourceExpression: {meldung}"))
    return fehler


#: Listener events Amtsfluss runs, per listener kind.
EREIGNISSE = {"executionListener": ("start", "end", "take"), "taskListener": ("create", "complete")}
_FREMD = (
    "{wo}: Skripte in Listenern und Ein-/Ausgaben müssen Python sein (scriptFormat=„{sprache}“); JavaScript, "
    "Groovy und andere Sprachen werden nicht ausgeführt."
)


def _skript_pruefen(skript, wo: str, modus: str) -> list[tuple[object, str]]:
    """A `camunda:script`: Python (inline, not from a resource), passing the script check."""
    sprache = skript.get("scriptFormat") or ""
    if sprache.lower() != "python":
        return [(skript, _FREMD.format(wo=wo, sprache=sprache))]
    if skript.get("resource"):
        return [(skript, f"{wo}: Skripte aus Dateien (resource) werden nicht unterstützt.")]
    meldung = skript_pruefen(skript.text or "", modus)
    return [] if meldung is None else [(skript, f"{wo}: {meldung}")]


def listener_pruefen(prozess) -> list[tuple[object, str]]:
    """Execution listeners (start, end; take on sequence flows) and task listeners (create, complete on user
    tasks), each a Python script or a registered service (`camunda:class`, `camunda:delegateExpression`)."""
    fehler = []
    for art, events in EREIGNISSE.items():
        for knoten in prozess.xpath(f".//camunda:{art}", namespaces=NS):
            element = knoten.getparent().getparent()
            typ = element.tag.rsplit("}", 1)[-1]
            wo, event = f"camunda:{art} ({knoten.get('event') or ''})", knoten.get("event")
            erlaubt = ("take",) if typ == "sequenceFlow" else tuple(e for e in events if e != "take")
            if typ == "process":
                fehler.append(
                    (knoten, f"{wo}: Listener am Prozess werden nicht ausgeführt; an Start-/Endereignis hängen.")
                )
            elif art == "taskListener" and typ != "userTask":
                fehler.append((knoten, f"{wo}: Task-Listener gibt es nur an Benutzeraufgaben."))
            elif event not in erlaubt:
                fehler.append((knoten, f"{wo}: Ereignis nicht unterstützt; hier erlaubt: {', '.join(erlaubt)}."))
            elif (skript := knoten.find(f"{{{CAMUNDA_NS}}}script")) is not None:
                fehler.extend(_skript_pruefen(skript, wo, "exec"))
            elif knoten.get("expression") is not None:
                fehler.append(
                    (knoten, f"{wo}: camunda:expression wird nicht unterstützt; nutzen Sie ein Python-Skript.")
                )
            elif (name := dienst_name({k: knoten.get(k) for k in ("class", "delegateExpression")})) is None:
                fehler.append((knoten, f"{wo}: braucht ein Python-Skript, camunda:class oder delegateExpression."))
            elif name not in bekannte_dienste():
                fehler.append(
                    (knoten, f"{wo}: Unbekannter Dienst „{name}“. Registriert: {', '.join(bekannte_dienste())}.")
                )
    return fehler


def _wert_pruefen(knoten, wo: str) -> list[tuple[object, str]]:
    """A parameter value: text, `${…}`, a Python script (one expression), a list or map of those."""
    fehler = []
    for kind in knoten:
        art = kind.tag.rsplit("}", 1)[-1] if isinstance(kind.tag, str) else ""
        if art == "script":
            return _skript_pruefen(kind, wo, "eval")
        if art in ("list", "map"):
            for eintrag in kind:
                fehler.extend(_wert_pruefen(eintrag, wo))
            return fehler
    if "${" in (knoten.text or "") and (meldung := skript_pruefen(knoten.text, "eval")) is not None:
        fehler.append((knoten, f"{wo}: {meldung}"))
    return fehler


def ein_ausgaben_pruefen(prozess) -> list[tuple[object, str]]:
    """`camunda:inputParameter`/`outputParameter`: a variable name and a value `_wert_pruefen` accepts."""
    fehler = []
    for parameter in prozess.xpath(".//camunda:inputOutput/camunda:*", namespaces=NS):
        wo = f"{parameter.tag.rsplit('}', 1)[-1]} „{parameter.get('name') or ''}“"
        if not _ist_name(parameter.get("name")):
            fehler.append((parameter, f"{wo}: name muss ein Variablenname sein (Buchstaben, Ziffern, _)."))
        else:
            fehler.extend(_wert_pruefen(parameter, wo))
    return fehler
