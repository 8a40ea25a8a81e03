"""Forms of the Wiedervorlagen slice (Flask-WTF adds the CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.timeutil import heute
from app.vorgaenge.datum import DatumFeld, datum_text


class WiedervorlageForm(FlaskForm):
    """Create or edit a Wiedervorlage."""

    betreff = StringField(
        "Betreff",
        validators=[
            DataRequired("Bitte geben Sie einen Betreff an."),
            Length(max=300, message="Höchstens 300 Zeichen."),
        ],
    )
    frist = DatumFeld("Frist (Datum)", validators=[InputRequired("Bitte geben Sie die Frist an.")])
    uhrzeit = TimeField(
        "Uhrzeit (optional)",
        validators=[Optional()],
        description="Ohne Uhrzeit erinnert Amtsfluss am Morgen des Fristtags.",
    )
    zugewiesen_an = SelectField("Zugewiesen an", coerce=int, validate_choice=True)
    beschreibung = TextAreaField("Beschreibung", validators=[Optional(), Length(max=5000)])
    vergangenheit = BooleanField("Die Frist liegt bewusst in der Vergangenheit (die Erinnerung kommt sofort)")

    def __init__(self, *args, frist_bisher=None, **kwargs):
        """`frist_bisher`: the Frist being edited (keeping a past one needs no confirmation)."""
        super().__init__(*args, **kwargs)
        self.frist_bisher = frist_bisher

    def validate(self, extra_validators=None) -> bool:
        """A new Frist in the past is usually a typo: it needs the confirmation box."""
        ok = super().validate(extra_validators)
        frist = self.frist.data
        if ok and frist and frist < heute() and frist != self.frist_bisher and not self.vergangenheit.data:
            self.frist.errors = [
                *self.frist.errors,
                f"Die Frist {datum_text(frist)} liegt in der Vergangenheit. Bitte prüfen Sie das Datum "
                "oder bestätigen Sie es mit dem Kästchen unten.",
            ]
            ok = False
        return ok

    def vergangenheit_zeigen(self) -> bool:
        """Whether the confirmation box belongs on the page (after a warning, or when ticked)."""
        return bool(self.vergangenheit.data) or any("Vergangenheit" in e for e in self.frist.errors)


class DigestForm(FlaskForm):
    """Opt in to the daily digest mail."""

    digest_aktiv = BooleanField("Tägliche E-Mail mit meinen fälligen und überfälligen Wiedervorlagen")
