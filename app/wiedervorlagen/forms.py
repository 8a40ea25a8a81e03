"""Forms of the Wiedervorlagen slice (Flask-WTF adds the CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional


class WiedervorlageForm(FlaskForm):
    """Create or edit a Wiedervorlage."""

    betreff = StringField(
        "Betreff",
        validators=[
            DataRequired("Bitte geben Sie einen Betreff an."),
            Length(max=300, message="Höchstens 300 Zeichen."),
        ],
    )
    frist = DateField("Frist (Datum)", validators=[DataRequired("Bitte geben Sie ein gültiges Datum an.")])
    uhrzeit = TimeField(
        "Uhrzeit (optional)",
        validators=[Optional()],
        description="Ohne Uhrzeit erinnert Amtsfluss am Morgen des Fristtags.",
    )
    zugewiesen_an = SelectField("Zugewiesen an", coerce=int, validate_choice=True)
    beschreibung = TextAreaField("Beschreibung", validators=[Optional(), Length(max=5000)])


class DigestForm(FlaskForm):
    """Opt in to the daily digest mail."""

    digest_aktiv = BooleanField("Tägliche E-Mail mit meinen fälligen und überfälligen Wiedervorlagen")
