"""Forms of the Bescheid pages: templates, text blocks, editing a draft, finalising."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.bescheide.models import ARTEN

PFLICHT = "Dieses Feld ist ein Pflichtfeld."


class VorlageForm(FlaskForm):
    """A Bescheid template."""

    name = StringField("Name", validators=[DataRequired(PFLICHT), Length(max=200)])
    verfahren = SelectField("Verfahren", description="Leer: für alle Verfahren.")
    art = SelectField("Art des Bescheids", choices=list(ARTEN.items()), validators=[DataRequired(PFLICHT)])
    html = TextAreaField(
        "Text (HTML mit Platzhaltern)",
        validators=[DataRequired(PFLICHT), Length(max=200_000)],
        render_kw={"rows": 20},
        description="Wohlgeformtes HTML (z. B. <p>…</p>, <br/>), Platzhalter als {{ name }}; siehe Liste unten.",
    )
    freigabe_noetig = BooleanField("Freigabe durch die Leitung erforderlich")


class TextbausteinForm(FlaskForm):
    """A text block."""

    schluessel = StringField(
        "Schlüssel", validators=[DataRequired(PFLICHT), Length(max=60)], description="z. B. rechtsbehelf"
    )
    titel = StringField("Titel", validators=[DataRequired(PFLICHT), Length(max=200)])
    text = TextAreaField(
        "Text",
        validators=[DataRequired(PFLICHT), Length(max=50_000)],
        render_kw={"rows": 10},
        description="Reiner Text; eine Leerzeile beginnt einen neuen Absatz.",
    )


class EntwurfForm(FlaskForm):
    """Edit a draft."""

    titel = StringField("Betreff des Bescheids", validators=[DataRequired(PFLICHT), Length(max=200)])
    html = TextAreaField("Text (HTML)", validators=[DataRequired(PFLICHT), Length(max=200_000)], render_kw={"rows": 24})


class ErlassForm(FlaskForm):
    """Finalise and (optionally) send."""

    kanal = SelectField("Versand an den Antragsteller")
