"""Forms of the Postfach section on the Vorgang page (prefix `pf-`)."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

PFLICHT = "Dieses Feld ist ein Pflichtfeld."


class Ankreuzliste(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered as fieldset by `_formfeld.html`)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NachrichtForm(FlaskForm):
    """Write to the applicant: channel, Betreff, text, Anhänge of the Vorgang, optional Frist (Nachforderung)."""

    kanal = SelectField("Kanal", validators=[DataRequired(PFLICHT)])
    betreff = StringField("Betreff", validators=[DataRequired(PFLICHT), Length(max=200)])
    text = TextAreaField("Nachricht", validators=[DataRequired(PFLICHT), Length(max=20_000)])
    anhaenge = Ankreuzliste("Anhänge mitsenden", coerce=int, validate_choice=True)
    frist = DateField(
        "Antwort erwartet bis (Nachforderung)",
        validators=[Optional()],
        description="Mit Frist wird eine Wiedervorlage angelegt; die Antwort des Antragstellers erledigt sie.",
    )

    def __init__(self, *args, **kwargs):
        """Fields get the prefix `pf-`."""
        super().__init__(*args, prefix="pf", **kwargs)
