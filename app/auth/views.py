"""Login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.forms import LoginForm, PasswortAendernForm
from app.auth.passwords import verify_password
from app.auth.passwortregeln import PasswortAbgelehnt
from app.auth.service import AnmeldungGesperrt, anmelden, passwort_setzen
from app.auth.sitzung import abmelden, sitzung_beginnen, sitzung_erneuern
from app.extensions import db
from app.security import oeffentlich

bp = Blueprint("auth", __name__)

#: One message for unknown user and wrong password, so logins cannot be guessed.
FALSCHE_ANMELDEDATEN = "Benutzername oder Passwort ist falsch."
GESPERRT = "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in einigen Minuten erneut."


@bp.route("/anmelden", methods=["GET", "POST"])
@oeffentlich
def login():
    """Show the login form; on success go to the requested page or the Vorgangsliste."""
    if current_user.is_authenticated:
        return redirect(url_for("vorgaenge.liste"))
    form = LoginForm()
    fehler = None
    status = 200
    if form.validate_on_submit():
        try:
            benutzer = anmelden(form.login.data, form.password.data, request.remote_addr or "unbekannt")
        except AnmeldungGesperrt:
            fehler, status = GESPERRT, 429
        else:
            if benutzer:
                sitzung_beginnen(benutzer)
                return redirect(_sicheres_ziel(request.args.get("next")))
            fehler, status = FALSCHE_ANMELDEDATEN, 401
    return render_template("auth/login.html", form=form, fehler=fehler), status


@bp.post("/abmelden")
def logout():
    """End every session of the user (a POST with CSRF token, so no link can log a user out)."""
    abmelden(current_user._get_current_object())
    flash("Sie wurden abgemeldet.")
    return redirect(url_for("auth.login"))


def _sicheres_ziel(ziel: str | None) -> str:
    """Only redirect to paths on this site, never to another host."""
    if ziel and ziel.startswith("/") and not ziel.startswith("//") and not urlsplit(ziel).netloc:
        return ziel
    return url_for("vorgaenge.liste")


@bp.route("/einstellungen", methods=["GET", "POST"])
def einstellungen():
    """The user's own settings: change password (ends the user's sessions in every other browser)."""
    form = PasswortAendernForm()
    status = 200
    if form.validate_on_submit():
        ich = current_user._get_current_object()
        if not verify_password(ich.password_hash, form.altes_passwort.data):
            form.altes_passwort.errors.append("Das bisherige Passwort ist falsch.")
        else:
            try:
                passwort_setzen(ich, form.neues_passwort.data)
            except PasswortAbgelehnt as fehler:
                form.neues_passwort.errors.append(str(fehler))
            else:
                db.session.commit()
                sitzung_erneuern(ich)
                flash("Ihr Passwort wurde geändert.")
                return redirect(url_for("auth.einstellungen"))
        status = 400
    return render_template("auth/einstellungen.html", form=form), status
