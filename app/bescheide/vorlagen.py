"""Bescheid templates: the placeholders they may use, the check at save time and filling them for a Vorgang.

A template is an HTML fragment (well-formed, from a small set of elements) with placeholders `{{ name }}`.
Unknown placeholders, other template syntax, broken or unsafe HTML are refused when the template is saved, so a
Bescheid never renders half. Values are escaped; a Textbaustein is plain text and becomes paragraphs.
"""

import html as htmllib
import re
from datetime import date, datetime

from lxml import etree
from markupsafe import Markup, escape

from app.templating import datum
from app.timeutil import heute
from app.vorgaenge.models import Vorgang

PLATZHALTER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\s*\}\}")
_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_ENTITAET = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")

#: Placeholders with a fixed name, and what they mean (shown to template authors).
FESTE_PLATZHALTER = {
    "antragsteller.name": "Name des Antragstellers",
    "antragsteller.anschrift": "Anschrift (Straße, PLZ Ort) in einer Zeile",
    "antragsteller.email": "E-Mail-Adresse",
    "vorgang.nummer": "Vorgangsnummer",
    "vorgang.aktenzeichen": "Aktenzeichen",
    "vorgang.eingangsdatum": "Eingangsdatum des Antrags",
    "vorgang.formular": "Name des Antragsformulars",
    "oe.name": "Name der Organisationseinheit (Briefkopf)",
    "datum": "Datum des Bescheids",
}
#: Placeholder prefixes with a free second part: a form field by name, a Textbaustein by key.
PRAEFIXE = {
    "formular": "Feld der Antragsdaten, z. B. {{ formular.baumart }}",
    "textbaustein": "Textbaustein",
    "verfahren": "Variable des Verfahrens, z. B. {{ verfahren.jahressteuer }}",
    "gebuehr": "Betrag in Euro aus einer Variablen des Verfahrens (etwa dem Ergebnis einer Entscheidungstabelle), "
    "z. B. {{ gebuehr.jahressteuer }}",
}
#: Prefixes whose value comes from the procedure: a missing value is an error, never an empty spot in a Bescheid.
AUS_DEM_VERFAHREN = ("verfahren", "gebuehr")


class VorlagenFehler(ValueError):
    """A placeholder cannot be filled for this Vorgang (the text names it and why)."""


#: Elements a template may contain (the letter layout is the application's, not the template's).
ELEMENTE = frozenset({
    "p", "br", "strong", "em", "b", "i", "u", "s", "small", "sup", "sub", "span", "div", "section", "h2", "h3", "h4",
    "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "blockquote", "hr", "dl", "dt",
    "dd",
})  # fmt: skip
ATTRIBUTE = frozenset({"class", "style", "colspan", "rowspan", "lang", "title"})
_XML_ENTITAETEN = frozenset({"lt", "gt", "amp", "quot", "apos"})


def pruefen(text: str, textbausteine: set[str]) -> list[str]:
    """All errors of a template (empty list: it may be saved)."""
    fehler = []
    for name in PLATZHALTER.findall(text):
        praefix, _, rest = name.partition(".")
        if name in FESTE_PLATZHALTER or (praefix in ("formular", *AUS_DEM_VERFAHREN) and rest):
            continue
        if praefix == "textbaustein" and rest in textbausteine:
            continue
        fehler.append(f"Unbekannter Platzhalter „{{{{ {name} }}}}“.")
    if _SYNTAX.search(PLATZHALTER.sub("", text)):
        fehler.append("Nur Platzhalter der Form {{ name }} sind erlaubt; andere geschweifte Klammern nicht.")
    fehler.extend(_html_pruefen(PLATZHALTER.sub("x", text)))
    return fehler


def _html_pruefen(text: str) -> list[str]:
    """Well-formed HTML of the allowed elements and attributes (no scripts, links, images or forms)."""
    try:
        wurzel = etree.fromstring(f"<div>{_entitaeten(text)}</div>", etree.XMLParser(resolve_entities=False))
    except (etree.XMLSyntaxError, ValueError) as error:
        return [f"Das HTML ist nicht wohlgeformt: {_meldung(error)}"]
    fehler = []
    for element in wurzel.iter():
        if not isinstance(element.tag, str):
            fehler.append("Kommentare und Verarbeitungsanweisungen sind nicht erlaubt.")
            continue
        if element.tag not in ELEMENTE:
            fehler.append(f"Das Element <{element.tag}> ist nicht erlaubt.")
        fehler.extend(f"Das Attribut „{a}“ ist nicht erlaubt." for a in element.attrib if a not in ATTRIBUTE)
        stil = element.attrib.get("style", "")
        if "url(" in stil.replace(" ", "").lower() or "@import" in stil.lower():
            fehler.append("Externe Verweise in „style“ sind nicht erlaubt.")
    return list(dict.fromkeys(fehler))


