"""Form fields of user tasks: from the Camunda form in the spec to `Formularfeld`, and from those to a WTForms form
built at run time, which checks submitted data (German messages) and which the task form template renders."""

from dataclasses import dataclass, field
from datetime import date, datetime

from SpiffWorkflow.camunda.specs.user_task import UserTask
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.form import BaseForm
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextArea, TextInput

from app.vorgaenge.datum import DatumFeld

#: Dates as people type them here (TT.MM.JJJJ) and as ISO (BPMN defaults, API callers).
DATUMSFORMATE = ["%d.%m.%Y", "%Y-%m-%d"]
#: Strings accepted for a boolean field; the form's radios send `true`/`false`.
WAHR = {"true", "on", "1", "ja", "yes"}
FALSCH = {"false", "off", "0", "nein", "no", ""}
#: Text field types: Camunda's `string` and the common custom type `textarea` (always multi-line).
TEXTTYPEN = ("string", "textarea")
#: A string field with a longer limit is a multi-line text area.
TEXTAREA_AB_ZEICHEN = 200


@dataclass
class Formularfeld:
    """One field of a task form (camunda:formField)."""

    id: str
    label: str
    typ: str  # 'string' | 'textarea' | 'long' | 'boolean' | 'date' | 'enum'
    pflicht: bool = False
    werte: list[tuple[str, str]] = field(default_factory=list)  # enum: (id, name)
    vorgabe: str | None = None
    min: float | int | None = None
    max: float | int | None = None
    minlength: int | None = None
    maxlength: int | None = None
    readonly: bool = False


def _zahl(text):
    """'5' → 5, '2.5' → 2.5, None/'' → None."""
    if text in (None, ""):
        return None
    wert = float(text)
    return int(wert) if wert.is_integer() else wert


def felder_aus_spec(task_spec) -> list[Formularfeld]:
    """The form fields of a user task spec (empty for other tasks)."""
    if not isinstance(task_spec, UserTask) or task_spec.form is None:
        return []
    felder = []
    for f in task_spec.form.fields:
        regeln = {v.name: v.config for v in getattr(f, "validation", [])}
        felder.append(
            Formularfeld(
                id=f.id,
                label=f.label or f.id,
                typ=f.type,
                pflicht="required" in regeln and (regeln["required"] or "true").lower() != "false",
                werte=[(o.id, o.name) for o in getattr(f, "options", [])] if f.type == "enum" else [],
                vorgabe=f.default_value,
                min=_zahl(regeln.get("min")),
                max=_zahl(regeln.get("max")),
                minlength=_zahl(regeln.get("minlength")),
                maxlength=_zahl(regeln.get("maxlength")),
                readonly="readonly" in regeln and (regeln["readonly"] or "true").lower() != "false",
            )
        )
    return felder


class _Meta(DefaultMeta):
    """German messages for WTForms' own checks (not a number, not a date, not a choice)."""

    locales = ["de_DE", "de"]


def _janein(wert) -> str:
    """A submitted boolean as `true`/`false`; anything else is not a choice (ValueError)."""
    text = str(wert).strip().lower()
    if text in WAHR:
        return "true"
    if text in FALSCH:
        return "false"
    raise ValueError(text)


def _datum(wert) -> date | None:
    """A BPMN default date (ISO or TT.MM.JJJJ) as a date; None when it is none of these."""
    if isinstance(wert, datetime):
        return wert.date()
    if isinstance(wert, date) or wert is None:
        return wert
    for format_ in DATUMSFORMATE:
        try:
            return datetime.strptime(str(wert).strip(), format_).date()
        except ValueError:
            continue
    return None


def _hinweis(f: Formularfeld) -> str:
    """A short German hint on the constraints, read out with the field (the WTForms description)."""
    teile = []
    if f.typ in TEXTTYPEN and f.minlength is not None and f.maxlength is not None:
        teile.append(f"{f.minlength} bis {f.maxlength} Zeichen")
    elif f.typ in TEXTTYPEN and f.maxlength is not None:
        teile.append(f"höchstens {f.maxlength} Zeichen")
    elif f.typ in TEXTTYPEN and f.minlength is not None:
        teile.append(f"mindestens {f.minlength} Zeichen")
    if f.typ == "long":
        teile.append(f"ganze Zahl von {f.min} bis {f.max}" if f.min is not None and f.max is not None else "ganze Zahl")
    if f.typ == "date":
        teile.append("Datum (TT.MM.JJJJ)")
    return ", ".join(teile)


