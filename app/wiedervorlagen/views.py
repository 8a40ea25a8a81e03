"""Wiedervorlagen pages: the list, create/edit/done/reopen, notifications, the digest setting, the mail outbox."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.models import Benutzer
from app.extensions import db
from app.security import rolle_erforderlich
from app.timeutil import heute
from app.vertretung.service import vertretene
from app.vorgaenge.aktionen import darf_vorgaenge_bearbeiten
from app.vorgaenge.liste import bearbeitende
from app.vorgaenge.service import vorgang_oder_404
from app.wiedervorlagen import service
from app.wiedervorlagen.forms import DigestForm, WiedervorlageForm
from app.wiedervorlagen.models import Benachrichtigung

bp = Blueprint("wiedervorlagen", __name__)


def menue_zaehler() -> dict:
    """Context processor: the menu badges (due Wiedervorlagen, unread notifications), two indexed counts."""
    if not current_user.is_authenticated:
        return {}
    return {
        "wv_menue": {
            "faellig": service.faellige_anzahl(current_user),
            "ungelesen": service.ungelesene_anzahl(current_user),
        }
    }


def _zurueck(standard: str) -> str:
    """A local redirect target from the form (`zurueck`), else the default; never an external URL."""
    ziel = request.form.get("zurueck") or request.args.get("zurueck") or ""
    if ziel.startswith("/") and not ziel.startswith("//") and "\\" not in ziel:
        return ziel
    return standard


def _vorgang_url(nummer: str) -> str:
    """The Wiedervorlagen section of a Vorgang page."""
    return url_for("vorgaenge.detail", nummer=nummer) + "#wiedervorlagen"


@bp.get("/wiedervorlagen")
def liste():
    """Due today, overdue and upcoming Wiedervorlagen, filtered by person and OE (visible Vorgänge only)."""
    person_arg = request.args.get("person", "ich")
    person, ohne_person = None, False
    if person_arg == "ich":  # mine and those of colleagues I deputise for today
        person = [current_user.id, *(b.id for b in vertretene(current_user))]
    elif person_arg == "niemand":
        ohne_person = True
    elif person_arg.isdigit():
        person = int(person_arg)
    else:
        person_arg = "alle"
    oe_id = request.args.get("oe", type=int)
    if oe_id is not None and oe_id not in current_user.oe_ids:
        oe_id = None
    erledigte = request.args.get("ansicht") == "erledigt"
    return render_template(
        "wiedervorlagen/liste.html",
        uebersicht=service.uebersicht(
            current_user, person=person, ohne_person=ohne_person, oe_id=oe_id, erledigte=erledigte
        ),
        personen=bearbeitende(current_user.oe_ids),
        oes=sorted(current_user.oes, key=lambda oe: oe.name),
        person=person_arg,
        oe_id=oe_id,
        erledigte=erledigte,
        stichtag=heute(),
    )


def _formular(vorgang, wv=None) -> WiedervorlageForm:
    """The form with the assignable users of the Vorgang's OE as choices."""
    form = WiedervorlageForm(obj=None, frist_bisher=wv.frist if wv else None)
    benutzer = bearbeitende([vorgang.oe_id])
    form.zugewiesen_an.choices = [(0, "– niemand –")] + [(b.id, b.name) for b in benutzer]
    if request.method == "GET":
        if wv is None:  # a new one is mine, unless I may not work on this OE's Vorgänge
            ids = {b.id for b in benutzer}
            form.zugewiesen_an.data = current_user.id if current_user.id in ids else (vorgang.bearbeiter_id or 0)
        else:
            form.betreff.data = wv.betreff
            form.frist.data = wv.frist
            form.uhrzeit.data = wv.frist_uhrzeit
            form.zugewiesen_an.data = wv.zugewiesen_an_id or 0
            form.beschreibung.data = wv.beschreibung
    return form


def _nur_bearbeitende() -> None:
    """Wiedervorlagen are case work: roles that only look at Vorgänge (design, administration) get 403."""
    if not darf_vorgaenge_bearbeiten(current_user):
        abort(403)


def _formularseite(form: WiedervorlageForm, vorgang, wv, status: int):
    """The form page; the past-date confirmation box only where the Frist needs it."""
    if not form.vergangenheit_zeigen():
        del form.vergangenheit
    return render_template("wiedervorlagen/formular.html", form=form, vorgang=vorgang, wv=wv), status


def _benutzer(benutzer_id: int) -> Benutzer | None:
    """The chosen assignee (0 = nobody)."""
    return db.session.get(Benutzer, benutzer_id) if benutzer_id else None


@bp.route("/wiedervorlagen/neu/<nummer>", methods=["GET", "POST"])
def anlegen(nummer: str):
    """Create a Wiedervorlage on a Vorgang."""
    vorgang = vorgang_oder_404(current_user, nummer)
    _nur_bearbeitende()
    form = _formular(vorgang)
    status = 200
    if form.validate_on_submit():
        try:
            service.pruefe_vorgang_offen(vorgang)
            frist = form.frist.data
            if form.uhrzeit.data:
                frist = datetime.combine(form.frist.data, form.uhrzeit.data)  # naive = local time
            service.wiedervorlage_anlegen(
                vorgang,
                form.betreff.data,
                frist,
                form.beschreibung.data or "",
                zugewiesen_an=_benutzer(form.zugewiesen_an.data),
                erstellt_von=current_user,
                herkunft="manuell",
                ohne_zuweisung=not form.zugewiesen_an.data,
            )
            db.session.commit()
            flash("Wiedervorlage angelegt.")
            return redirect(_vorgang_url(vorgang.nummer))
        except service.WiedervorlageFehler as fehler:
            db.session.rollback()
            flash(str(fehler), "fehler")
            status = 409
    elif request.method == "POST":
        status = 400
    return _formularseite(form, vorgang, None, status)


