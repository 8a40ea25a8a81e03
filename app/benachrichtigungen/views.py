"""The e-mail choice for notifications (a section of the settings page)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.benachrichtigungen.service import ARTEN, mail_arten, mail_arten_setzen
from app.extensions import db

bp = Blueprint("benachrichtigungen", __name__)
bp.add_app_template_global(ARTEN, "benachrichtigung_arten")


@bp.app_template_global("benachrichtigung_per_mail")
def per_mail() -> set[str]:
    """The current user's e-mail choice (called by the settings section only, so no query on other pages)."""
    return mail_arten(current_user) if current_user.is_authenticated else set()


@bp.post("/einstellungen/benachrichtigungen")
def einstellen():
    """Save which notifications also come by e-mail."""
    if FlaskForm().validate_on_submit():
        arten = set(request.form.getlist("art"))
        mail_arten_setzen(current_user, arten)
        db.session.commit()
        if arten and not current_user.email:
            flash("Gespeichert – für Ihr Konto ist aber keine E-Mail-Adresse hinterlegt.", "fehler")
        else:
            flash("Benachrichtigungen per E-Mail gespeichert.", "erfolg")
    return redirect(url_for("auth.einstellungen"))
