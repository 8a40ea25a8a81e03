"""Administration pages for users and Organisationseinheiten, scoped to the administrator's OEs.

`administration` sees and changes users and OEs of its own OEs only; `systemadministration` everything and is
the only role that creates OEs or gives system administration (app.auth.berechtigungen, docs/berechtigungen.md).
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin.forms import ROLLEN_NAMEN, BenutzerForm, OEForm
from app.auth.berechtigungen import (
    VERWALTENDE_ROLLEN,
    darf_benutzer_verwalten,
    ist_systemadministration,
    vergebbare_rollen,
    verwaltbare_oe_ids,
    verwaltbare_oes,
)
from app.auth.models import Benutzer, benutzer_oe
from app.auth.passwortregeln import PasswortAbgelehnt
from app.auth.service import benutzer_anlegen, passwort_setzen
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.security import rolle_erforderlich

bp = Blueprint("admin", __name__, url_prefix="/admin")

KEINE_OE = "Bitte wählen Sie mindestens eine Ihrer Organisationseinheiten."


@bp.before_request
@rolle_erforderlich(*VERWALTENDE_ROLLEN)
def nur_administration():
    """Every page of this blueprint is for administrators only."""


#: Administration pages of all slices; a slice that is not installed simply has no entry.
SEITEN = [
    ("admin.benutzer_liste", "Benutzer", "Konten, Rollen und Organisationseinheiten der Beschäftigten"),
    ("admin.oe_liste", "Organisationseinheiten", "Ämter, Präfixe der Vorgangsnummern, Aktenzeichen-Muster"),
    ("intake_admin.admin_eingaenge", "Eingänge", "Fehlerhafte Eingänge prüfen und neu verarbeiten"),
    ("intake_admin.admin_quellen", "Formulardienste", "Zugangsdaten der Formulardienste und Zuständigkeiten"),
    ("engine.admin_vorfaelle", "Vorfälle", "Gestörte Verfahren wiederholen oder abbrechen"),
    ("engine.admin_modelle", "Verfahren", "Bereitgestellte BPMN-Verfahren und ihre Versionen"),
    ("wiedervorlagen.admin_mails", "E-Mail-Versand", "Erinnerungen, die nicht zugestellt werden konnten"),
    ("postfach.admin_nicht_zugeordnet", "Nicht zugeordnete Nachrichten", "Antworten ohne offenen Vorgang"),
    ("bescheide.vorlagen_liste", "Bescheidvorlagen", "Vorlagen und Textbausteine der Bescheide"),
]


#: Installation-wide pages in that list (an OE-scoped administration does not get them).
NUR_SYSTEMADMINISTRATION = {"engine.admin_modelle", "intake_admin.admin_quellen"}


@bp.get("/")
def index():
    """Overview of the administration pages."""
    seiten = [seite for seite in SEITEN if seite[0] in current_app.view_functions]
    if not ist_systemadministration(current_user):
        seiten = [seite for seite in seiten if seite[0] not in NUR_SYSTEMADMINISTRATION]
    return render_template("admin/index.html", seiten=seiten)


@bp.get("/benutzer")
def benutzer_liste():
    """The users this administrator manages, with roles and OEs."""
    abfrage = select(Benutzer).order_by(Benutzer.name)
    if not ist_systemadministration(current_user):
        abfrage = abfrage.where(
            Benutzer.id.in_(
                select(benutzer_oe.c.benutzer_id).where(benutzer_oe.c.oe_id.in_(verwaltbare_oe_ids(current_user)))
            )
        )
    benutzer = [b for b in db.session.scalars(abfrage) if darf_benutzer_verwalten(current_user, b)]
    return render_template("admin/benutzer_liste.html", benutzer=benutzer, rollen_namen=ROLLEN_NAMEN)


@bp.route("/benutzer/neu", methods=["GET", "POST"])
def benutzer_neu():
    """Create a user in the administrator's OEs."""
    form = _benutzer_form()
    if form.validate_on_submit():
        if not form.passwort.data:
            form.passwort.errors.append("Bitte vergeben Sie ein Anfangspasswort.")
        elif not form.oes.data and not ist_systemadministration(current_user):
            form.oes.errors.append(KEINE_OE)
        else:
            try:
                benutzer_anlegen(
                    form.login.data,
                    form.name.data,
                    form.passwort.data,
                    form.rollen.data,
                    _oes(form.oes.data),
                    email=form.email.data or "",
                )
                db.session.commit()
            except PasswortAbgelehnt as fehler:
                db.session.rollback()
                form.passwort.errors.append(str(fehler))
            except IntegrityError:
                db.session.rollback()
                form.login.errors.append("Diesen Benutzernamen gibt es schon.")
            else:
                flash(f"Benutzer {form.login.data} wurde angelegt.")
                return redirect(url_for("admin.benutzer_liste"))
    return render_template("admin/formular.html", form=form, titel="Benutzer anlegen"), 400 if form.errors else 200