@bp.route("/wiedervorlagen/<int:wv_id>/bearbeiten", methods=["GET", "POST"])
def bearbeiten(wv_id: int):
    """Edit a Wiedervorlage."""
    wv = service.wiedervorlage_oder_404(current_user, wv_id)
    _nur_bearbeitende()
    form = _formular(wv.vorgang, wv)
    status = 200
    if form.validate_on_submit():
        try:
            geaendert = service.wiedervorlage_aendern(
                wv,
                current_user,
                betreff=form.betreff.data,
                frist=form.frist.data,
                frist_uhrzeit=form.uhrzeit.data,
                beschreibung=form.beschreibung.data or "",
                zugewiesen_an=_benutzer(form.zugewiesen_an.data),
            )
            db.session.commit()
            flash("Wiedervorlage gespeichert." if geaendert else "Keine Änderungen.")
            return redirect(_zurueck(_vorgang_url(wv.vorgang.nummer)))
        except service.WiedervorlageFehler as fehler:
            db.session.rollback()
            flash(str(fehler), "fehler")
            status = 409
    elif request.method == "POST":
        status = 400
    return _formularseite(form, wv.vorgang, wv, status)


@bp.post("/wiedervorlagen/<int:wv_id>/erledigen")
def erledigen(wv_id: int):
    """Mark a Wiedervorlage done."""
    return _aktion(wv_id, service.erledigen, "Wiedervorlage erledigt.")


@bp.post("/wiedervorlagen/<int:wv_id>/wiedereroeffnen")
def wiedereroeffnen(wv_id: int):
    """Reopen a done Wiedervorlage."""
    return _aktion(wv_id, service.wiedereroeffnen, "Wiedervorlage wiedereröffnet.")


def _aktion(wv_id: int, funktion, meldung: str):
    """Run a state change on a visible Wiedervorlage, then go back to where the user came from."""
    wv = service.wiedervorlage_oder_404(current_user, wv_id)
    _nur_bearbeitende()
    try:
        funktion(wv, current_user)
        db.session.commit()
        flash(meldung)
    except service.WiedervorlageFehler as fehler:
        db.session.rollback()
        flash(str(fehler), "fehler")
    return redirect(_zurueck(_vorgang_url(wv.vorgang.nummer)))


@bp.get("/benachrichtigungen")
def benachrichtigungen():
    """The user's in-app notifications, unread first."""
    return render_template(
        "wiedervorlagen/benachrichtigungen.html", benachrichtigungen=service.benachrichtigungen(current_user)
    )


@bp.post("/benachrichtigungen/<int:benachrichtigung_id>/oeffnen")
def benachrichtigung_oeffnen(benachrichtigung_id: int):
    """Mark one notification read and go to what it is about."""
    eintrag = db.session.get(Benachrichtigung, benachrichtigung_id)
    if eintrag is None or eintrag.empfaenger_id != current_user.id:
        abort(404)
    service.als_gelesen_markieren(current_user, benachrichtigung_id)
    db.session.commit()
    ziel = eintrag.link if eintrag.link.startswith("/") and not eintrag.link.startswith("//") else None
    return redirect(ziel or url_for("wiedervorlagen.benachrichtigungen"))


@bp.post("/benachrichtigungen/gelesen")
def alle_gelesen():
    """Mark all of the user's notifications read."""
    anzahl = service.als_gelesen_markieren(current_user)
    db.session.commit()
    flash(f"{anzahl} Benachrichtigung{'en' if anzahl != 1 else ''} als gelesen markiert.")
    return redirect(url_for("wiedervorlagen.benachrichtigungen"))


@bp.post("/einstellungen/digest")
def digest_einstellen():
    """Turn the daily digest mail on or off for the current user."""
    form = DigestForm()
    if form.validate_on_submit():
        current_user.digest_aktiv = bool(form.digest_aktiv.data)
        db.session.commit()
        if current_user.digest_aktiv and not current_user.email:
            flash("Tägliche Übersicht aktiviert – für Ihr Konto ist aber keine E-Mail-Adresse hinterlegt.", "fehler")
        else:
            flash("Tägliche Übersicht " + ("aktiviert." if current_user.digest_aktiv else "deaktiviert."))
    return redirect(url_for("auth.einstellungen"))


@bp.get("/admin/mails")
@rolle_erforderlich("administration")
def admin_mails():
    """The mail outbox for administrators: failed mails (after the last attempt), or waiting/sent ones."""
    status = request.args.get("status", "fehlgeschlagen")
    if status not in ("fehlgeschlagen", "wartend", "gesendet"):
        status = "fehlgeschlagen"
    return render_template(
        "wiedervorlagen/admin_mails.html",
        mails=service.mails_fuer_admin(status),
        zaehler=service.mail_zaehler(),
        status=status,
    )


@bp.post("/admin/mails/<int:mail_id>/erneut")
@rolle_erforderlich("administration")
def admin_mail_erneut(mail_id: int):
    """Queue a failed mail again."""
    try:
        service.mail_erneut_senden(mail_id)
        db.session.commit()
        flash("Die E-Mail wird erneut gesendet.")
    except service.WiedervorlageFehler as fehler:
        db.session.rollback()
        flash(str(fehler), "fehler")
    return redirect(url_for("wiedervorlagen.admin_mails"))
