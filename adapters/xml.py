"""The one hardened XML parser every XML adapter uses, and the generic "one element per field" mapping.

Parser settings: no entity resolution, no network, no DTD loading or validation, libxml2's default size
limits (``huge_tree=False``). Any DOCTYPE is refused outright, so XXE and billion-laughs payloads end in an
:class:`AdapterFehler` before a single entity could be expanded.

The only relaxation is ``grosse_textknoten=True`` (used for SOAP envelopes, whose base64 attachments of up to
50 MB exceed libxml2's 10 MB text-node limit): it lifts the text-node limit; DOCTYPEs stay forbidden, so the
memory used is bounded by the size of the input.
"""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

from adapters.antrag import AdapterFehler, Feld

_DOCTYPE = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_ISO_DATUM = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parser(grosse_textknoten: bool) -> etree.XMLParser:
    """A new hardened lxml parser (parsers are not thread-safe, so one per call)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=grosse_textknoten,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(daten: bytes, was: str = "XML", *, grosse_textknoten: bool = False) -> etree._Element:
    """Parse ``daten`` with the hardened parser and return the root element.

    Raises AdapterFehler ``xml_doctype`` for any DOCTYPE/ENTITY declaration (XXE, billion laughs) and
    ``xml_ungueltig`` for anything that is not well-formed (truncated, empty, wrong encoding); ``was`` names
    the document in the message (e.g. ``"SOAP-Umschlag"``).
    """
    if not isinstance(daten, bytes | bytearray):
        raise AdapterFehler(f"{was}: Bytes erwartet, nicht {type(daten).__name__}", "xml_ungueltig")
    if not daten.strip():
        raise AdapterFehler(f"{was} ist leer", "xml_ungueltig")
    # Cheap early refusal; the check on the parsed document below is the authoritative one (UTF-16 etc.).
    if _DOCTYPE.search(bytes(daten[:65536])):
        raise _doctype_fehler(was)
    try:
        wurzel = etree.fromstring(bytes(daten), _parser(grosse_textknoten))
    except etree.XMLSyntaxError as fehler:
        raise AdapterFehler(f"{was} ist kein wohlgeformtes XML: {fehler}", "xml_ungueltig") from fehler
    except ValueError as fehler:  # e.g. an unknown encoding declaration
        raise AdapterFehler(f"{was} ist kein lesbares XML: {fehler}", "xml_ungueltig") from fehler
    info = wurzel.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise _doctype_fehler(was)
    return wurzel


def _doctype_fehler(was: str) -> AdapterFehler:
    """The AdapterFehler for a refused DOCTYPE."""
    return AdapterFehler(
        f"{was} enthält eine DOCTYPE-/ENTITY-Deklaration; das ist aus Sicherheitsgründen nicht erlaubt "
        "(XXE/Entity-Expansion)",
        "xml_doctype",
    )


def lokaler_name(element: etree._Element) -> str:
    """The element's name without namespace."""
    return etree.QName(element).localname


def kind_elemente(element: etree._Element) -> list[etree._Element]:
    """Child elements only (no comments or processing instructions)."""
    return [kind for kind in element if isinstance(kind.tag, str)]


def text_von(element: etree._Element | None) -> str | None:
    """The element's complete text content stripped, or None when absent or empty."""
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def wert_erkennen(
    text: str | None, typ_hinweis: str | None = None
) -> tuple[str | int | float | bool | date | None, str]:
    """Turn an XML text value into a typed ``(wert, typ)``.

    With a type hint (intelliForm ``a:type``: string, boolean, date, number/integer/decimal) the hint decides;
    without one only ``true``/``false`` become booleans and ``YYYY-MM-DD`` becomes a date. Numbers stay
    strings then, because codes like ``01`` or postcodes must keep their leading zeros. A value that does not
    fit its hint stays a string.
    """
    if text is None or text == "":
        hinweis = (typ_hinweis or "").lower()
        return None, {"boolean": "boolean", "date": "date", "number": "number"}.get(hinweis, "string")
    hinweis = (typ_hinweis or "").lower()
    if hinweis in ("", "boolean") and text in ("true", "false"):
        return text == "true", "boolean"
    if hinweis in ("", "date") and _ISO_DATUM.match(text):
        try:
            return date.fromisoformat(text), "date"
        except ValueError:
            return text, "string"
    if hinweis in ("number", "integer", "int", "long", "decimal", "double", "float"):
        try:
            return (int(text), "number") if re.fullmatch(r"-?\d+", text) else (float(text), "number")
        except ValueError:
            return text, "string"
    return text, "string"


def element_zu_feld(
    element: etree._Element,
    *,
    attribut_ns: str | None = None,
    datei_element: str = "file",
) -> Feld:
    """Map one XML element (and its subtree) to a :class:`Feld`.

    Elements with child elements become groups; an element named ``datei_element`` becomes a ``file`` field
    whose value is its ``id`` attribute (label: the file name it contains). When ``attribut_ns`` is given,
    ``{attribut_ns}type`` is the type hint and ``{attribut_ns}label`` the display text of the value.
    """
    name = lokaler_name(element)
    kinder = kind_elemente(element)
    typ_hinweis = element.get(f"{{{attribut_ns}}}type") if attribut_ns else None
    anzeige = element.get(f"{{{attribut_ns}}}label") if attribut_ns else None
    if name == datei_element and element.get("id") is not None:
        return Feld(name=name, label=text_von(element), wert=element.get("id"), typ="file")
    if kinder:
        return Feld(
            name=name,
            typ="group",
            kinder=[element_zu_feld(k, attribut_ns=attribut_ns, datei_element=datei_element) for k in kinder],
            anzeigewert=anzeige,
        )
    wert, typ = wert_erkennen(text_von(element), typ_hinweis)
    return Feld(name=name, wert=wert, typ=typ, anzeigewert=anzeige)  # type: ignore[arg-type]


def elemente_zu_feldern(wurzel: etree._Element, **optionen: str | None) -> list[Feld]:
    """The child elements of ``wurzel`` as an ordered Feld list (see :func:`element_zu_feld`)."""
    return [element_zu_feld(kind, **optionen) for kind in kind_elemente(wurzel)]  # type: ignore[arg-type]
