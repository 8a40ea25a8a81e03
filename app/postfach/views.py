"""Postfach pages: the thread on the Vorgang page (an include), writing, reading, posting letters, and the
administrators' list of replies that could not be assigned."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import event, select

from app.engine import runner
from app.extensions import db
from app.postfach import fitconnect, service
from app.postfach.forms import NachrichtForm
from app.postfach.kanaele import verfuegbare_kanaele
from app.postfach.models import Nachricht
from app.security import rolle_erforderlich
from app.signale import antwort_eingegangen, vorgang_angelegt
from app.vorgaenge import aktionen
from app.vorgaenge.anhaenge import ausliefern
from app.vorgaenge.models import Anhang, Vorgang
from app.vorgaenge.service import vorgang_oder_404

bp = Blueprint("postfach", __name__)

#: The BPMN message a reply is delivered as (a procedure waits for it with a message catch event / receive task).
BPMN_NACHRICHT = "Unterlagen eingegangen"


def an_verfahren_melden(vorgang: Vorgang, nachricht: Nachricht, **_kwargs) -> None:
    """Receiver of `antwort_eingegangen`: a procedure waiting for the applicant's reply goes on (no commit)."""
    runner.nachricht(vorgang, BPMN_NACHRICHT, {"betreff": nachricht.betreff, "nachricht_id": nachricht.id})


@bp.record_once
def _empfaenger_verbinden(_state) -> None:
    """Connect the Postfach's signal receivers once, when the app registers this blueprint."""
    antwort_eingegangen.connect(an_verfahren_melden)
    vorgang_angelegt.connect(service.eingang_vormerken)
    if not event.contains(db.session, "before_commit", service.vorgemerkte_bestaetigen):
        event.listen(db.session, "before_commit", service.vorgemerkte_bestaetigen)
        event.listen(db.session, "after_rollback", service.vormerkungen_verwerfen)


def _formular(vorgang: Vorgang, form: NachrichtForm | None = None) -> NachrichtForm:
    """The write form with the channels this application allows and the Vorgang's Anhänge."""
    form = form or NachrichtForm()
    form.kanal.choices = [
        (k.name, f"{k.titel}: {adresse.splitlines()[0]}") for k, adresse in verfuegbare_kanaele(vorgang)
    ]
    form.anhaenge.choices = [
        (a.id, a.dateiname)
        for a in db.session.scalars(select(Anhang).where(Anhang.vorgang_id == vorgang.id).order_by(Anhang.id))
    ]
    return form


@bp.app_template_global()
def postfach_verlauf(vorgang: Vorgang, form: NachrichtForm | None = None) -> dict:
    """What `postfach/_verlauf.html` shows on the Vorgang page: the thread and, for caseworkers, the write form."""
    darf = aktionen.darf_vorgaenge_bearbeiten(current_user) and vorgang.oe_id in current_user.oe_ids
    return {"nachrichten": service.thread(vorgang), "form": _formular(vorgang, form) if darf else None}


@bp.post("/vorgang/<nummer>/nachrichten")
def schreiben(nummer: str):
    """Write a message to the applicant (queued; the scheduler sends it)."""
    vorgang = vorgang_oder_404(current_user, nummer)
    form = _formular(vorgang)
    if form.validate_on_submit():
        anhaenge = [db.session.get(Anhang, i) for i in form.anhaenge.data or []]
        try:
            service.schreiben(
                vorgang,
                current_user,
                form.kanal.data,
                form.betreff.data,
                form.text.data,
                anhaenge,
                frist=form.frist.data,
            )
        except service.PostfachFehler as fehler:
            form.betreff.errors = [*form.betreff.errors, str(fehler)]
        else:
            db.session.commit()
            flash("Die Nachricht wird versendet.", "erfolg")
            return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="nachrichten"))
    db.session.rollback()
    return render_template("postfach/schreiben.html", vorgang=vorgang, form=form), 422


@bp.post("/vorgang/<nummer>/nachrichten/gelesen")
def gelesen(nummer: str):
    """Mark the applicant's messages read."""
    vorgang = vorgang_oder_404(current_user, nummer)
    service.gelesen(vorgang, current_user)
    db.session.commit()
    return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="nachrichten"))


@bp.post("/vorgang/<nummer>/nachrichten/<int:nachricht_id>/versandt")
def versandt(nummer: str, nachricht_id: int):
    """A printed letter was posted."""
    vorgang = vorgang_oder_404(current_user, nummer)
    nachricht = db.session.get(Nachricht, nachricht_id)
    if nachricht is None or nachricht.vorgang_id != vorgang.id:
        abort(404)
    try:
        service.als_versandt_markieren(nachricht, current_user)
    except service.PostfachFehler as fehler:
        flash(str(fehler), "fehler")
    else:
        db.session.commit()
    return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="nachrichten"))


@bp.get("/admin/nachrichten")
@rolle_erforderlich("administration")
def admin_nicht_zugeordnet():
    """Replies without a Vorgang, or to a Vorgang that is closed; FIT-Connect replies that could not be delivered."""
    return render_template(
        "postfach/admin.html", nachrichten=service.nicht_zugeordnet(), fitconnect=fitconnect.probleme(current_user)
    )


@bp.get("/admin/nachrichten/<int:nachricht_id>/datei/<int:index>")
@rolle_erforderlich("administration")
def admin_datei(nachricht_id: int, index: int):
    """Download a file of an unassigned reply (always as attachment)."""
    nachricht = db.session.get(Nachricht, nachricht_id)
    if nachricht is None or not 0 <= index < len(nachricht.dateien or []):
        abort(404)
    d = nachricht.dateien[index]
    return ausliefern(
        Anhang(dateiname=d["dateiname"], mime_typ=d["mime_typ"], sha256=d["sha256"], groesse=d["groesse"])
    )
