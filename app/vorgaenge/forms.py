"""Forms of the Vorgang detail page (case actions). Each has its own prefix: several share one page."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

PFLICHT = "Dieses Feld ist ein Pflichtfeld."


class KommentarForm(FlaskForm):
    """A comment on the Vorgang."""

    text = TextAreaField("Kommentar", validators=[DataRequired(PFLICHT), Length(max=10_000)])

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `kommentar-`."""
        super().__init__(*args, prefix="kommentar", **kwargs)


class AktenzeichenForm(FlaskForm):
    """Set the Aktenzeichen: typed in, or generated from the OE's pattern."""

    art = RadioField(
        "Aktenzeichen",
        choices=[("erzeugen", "Nach dem Muster der Organisationseinheit erzeugen"), ("frei", "Selbst eingeben")],
        default="erzeugen",
        validators=[DataRequired(PFLICHT)],
    )
    aktenzeichen = StringField("Aktenzeichen (bei „Selbst eingeben“)", validators=[Optional(), Length(max=100)])

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `az-`."""
        super().__init__(*args, prefix="az", **kwargs)

    def validate(self, extra_validators=None) -> bool:
        """A typed-in Aktenzeichen must not be empty."""
        ok = super().validate(extra_validators)
        if self.art.data == "frei" and not (self.aktenzeichen.data or "").strip():
            self.aktenzeichen.errors = [*self.aktenzeichen.errors, "Bitte geben Sie das Aktenzeichen ein."]
            ok = False
        return ok


class AnhangForm(FlaskForm):
    """Upload a file with a note."""

    datei = FileField("Datei", validators=[FileRequired("Bitte wählen Sie eine Datei aus.")])
    beschreibung = StringField("Notiz zur Datei (optional)", validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `anhang-`."""
        super().__init__(*args, prefix="anhang", **kwargs)


class ZuweisenForm(FlaskForm):
    """Assign to a colleague of the OE."""

    an = SelectField("Zuweisen an", coerce=int, validators=[DataRequired("Bitte wählen Sie eine Person aus.")])

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `zuweisen-`."""
        super().__init__(*args, prefix="zuweisen", **kwargs)


class WeiterleitenForm(FlaskForm):
    """Forward to another OE."""

    ziel = SelectField(
        "Organisationseinheit", coerce=int, validators=[DataRequired("Bitte wählen Sie eine Organisationseinheit aus.")]
    )
    notiz = TextAreaField("Notiz (optional)", validators=[Optional(), Length(max=10_000)])
    trotzdem = BooleanField("Trotzdem weiterleiten, obwohl dort niemand Vorgänge bearbeitet")

    def __init__(self, *args, ohne_bearbeitung: set[int] | None = None, **kwargs):
        """Fields get the prefix `weiterleiten-`; `ohne_bearbeitung` are the OEs without any active caseworker."""
        super().__init__(*args, prefix="weiterleiten", **kwargs)
        self.ohne_bearbeitung = ohne_bearbeitung or set()

    def validate(self, extra_validators=None) -> bool:
        """Forwarding to an OE where nobody works on Vorgänge needs an explicit confirmation."""
        ok = super().validate(extra_validators)
        if ok and self.ziel.data in self.ohne_bearbeitung and not self.trotzdem.data:
            self.ziel.errors = [
                *self.ziel.errors,
                "In dieser Organisationseinheit bearbeitet niemand Vorgänge: bitte bestätigen Sie die Weiterleitung.",
            ]
            ok = False
        return ok


class BegruendungForm(FlaskForm):
    """A reason for verwerfen / Löschen beantragen / wiedereröffnen / Löschung ablehnen."""

    begruendung = TextAreaField("Begründung", validators=[Length(max=10_000)])

    def __init__(self, aktion: str, *args, pflicht: bool = True, **kwargs):
        """Fields get the action as prefix, e.g. `verwerfen-begruendung`."""
        super().__init__(*args, prefix=aktion, **kwargs)
        if pflicht:
            self.begruendung.validators = [DataRequired(PFLICHT), Length(max=10_000)]
        else:
            self.begruendung.label.text = "Begründung (optional)"


class LoeschungBestaetigenForm(FlaskForm):
    """The second person's confirmation of a deletion: nothing is deleted without the box ticked."""

    bestaetigt = BooleanField(
        "Ich habe den Antrag geprüft: Der Vorgang wird mit Anhängen, Kommentaren und Historie endgültig gelöscht.",
        validators=[DataRequired("Bitte bestätigen Sie die endgültige Löschung.")],
    )

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `loeschen-`."""
        super().__init__(*args, prefix="loeschen", **kwargs)


class LeeresForm(FlaskForm):
    """Only the CSRF token: for one-click actions (annehmen, übernehmen, freigeben, Löschung bestätigen)."""
