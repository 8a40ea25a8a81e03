"""Forms for managing users and Organisationseinheiten."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.models import ROLLEN

ROLLEN_NAMEN = {
    "sachbearbeitung": "Sachbearbeitung",
    "leitung": "Leitung",
    "verfahrensdesign": "Verfahrensdesign",
    "administration": "Administration",
    "systemadministration": "Systemadministration",
}


class Ankreuzliste(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BenutzerForm(FlaskForm):
    """Create or edit a user; the password is only required when creating."""

    login = StringField(
        "Benutzername",
        validators=[
            DataRequired("Bitte geben Sie einen Benutzernamen ein."),
            Regexp(r"^[a-z0-9._-]{2,80}$", message="Nur Kleinbuchstaben, Ziffern, Punkt, Binde- und Unterstrich."),
        ],
    )
    name = StringField("Vor- und Nachname", validators=[DataRequired("Bitte geben Sie den Namen ein.")])
    email = EmailField("E-Mail", validators=[Optional(), Email("Bitte geben Sie eine gültige E-Mail-Adresse ein.")])
    rollen = Ankreuzliste("Rollen", choices=[(r, ROLLEN_NAMEN[r]) for r in ROLLEN])
    oes = Ankreuzliste("Organisationseinheiten", coerce=int)
    aktiv = BooleanField("Aktiv", default=True)
    passwort = PasswordField("Neues Passwort", validators=[Optional()])  # policy: app.auth.passwortregeln


class OEForm(FlaskForm):
    """Create or edit an Organisationseinheit."""

    name = StringField("Name", validators=[DataRequired("Bitte geben Sie einen Namen ein.")])
    kennung = StringField("Kennung", validators=[DataRequired("Bitte geben Sie die Kennung ein.")])
    nummer_prefix = StringField(
        "Präfix der Vorgangsnummern",
        validators=[
            DataRequired("Bitte geben Sie einen Präfix ein."),
            Regexp(r"^\d{5}$", message="Genau fünf Ziffern."),
        ],
    )
    aktenzeichen_muster = StringField(
        "Muster für Aktenzeichen",
        default="{OE}-{JAHR}-{LAUFNR}",
        validators=[DataRequired("Bitte geben Sie ein Muster ein.")],
    )
