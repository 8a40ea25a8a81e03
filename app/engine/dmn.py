"""DMN decision tables (Camunda 7, FEEL unary tests) for SpiffWorkflow's DMN engine, which evaluates Python.

Supported unary tests in input entries: `-` (any), literals (`"A"`, `5`, `true`), comparisons (`< 100`,
`>= 4`), lists (`"A","B"`, `1,2`), ranges (`[1..10]`, `]1..10[`, `(1..10)`), `not(…)` of any of these.
Anything else (FEEL functions such as `date(…)`, `contains(…)`) is rejected at deploy with the rule and text.
"""

import re

from lxml import etree

DMN_NS = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
_BEREICH = re.compile(r"^([\[\](])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\])])$")
_VERGLEICH = re.compile(r"^(<=|>=|<|>|=|!=)\s*(.+)$")
UNTERSTUETZT = "unterstützt: -, Werte, < <= > >=, Listen, [a..b], not(…)"
_LITERAL = re.compile(r'^(-?\d+(\.\d+)?|"[^"]*"|true|false|null)$')


class DmnFehler(ValueError):
    """A FEEL unary test outside the supported subset (German message with the text)."""


def _teile(text: str) -> list[str]:
    """Split a FEEL list at commas outside quotes and brackets."""
    teile, tiefe, zitat, aktuell = [], 0, False, ""
    for zeichen in text:
        if zeichen == '"':
            zitat = not zitat
        elif not zitat and zeichen in "[(":
            tiefe += 1
        elif not zitat and zeichen in "])":
            tiefe -= 1
        if zeichen == "," and not zitat and tiefe == 0:
            teile.append(aktuell.strip())
            aktuell = ""
        else:
            aktuell += zeichen
    teile.append(aktuell.strip())
    return teile


def _test(text: str) -> str:
    """One unary test (no list) as a Python condition on `?` (SpiffWorkflow's placeholder for the input)."""
    text = text.strip()
    if text.startswith("not(") and text.endswith(")"):
        return f"not ({unaerer_test(text[4:-1])})"
    if treffer := _BEREICH.match(text):
        links, von, bis, rechts = treffer.groups()
        for grenze in (von, bis):
            if not _LITERAL.match(grenze):
                raise DmnFehler(f"„{text}“: Bereichsgrenzen müssen Zahlen oder Texte sein.")
        unten = "<=" if links == "[" else "<"
        oben = "<=" if rechts == "]" else "<"
        return f"({von} {unten} ? {oben} {bis})"
    if treffer := _VERGLEICH.match(text):
        operator, wert = treffer.groups()
        if not _LITERAL.match(wert.strip()):
            raise DmnFehler(f"„{text}“: verglichen wird nur mit Zahlen und Texten.")
        return f"(? {'==' if operator == '=' else operator} {wert.strip()})"
    if _LITERAL.match(text):
        return f"(? == {text})"
    raise DmnFehler(
        f"„{text}“ ist kein unterstützter FEEL-Test (unterstützt: -, Werte, < <= > >=, Listen, [a..b], not(…))."
    )


def unaerer_test(text: str | None) -> str | None:
    """A FEEL unary test as SpiffWorkflow's Python test on `?`; None for `-` or empty (matches anything)."""
    text = (text or "").strip()
    if text in ("", "-"):
        return None
    teile = _teile(text)
    if len(teile) == 1:
        return _test(teile[0])
    return "(" + " or ".join(_test(t) for t in teile) + ")"


def dmn_uebersetzen(root) -> tuple[etree._Element, list[tuple[int | None, str]]]:
    """A copy of the DMN document whose input entries are Python tests; and the errors as (line, message)."""
    kopie = etree.fromstring(etree.tostring(root))
    fehler = []
    for original, eintrag in zip(root.iter(), kopie.iter(), strict=True):  # the copy has no line numbers
        if not isinstance(eintrag.tag, str) or etree.QName(eintrag).localname != "inputEntry":
            continue
        text = next((k for k in eintrag if isinstance(k.tag, str) and etree.QName(k).localname == "text"), None)
        if text is None:
            continue
        try:
            uebersetzt = unaerer_test(text.text)
        except DmnFehler as error:
            fehler.append((original.sourceline, f"Entscheidungstabelle: {error}"))
            continue
        text.text = "-" if uebersetzt is None else uebersetzt
    return kopie, fehler


def entscheidungen(root) -> list[str]:
    """The ids of the decisions of a DMN document."""
    return [e.get("id") for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "decision"]
