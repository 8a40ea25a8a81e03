"""Forms of the login slice (Flask-WTF adds the CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    """Benutzername and Passwort."""

    login = StringField("Benutzername", validators=[DataRequired("Bitte geben Sie Ihren Benutzernamen ein.")])
    password = PasswordField("Passwort", validators=[DataRequired("Bitte geben Sie Ihr Passwort ein.")])


class PasswortAendernForm(FlaskForm):
    """Change one's own password."""

    altes_passwort = PasswordField(
        "Bisheriges Passwort", validators=[DataRequired("Bitte geben Sie Ihr bisheriges Passwort ein.")]
    )
    neues_passwort = PasswordField(
        "Neues Passwort",
        validators=[DataRequired("Bitte geben Sie ein neues Passwort ein.")],
    )
