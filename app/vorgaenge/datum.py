"""The one German date input of the app: TT.MM.JJJJ as text, with messages that say what is wrong.

Used by the list filters, the Wiedervorlage form and the task forms. A text field rather than
`<input type=date>`: the native picker shows the browser's locale order (mm/dd/yyyy in an English browser).
"""

import re
from datetime import date

from wtforms import DateField
from wtforms.widgets import TextInput

_DEUTSCH = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
#: The hint shown with every date field.
HINWEIS = "Format TT.MM.JJJJ, z. B. 24.12.2026"
FORMATFEHLER = "Bitte geben Sie ein Datum im Format TT.MM.JJJJ ein."


def datum_lesen(text: str) -> date:
    """`24.12.2026` (or ISO `2026-12-24`, from older links) → date; ValueError with a German message: the
    format, or that the date does not exist (`31.02.2026 ist kein gültiges Datum.`)."""
    text = (text or "").strip()
    treffer = _DEUTSCH.match(text)
    if treffer:
        tag, monat, jahr = (int(t) for t in treffer.groups())
    elif treffer := _ISO.match(text):
        jahr, monat, tag = (int(t) for t in treffer.groups())
    else:
        raise ValueError(FORMATFEHLER)
    try:
        return date(jahr, monat, tag)
    except ValueError:
        raise ValueError(f"{text} ist kein gültiges Datum.") from None


def datum_text(wert: date | None) -> str:
    """A date as the field shows it: `24.12.2026`; empty for None."""
    return wert.strftime("%d.%m.%Y") if wert else ""


class DatumFeld(DateField):
    """A WTForms date field typed as TT.MM.JJJJ into a text input; parse errors in German."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        """A text input sized for a date, without browser autofill; the format hint as description."""
        kwargs.setdefault("description", HINWEIS)
        render_kw = {"autocomplete": "off", "inputmode": "numeric", "size": 10, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, format="%d.%m.%Y", render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        """The typed text after a failed submission, else the date in German."""
        if self.raw_data:
            return " ".join(self.raw_data)
        return datum_text(self.data)

    def process_formdata(self, valuelist) -> None:
        """Parse the submitted text; an empty field is None (the validators decide whether that is allowed), a field
        that was not submitted at all keeps its default (e.g. a BPMN defaultValue)."""
        if not valuelist:
            return
        if not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = datum_lesen(str(valuelist[0]))
        except ValueError as fehler:
            self.data = None
            raise ValueError(str(fehler)) from None
