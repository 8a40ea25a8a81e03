"""Turns the engine's `Formularfeld` list into what the task form template renders.

Dates are plain text inputs (TT.MM.JJJJ) rather than `<input type=date>`: the native picker's segment
order follows the browser's locale, which keyboard and screen-reader users cannot predict; the engine reads
German and ISO dates alike. The template never decides anything: each `FeldAnsicht` carries the HTML id,
input kind, current value (submitted, else the BPMN default), constraints as HTML attributes and the German
error message.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Prefix of field ids in task forms (several tasks can share the detail page).
ID_PREFIX = "aufgabe"


@dataclass
class FeldAnsicht:
    """One rendered form field."""

    id: str  # the engine's field id = the submitted name
    html_id: str
    label: str
    art: str  # 'text' | 'zahl' | 'datum' | 'janein' | 'auswahl' | 'anzeige'
    pflicht: bool
    wert: str
    fehler: str = ""
    werte: list[tuple[str, str]] = field(default_factory=list)
    attribute: dict[str, str] = field(default_factory=dict)


_ARTEN = {"string": "text", "long": "zahl", "date": "datum", "boolean": "janein", "enum": "auswahl"}


def _als_text(wert) -> str:
    """A default or submitted value as the string an input holds (dates ISO for <input type=date>)."""
    if wert is None:
        return ""
    if isinstance(wert, bool):
        return "true" if wert else "false"
    if isinstance(wert, datetime):
        wert = wert.date()
    if isinstance(wert, date):
        return wert.strftime("%d.%m.%Y")
    text = str(wert)
    if _ISO.fullmatch(text):  # a BPMN default like 2026-12-24 is shown the way people type dates
        return f"{text[8:10]}.{text[5:7]}.{text[0:4]}"
    return text


def feldansichten(task_id: str, felder: list, eingaben: dict | None = None, fehler: dict | None = None) -> list:
    """The fields of one task form, with values from `eingaben` (a re-shown submission) or the defaults."""
    eingaben = eingaben or {}
    fehler = fehler or {}
    kurz = "".join(c for c in str(task_id) if c.isalnum())[:12]
    ansichten = []
    for f in felder:
        art = "anzeige" if f.readonly else _ARTEN.get(f.typ, "text")
        wert = eingaben[f.id] if f.id in eingaben else _als_text(f.vorgabe)
        attribute: dict[str, str] = {}
        if art == "text":
            if f.minlength is not None:
                attribute["minlength"] = str(int(f.minlength))
            if f.maxlength is not None:
                attribute["maxlength"] = str(int(f.maxlength))
        if art == "zahl":
            attribute["inputmode"] = "numeric"
            if f.min is not None:
                attribute["min"] = str(f.min)
            if f.max is not None:
                attribute["max"] = str(f.max)
        ansichten.append(
            FeldAnsicht(
                id=f.id,
                html_id=f"{ID_PREFIX}-{kurz}-{f.id}",
                label=f.label or f.id,
                art=art,
                pflicht=bool(f.pflicht),
                wert=str(wert),
                fehler=fehler.get(f.id, ""),
                werte=list(f.werte or []),
                attribute=attribute,
            )
        )
    return ansichten


def hinweis(ansicht: FeldAnsicht) -> str:
    """A short German hint on the constraints, read out with the field (aria-describedby)."""
    teile = []
    a = ansicht.attribute
    if "minlength" in a and "maxlength" in a:
        teile.append(f"{a['minlength']} bis {a['maxlength']} Zeichen")
    elif "maxlength" in a:
        teile.append(f"höchstens {a['maxlength']} Zeichen")
    elif "minlength" in a:
        teile.append(f"mindestens {a['minlength']} Zeichen")
    if "min" in a and "max" in a:
        teile.append(f"ganze Zahl von {a['min']} bis {a['max']}")
    elif ansicht.art == "zahl":
        teile.append("ganze Zahl")
    if ansicht.art == "datum":
        teile.append("Datum (TT.MM.JJJJ)")
    return ", ".join(teile)
