"""Form fields of user tasks: from the Camunda form in the spec to `Formularfeld`, and checking submitted data."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from SpiffWorkflow.camunda.specs.user_task import UserTask


@dataclass
class Formularfeld:
    """One field of a task form (camunda:formField)."""

    id: str
    label: str
    typ: str  # 'string' | 'long' | 'boolean' | 'date' | 'enum'
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


WAHR = {"true", "on", "1", "ja", "yes"}
FALSCH = {"false", "off", "0", "nein", "no", ""}


def datum_lesen(text: str) -> date:
    """A date as typed: ISO (2026-12-24, what <input type=date> sends) or German (24.12.2026)."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
        return date(int(m[3]), int(m[2]), int(m[1]))
    return date.fromisoformat(text)


def pruefen(felder: list[Formularfeld], daten: dict[str, str], bisher: dict | None = None) -> tuple[dict, dict]:
    """Convert submitted strings to typed values; returns `(werte, fehler)` with German messages per field.

    Read-only fields keep their current value (or default); unknown keys are ignored.
    """
    werte: dict = {}
    fehler: dict[str, str] = {}
    bisher = bisher or {}
    for f in felder:
        if f.readonly:
            if f.id in bisher:
                werte[f.id] = bisher[f.id]
            continue
        roh = daten.get(f.id)
        text = "" if roh is None else str(roh).strip() if f.typ != "string" else str(roh)
        if f.typ == "boolean":
            if text.lower() in WAHR:
                werte[f.id] = True
            elif text.lower() in FALSCH:
                werte[f.id] = False
            else:
                fehler[f.id] = "Bitte „ja“ oder „nein“ wählen."
            continue
        if not text.strip():
            if f.pflicht:
                fehler[f.id] = f"„{f.label}“ ist ein Pflichtfeld."
            else:
                werte[f.id] = None
            continue
        if f.typ == "string":
            if f.minlength is not None and len(text) < f.minlength:
                fehler[f.id] = f"Mindestens {f.minlength} Zeichen."
            elif f.maxlength is not None and len(text) > f.maxlength:
                fehler[f.id] = f"Höchstens {f.maxlength} Zeichen."
            else:
                werte[f.id] = text
        elif f.typ == "long":
            try:
                zahl = int(text)
            except ValueError:
                fehler[f.id] = "Bitte eine ganze Zahl eingeben."
                continue
            if f.min is not None and zahl < f.min:
                fehler[f.id] = f"Mindestens {f.min}."
            elif f.max is not None and zahl > f.max:
                fehler[f.id] = f"Höchstens {f.max}."
            else:
                werte[f.id] = zahl
        elif f.typ == "date":
            try:
                werte[f.id] = datum_lesen(text)
            except ValueError:
                fehler[f.id] = "Bitte ein Datum im Format TT.MM.JJJJ eingeben."
        elif f.typ == "enum":
            if text not in {wert_id for wert_id, _ in f.werte}:
                fehler[f.id] = "Bitte einen der angebotenen Werte wählen."
            else:
                werte[f.id] = text
    return werte, fehler


def anzeigen(wert) -> str:
    """A typed form value as text for the Historie."""
    if isinstance(wert, bool):
        return "ja" if wert else "nein"
    if isinstance(wert, (date, datetime)):
        return wert.strftime("%d.%m.%Y")
    return "" if wert is None else str(wert)
