"""Comparing two states of a procedure (versions or a draft): which elements were added, removed or changed, and how.

Elements are matched by id. An element's content is its attributes plus everything inside it that is not itself
an element with an id (extension elements such as form fields, scripts, conditions, timers, documentation); the
diagram layout (BPMNDiagram) is left out, so moving shapes is no change.
"""

from dataclasses import dataclass, field

from lxml import etree

from app.engine.validierung import BPMN_NS

#: Readable prefixes for the namespaces of a Camunda 7 BPMN file.
PRAEFIXE = {BPMN_NS: "bpmn", "http://camunda.org/schema/1.0/bpmn": "camunda"}
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
KEIN_INHALT = {f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing"}  # follow from the flows' own source/target


@dataclass
class Aenderung:
    """One added, removed or changed element, with the changed details in words."""

    element: str
    art: str  # "neu" | "entfernt" | "geändert"
    typ: str
    name: str
    details: list[str] = field(default_factory=list)


def _name(tag: str) -> str:
    """`{ns}formField` → `camunda:formField`."""
    qname = etree.QName(tag)
    praefix = PRAEFIXE.get(qname.namespace)
    return f"{praefix}:{qname.localname}" if praefix else qname.localname


def _attribute(knoten) -> dict[str, str]:
    """The attributes of an XML element with readable names."""
    return {_name(k) if k.startswith("{") else k: v for k, v in knoten.attrib.items()}


def _elemente(xml: bytes) -> dict[str, etree._Element]:
    """Every BPMN element with an id outside the diagram layout, by id."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    elemente = {}
    for knoten in root.iter(f"{{{BPMN_NS}}}*"):
        if knoten.get("id") and knoten is not root:
            elemente[knoten.get("id")] = knoten
    return elemente


def _inhalt(knoten) -> list[str]:
    """The element's content below it, as readable lines, leaving out child elements that have their own id."""
    zeilen = []

    def besuchen(kind, pfad: str) -> None:
        for unter in kind:
            if not isinstance(unter.tag, str) or unter.tag in KEIN_INHALT:
                continue
            if etree.QName(unter).namespace == BPMN_NS and unter.get("id"):
                continue
            if unter.tag == f"{{{BPMN_NS}}}extensionElements":
                besuchen(unter, pfad)
                continue
            attribute = ", ".join(f"{k}={v}" for k, v in sorted(_attribute(unter).items()))
            text = " ".join((unter.text or "").split())
            zeile = pfad + _name(unter.tag) + (f" ({attribute})" if attribute else "")
            zeilen.append(zeile + (f": {text[:200]}" if text else ""))
            besuchen(unter, pfad + _name(unter.tag) + (f" „{unter.get('id')}“" if unter.get("id") else "") + " › ")

    besuchen(knoten, "")
    return zeilen


def _unterschiede(alt, neu) -> list[str]:
    """The changed attributes and content lines of one element."""
    details = []
    a, n = _attribute(alt), _attribute(neu)
    for schluessel in sorted(set(a) | set(n)):
        if a.get(schluessel) != n.get(schluessel):
            details.append(f"{schluessel}: „{a.get(schluessel, '')}“ → „{n.get(schluessel, '')}“")
    inhalt_alt, inhalt_neu = _inhalt(alt), _inhalt(neu)
    details += [f"entfernt: {z}" for z in inhalt_alt if z not in inhalt_neu]
    details += [f"neu: {z}" for z in inhalt_neu if z not in inhalt_alt]
    return details


def vergleichen(xml_alt: bytes, xml_neu: bytes) -> list[Aenderung]:
    """The changes from `xml_alt` to `xml_neu`, in the new document's order (removed elements last)."""
    alt, neu = _elemente(xml_alt), _elemente(xml_neu)
    aenderungen = []
    for element, knoten in neu.items():
        typ, name = _name(knoten.tag), knoten.get("name") or ""
        if element not in alt:
            aenderungen.append(Aenderung(element, "neu", typ, name, _inhalt(knoten)))
        elif details := _unterschiede(alt[element], knoten):
            aenderungen.append(Aenderung(element, "geändert", typ, name, details))
    for element, knoten in alt.items():
        if element not in neu:
            aenderungen.append(Aenderung(element, "entfernt", _name(knoten.tag), knoten.get("name") or ""))
    return aenderungen