def _feld(f: Formularfeld, html_id: str):
    """The unbound WTForms field of one form field, with its validators and German messages."""
    gemeinsam = {"label": f.label, "id": html_id, "description": "" if f.readonly else _hinweis(f)}
    if f.readonly:
        return StringField(default=f.vorgabe, render_kw={"readonly": True}, **gemeinsam)
    pflicht = f"„{f.label}“ ist ein Pflichtfeld."
    if f.typ == "boolean":
        vorgabe = _janein(f.vorgabe or "false")
        return RadioField(choices=[("true", "Ja"), ("false", "Nein")], coerce=_janein, default=vorgabe, **gemeinsam)
    regeln: list = [(DataRequired if f.typ in TEXTTYPEN else InputRequired)(pflicht) if f.pflicht else Optional()]
    if f.typ == "long":
        if f.min is not None:
            regeln.append(NumberRange(min=f.min, message=f"Mindestens {f.min}."))
        if f.max is not None:
            regeln.append(NumberRange(max=f.max, message=f"Höchstens {f.max}."))
        return IntegerField(validators=regeln, default=f.vorgabe, render_kw={"inputmode": "numeric"}, **gemeinsam)
    if f.typ == "date":
        return DatumFeld(validators=regeln, default=_datum(f.vorgabe), **gemeinsam)
    if f.typ == "enum":
        return SelectField(
            choices=[("", "– bitte wählen –"), *f.werte], validators=regeln, default=f.vorgabe, **gemeinsam
        )
    if f.minlength is not None:
        regeln.append(Length(min=f.minlength, message=f"Mindestens {f.minlength} Zeichen."))
    if f.maxlength is not None:
        regeln.append(Length(max=f.maxlength, message=f"Höchstens {f.maxlength} Zeichen."))
    lang = (
        f.typ == "textarea"
        or (f.maxlength is not None and f.maxlength > TEXTAREA_AB_ZEICHEN)
        or (f.minlength or 0) >= 10
    )
    return StringField(
        validators=regeln,
        default=f.vorgabe,
        widget=TextArea() if lang else TextInput(),
        render_kw={"rows": 4} if lang else None,
        **gemeinsam,
    )


def formular(felder: list[Formularfeld], daten: dict | None = None, html_prefix: str = "") -> BaseForm:
    """A WTForms form of these fields, filled from `daten` (submitted strings) or, without data, the defaults.

    The field names are the BPMN field ids (any id, also `data` or `errors`: BaseForm has no attributes per field);
    the HTML ids get `html_prefix`, so several task forms can share a page.
    """
    form = BaseForm([(f.id, _feld(f, f"{html_prefix}{f.id}")) for f in felder], meta=_Meta())
    if daten is None:
        form.process()
    else:
        form.process(MultiDict({k: "" if v is None else str(v) for k, v in daten.items()}))
    return form


def pruefen(felder: list[Formularfeld], daten: dict, bisher: dict | None = None) -> tuple[dict, dict]:
    """Convert submitted strings to typed values; returns `(werte, fehler)` with German messages per field.

    Read-only fields keep their current value (or are left out); unknown keys are ignored.
    """
    form = formular(felder, daten)
    form.validate()
    fehler = {name: " ".join(meldungen) for name, meldungen in form.errors.items() if name is not None}
    werte: dict = {}
    bisher = bisher or {}
    for f in felder:
        if f.readonly:
            if f.id in bisher:
                werte[f.id] = bisher[f.id]
        elif f.id not in fehler:
            wert = form[f.id].data
            if f.typ == "boolean":
                wert = wert == "true"
            elif isinstance(wert, str) and not wert.strip():
                wert = None
            werte[f.id] = wert
    return werte, fehler


def anzeigen(wert) -> str:
    """A typed form value as text for the Historie."""
    if isinstance(wert, bool):
        return "ja" if wert else "nein"
    if isinstance(wert, (date, datetime)):
        return wert.strftime("%d.%m.%Y")
    return "" if wert is None else str(wert)
