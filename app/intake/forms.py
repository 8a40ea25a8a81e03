"""Forms of the intake administration pages (Flask-WTF adds the CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from app.intake.models import ARTEN, ROUTING_ARTEN

ARTEN_NAMEN = {"ozgcloud": "OZG-Cloud-Schnittstelle", "intelliform": "intelliForm", "formsolutions": "Form-Solutions"}
ROUTING_NAMEN = {
    "zustaendige_stelle": "Zuständige Stelle",
    "intelliform_kunde": "intelliForm-Kunde (customerId)",
    "formsolutions_mandant": "Form-Solutions-Mandant",
    "standard": "Standard-OE (alles ohne Zuordnung)",
}


class QuelleForm(FlaskForm):
    """A new form service with its credentials."""

    name = StringField("Name der Quelle", validators=[DataRequired("Bitte geben Sie einen Namen an."), Length(max=40)])
    art = SelectField("Art", choices=[(a, ARTEN_NAMEN[a]) for a in ARTEN])
    benutzername = StringField(
        "Benutzername für HTTP Basic (leer lassen für ein Bearer-Token)", validators=[Optional(), Length(max=100)]
    )
    ip_erlaubt = TextAreaField("Erlaubte IP-Adressen oder Netze (eine pro Zeile, leer = alle)")


class RoutingForm(FlaskForm):
    """One row of the routing table."""

    art = SelectField("Art des Schlüssels", choices=[(a, ROUTING_NAMEN[a]) for a in ROUTING_ARTEN])
    schluessel = StringField(
        "Schlüssel (bei Standard-OE: *)",
        validators=[DataRequired("Bitte geben Sie einen Schlüssel an."), Length(max=200)],
    )
    oe_id = SelectField("Organisationseinheit", coerce=int)


class MandantForm(FlaskForm):
    """Poll configuration of one Form-Solutions Mandant."""

    quelle_id = SelectField("Quelle (Art Form-Solutions)", coerce=int)
    base_url = StringField(
        "Server-URL des Form-Servers (z. B. https://formserver.example)",
        validators=[
            DataRequired("Bitte geben Sie die Basis-URL an."),
            URL(require_tld=False, message="Keine gültige URL."),
        ],
    )
    mandant = StringField(
        "Mandantennummer", validators=[DataRequired("Bitte geben Sie den Mandanten an."), Length(max=100)]
    )
    api_key = PasswordField("API-Schlüssel", validators=[DataRequired("Bitte geben Sie den API-Schlüssel an.")])
    formularnummern = StringField(
        "Formularnummern (durch Komma getrennt)",
        validators=[DataRequired("Bitte geben Sie mindestens eine Formularnummer an.")],
    )
    intervall_sekunden = IntegerField(
        "Abrufintervall in Sekunden", default=60, validators=[NumberRange(min=10, max=86400)]
    )
