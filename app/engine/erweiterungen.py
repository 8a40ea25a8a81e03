"""Deploy checks of Camunda extension elements that Amtsfluss runs: `camunda:in`/`camunda:out` on call activities.

Each check returns `(xml element, German message)` pairs; `validierung` turns them into errors with line and id.
"""

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