@bp.route("/benutzer/<int:benutzer_id>", methods=["GET", "POST"])
def benutzer_bearbeiten(benutzer_id: int):
    """Edit a user's name, e-mail, roles, OEs, active flag, and optionally set a new password.

    Roles and OEs outside what this administrator may give stay as they were.
    """
    benutzer = db.session.get(Benutzer, benutzer_id)
    if benutzer is None or not darf_benutzer_verwalten(current_user, benutzer):
        abort(404)
    form = _benutzer_form(obj=benutzer)
    if not form.is_submitted():
        form.oes.data = benutzer.oe_ids
    if form.validate_on_submit():
        erlaubte_oes, erlaubte_rollen = verwaltbare_oe_ids(current_user), vergebbare_rollen(current_user)
        oes = [oe for oe in benutzer.oes if oe.id not in erlaubte_oes] + _oes(form.oes.data)
        rollen = [r for r in benutzer.rollen if r not in erlaubte_rollen] + list(form.rollen.data)
        if not oes and not ist_systemadministration(current_user):
            form.oes.errors.append(KEINE_OE)
        else:
            benutzer.name, benutzer.email = form.name.data, form.email.data or ""
            benutzer.rollen, benutzer.oes, benutzer.aktiv = rollen, oes, form.aktiv.data
            try:
                if form.passwort.data:
                    passwort_setzen(benutzer, form.passwort.data)
            except PasswortAbgelehnt as fehler:
                db.session.rollback()
                form.passwort.errors.append(str(fehler))
            else:
                db.session.commit()
                flash(f"Benutzer {benutzer.login} wurde gespeichert.")
                return redirect(url_for("admin.benutzer_liste"))
    form.login.render_kw = {"readonly": True}
    return render_template("admin/formular.html", form=form, titel=f"Benutzer {benutzer.login}"), (
        400 if form.errors else 200
    )


@bp.get("/oes")
def oe_liste():
    """The Organisationseinheiten this administrator manages."""
    return render_template("admin/oe_liste.html", oes=verwaltbare_oes(current_user))


@bp.route("/oes/neu", methods=["GET", "POST"])
@bp.route("/oes/<int:oe_id>", methods=["GET", "POST"])
def oe_bearbeiten(oe_id: int | None = None):
    """Create (system administration only) or edit one of the administrator's Organisationseinheiten."""
    if oe_id is None and not ist_systemadministration(current_user):
        abort(403)
    if oe_id is not None and oe_id not in verwaltbare_oe_ids(current_user):
        abort(404)
    oe = (db.session.get(Organisationseinheit, oe_id) or abort(404)) if oe_id else Organisationseinheit()
    form = OEForm(obj=oe)
    if form.validate_on_submit():
        form.populate_obj(oe)
        db.session.add(oe)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.kennung.errors.append("Diese Kennung gibt es schon.")
        else:
            flash(f"Organisationseinheit {oe.name} wurde gespeichert.")
            return redirect(url_for("admin.oe_liste"))
    titel = f"Organisationseinheit {oe.name}" if oe_id else "Organisationseinheit anlegen"
    return render_template("admin/formular.html", form=form, titel=titel), 400 if form.errors else 200


def _benutzer_form(**kwargs) -> BenutzerForm:
    """The user form offering only the OEs and roles this administrator may give."""
    form = BenutzerForm(**kwargs)
    form.oes.choices = [(oe.id, oe.name) for oe in verwaltbare_oes(current_user)]
    form.rollen.choices = [(r, ROLLEN_NAMEN[r]) for r in vergebbare_rollen(current_user)]
    return form


def _oes(ids: list[int]) -> list[Organisationseinheit]:
    """The OEs with these ids, limited to the ones this administrator manages."""
    ids = set(ids or []) & verwaltbare_oe_ids(current_user)
    if not ids:
        return []
    return list(db.session.scalars(select(Organisationseinheit).where(Organisationseinheit.id.in_(ids))))