def _entitaeten(text: str) -> str:
    """Named HTML entities (&nbsp; …) as numeric ones, so the XML parser accepts them; unknown ones raise."""

    def ersetzen(treffer: re.Match) -> str:
        name = treffer.group(1)
        if name in _XML_ENTITAETEN:
            return treffer.group(0)
        if name not in htmllib.entities.name2codepoint:
            raise ValueError(f"unbekannte Entität &{name};")
        return f"&#{htmllib.entities.name2codepoint[name]};"

    return _ENTITAET.sub(ersetzen, text)


def _meldung(error: Exception) -> str:
    """The parser's message without the wrapper's line/column offsets."""
    return str(error).split(" (line")[0].split(", line")[0]


def braucht_verfahren(text: str) -> bool:
    """True when the text uses a placeholder filled from the procedure's variables."""
    return any(name.partition(".")[0] in AUS_DEM_VERFAHREN for name in PLATZHALTER.findall(text or ""))


def werte(
    vorgang: Vorgang, textbausteine: dict[str, str], datum_des_bescheids=None, verfahren: dict | None = None
) -> dict[str, Markup]:
    """Every placeholder's value for this Vorgang, escaped HTML; `verfahren` are the procedure's variables."""
    a = vorgang.antragsteller or {}
    strasse = " ".join(t for t in (a.get("strasse"), a.get("hausnummer")) if t)
    ort = " ".join(t for t in (a.get("plz"), a.get("ort")) if t)
    ergebnis = {
        "antragsteller.name": vorgang.antragsteller_name,
        "antragsteller.anschrift": ", ".join(t for t in (strasse, ort) if t),
        "antragsteller.email": a.get("email") or "",
        "vorgang.nummer": vorgang.nummer,
        "vorgang.aktenzeichen": vorgang.aktenzeichen or "",
        "vorgang.eingangsdatum": datum(vorgang.eingangsdatum),
        "vorgang.formular": vorgang.formular_name,
        "oe.name": vorgang.oe.name,
        "datum": datum(datum_des_bescheids or heute()),
    }
    werte_ = {k: escape(v or "") for k, v in ergebnis.items()}
    for name, wert in _formularfelder(vorgang.formulardaten or []):
        werte_.setdefault(f"formular.{name}", escape(wert))
    for schluessel, text in textbausteine.items():
        werte_[f"textbaustein.{schluessel}"] = absaetze(text)
    for name, wert in (verfahren or {}).items():
        werte_[f"verfahren.{name}"] = escape(_als_text(wert))
        if isinstance(wert, int | float) and not isinstance(wert, bool):
            werte_[f"gebuehr.{name}"] = escape(euro(wert))
    return werte_


def euro(betrag: float) -> str:
    """An amount in German notation: `1.234,50 €`."""
    return f"{betrag:,.2f} €".replace(",", "_").replace(".", ",").replace("_", ".")


def _als_text(wert) -> str:
    """A procedure variable as text: dates German, booleans ja/nein, decimals with comma."""
    if isinstance(wert, bool):
        return "ja" if wert else "nein"
    if isinstance(wert, date | datetime):
        return datum(wert)
    if isinstance(wert, float):
        return f"{wert:.2f}".replace(".", ",")
    return str(wert)


def absaetze(text: str) -> Markup:
    """Plain text as HTML paragraphs (blank line = new paragraph, line break kept)."""
    teile = [t.strip() for t in re.split(r"\n\s*\n", text or "") if t.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br/>").join(t.splitlines())) for t in teile)


def _formularfelder(baum: list, praefix: str = ""):
    """(name, text value) of every leaf of the form data tree."""
    for knoten in baum:
        if not isinstance(knoten, dict):
            continue
        if knoten.get("kinder"):
            yield from _formularfelder(knoten["kinder"], praefix)
        elif knoten.get("name"):
            yield str(knoten["name"]), "" if knoten.get("wert") is None else str(knoten["wert"])


def fuellen(text: str, werte_: dict[str, Markup]) -> str:
    """Replace every placeholder; a form field the application does not have becomes empty, a value from the
    procedure that is missing (or no amount for `gebuehr.…`) raises VorlagenFehler listing each."""
    fehlend = []
    for name in dict.fromkeys(PLATZHALTER.findall(text)):
        praefix, _, variable = name.partition(".")
        if praefix in AUS_DEM_VERFAHREN and name not in werte_:
            grund = "ist kein Betrag" if f"verfahren.{variable}" in werte_ else "liegt (noch) nicht vor"
            fehlend.append(f"„{{{{ {name} }}}}“: Die Variable „{variable}“ des Verfahrens {grund}.")
    if fehlend:
        raise VorlagenFehler(
            "Der Bescheid kann für diesen Vorgang nicht erstellt werden: " + " ".join(fehlend) + " Wird der Wert "
            "von einer Entscheidungstabelle berechnet, muss das Verfahren diesen Schritt erst erreicht haben."
        )
    return PLATZHALTER.sub(lambda t: str(werte_.get(t.group(1), "")), text)
