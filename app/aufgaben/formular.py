"""The task form as the template renders it: the engine's WTForms form with page-unique ids and the errors of a
failed submission.

Dates are plain text inputs (TT.MM.JJJJ) rather than `<input type=date>`: the native picker's segment order
follows the browser's locale, which keyboard and screen-reader users cannot predict.
"""

from wtforms.form import BaseForm

from app.engine.formular import Formularfeld, formular

#: Prefix of field ids in task forms (several tasks can share the detail page).
ID_PREFIX = "aufgabe"


def aufgabenformular(
    task_id: str, felder: list[Formularfeld], eingaben: dict | None = None, fehler: dict | None = None
) -> BaseForm:
    """The form of one task, filled from `eingaben` (a re-shown submission) or the defaults, with `fehler`."""
    kurz = "".join(c for c in str(task_id) if c.isalnum())[:12]
    form = formular(felder, eingaben, html_prefix=f"{ID_PREFIX}-{kurz}-")
    for name, meldung in (fehler or {}).items():
        if name in form:
            form[name].errors = [meldung]
    return form
