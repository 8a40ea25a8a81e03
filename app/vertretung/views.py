"""Absence and deputy on the settings page."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.models import Benutzer
from app.extensions import db
from app.vertretung import service
from app.vorgaenge.datum import datum_lesen, datum_text

bp = Blueprint("vertretung", __name__)


@bp.app_template_global("vertretung_daten")
def vertretung_daten() -> dict:
    """For the settings section: my absences, who may deputise, whom I deputise for today."""
    return {
        "abwesenheiten": service.abwesenheiten(current_user),
        "kandidaten": service.moegliche_vertreter(current_user),
        "vertretene": service.vertretene(current_user),
    }


@bp.post("/einstellungen/vertretung")
def eintragen():
    """Record an absence with a deputy."""
    if FlaskForm().validate_on_submit():
        try:
            von, bis = datum_lesen(request.form.get("von", "")), datum_lesen(request.form.get("bis", ""))
            vertreter = db.session.get(Benutzer, request.form.get("vertreter", type=int) or 0)
            eintrag = service.abwesenheit_eintragen(current_user, vertreter, von, bis)
        except ValueError as fehler:
            db.session.rollback()
            flash(f"Abwesenheit nicht gespeichert: {fehler}", "fehler")
        else:
            db.session.commit()
            flash(
                f"Abwesenheit {datum_text(eintrag.von)} bis {datum_text(eintrag.bis)} gespeichert; "
                f"{eintrag.vertreter.name} vertritt Sie.",
                "erfolg",
            )
    return redirect(url_for("auth.einstellungen") + "#vertretung-titel")


@bp.post("/einstellungen/vertretung/<int:vertretung_id>/loeschen")
def loeschen(vertretung_id: int):
    """Delete one of my absences."""
    if FlaskForm().validate_on_submit():
        try:
            service.abwesenheit_loeschen(current_user, vertretung_id)
        except service.VertretungFehler as fehler:
            flash(str(fehler), "fehler")
        else:
            db.session.commit()
            flash("Abwesenheit gelöscht.", "erfolg")
    return redirect(url_for("auth.einstellungen") + "#vertretung-titel")
