"""The words a Vorgang is found under, and the words of a search query: both split and folded the same way."""

import re
from collections.abc import Iterable

#: Words: letters and digits (any script); everything else separates words.
WORT = re.compile(r"\w+", re.UNICODE)
#: Longest query we look at; longer input is cut (a search box, not a document).
MAX_WOERTER = 8


def suchtext(vorgang) -> str:
    """The text under which a Vorgang is found: ids, applicant, form name and all form data values."""
    teile: list[str] = [oe_marke(vorgang.oe_id), vorgang.nummer or "", vorgang.aktenzeichen or ""]
    teile.append(vorgang.antragsteller_name or "")
    teile.append(vorgang.formular_name or "")
    teile.extend(_werte(vorgang.antragsteller or {}))
    teile.extend(_baumwerte(vorgang.formulardaten or []))
    # Only the words: queries are split the same way, and PostgreSQL's parser would otherwise keep
    # "OA-2026/4711" or "31005-FFBZK6" as compound tokens that the words of a query do not match.
    return " ".join(WORT.findall(_falten(" ".join(t for t in teile if t))))


def woerter(anfrage: str) -> list[str]:
    """The words of a query, at most MAX_WOERTER, each at most 60 characters."""
    return [w[:60] for w in WORT.findall(_falten(anfrage or ""))][:MAX_WOERTER]


def oe_marke(oe_id: int | None) -> str:
    """A token naming the Vorgang's OE in its search text, so the full-text index itself narrows to the user's OEs
    (a term common elsewhere but rare in one's own OE would otherwise walk all its matches)."""
    return f"oe{oe_id}" if oe_id else ""


def _falten(text: str) -> str:
    """ß and ss are the same letter for searching (Weiß = Weiss); both databases then agree."""
    return text.replace("ß", "ss").replace("ẞ", "SS")


def _werte(daten) -> Iterable[str]:
    """All scalar values of a nested dict/list as strings (the Antragsteller record)."""
    if isinstance(daten, dict):
        for wert in daten.values():
            yield from _werte(wert)
    elif isinstance(daten, list):
        for wert in daten:
            yield from _werte(wert)
    elif daten is not None and not isinstance(daten, bool):
        yield str(daten)


def _baumwerte(knoten: list) -> Iterable[str]:
    """The values of the form data tree (labels are not searched: they are the same on every Vorgang)."""
    for k in knoten:
        if not isinstance(k, dict):
            continue
        wert = k.get("wert")
        if wert is not None and not isinstance(wert, bool | dict | list):
            yield str(wert)
        yield from _baumwerte(k.get("kinder") or [])
