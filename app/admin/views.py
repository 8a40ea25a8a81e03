"""Administration pages for users and Organisationseinheiten (role `administration`)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin.forms import ROLLEN_NAMEN, BenutzerForm, OEForm
from app.auth.models import Benutzer
from app.auth.passwords import hash_password
from app.auth.service import benutzer_anlegen
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.security import rolle_erforderlich

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@rolle_erforderlich("administration")
def nur_administration():
    """Every page of this blueprint is for administrators only."""


#: Administration pages of all slices; a slice that is not installed simply has no entry.
SEITEN = [
    ("admin.benutzer_liste", "Benutzer", "Konten, Rollen und Organisationseinheiten der Beschäftigten"),
    ("admin.oe_liste", "Organisationseinheiten", "Ämter, Präfixe der Vorgangsnummern, Aktenzeichen-Muster"),
    ("intake.admin_eingaenge", "Eingänge", "Fehlerhafte Eingänge prüfen und neu verarbeiten"),
    ("intake.admin_quellen", "Formulardienste", "Zugangsdaten der Formulardienste und Zuständigkeiten"),
    ("engine.admin_vorfaelle", "Vorfälle", "Gestörte Verfahren wiederholen oder abbrechen"),
    ("engine.admin_modelle", "Verfahren", "Bereitgestellte BPMN-Verfahren und ihre Versionen"),
    ("wiedervorlagen.admin_mails", "E-Mail-Versand", "Erinnerungen, die nicht zugestellt werden konnten"),
    ("postfach.admin_nicht_zugeordnet", "Nicht zugeordnete Nachrichten", "Antworten ohne offenen Vorgang"),
    ("bescheide.vorlagen_liste", "Bescheidvorlagen", "Vorlagen und Textbausteine der Bescheide"),
]


@bp.get("/")
def index():
    """Overview of the administration pages."""
    seiten = [seite for seite in SEITEN if seite[0] in current_app.view_functions]
    return render_template("admin/index.html", seiten=seiten)


@bp.get("/benutzer")
def benutzer_liste():
    """All users with roles and OEs."""
    benutzer = db.session.scalars(select(Benutzer).order_by(Benutzer.name)).all()
    return render_template("admin/benutzer_liste.html", benutzer=benutzer, rollen_namen=ROLLEN_NAMEN)


@bp.route("/benutzer/neu", methods=["GET", "POST"])
def benutzer_neu():
    """Create a user."""
    form = _benutzer_form()
    if form.validate_on_submit():
        if not form.passwort.data:
            form.passwort.errors.append("Bitte vergeben Sie ein Anfangspasswort.")
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
            except IntegrityError:
                db.session.rollback()
                form.login.errors.append("Diesen Benutzernamen gibt es schon.")
            else:
                flash(f"Benutzer {form.login.data} wurde angelegt.")
                return redirect(url_for("admin.benutzer_liste"))
    return render_template("admin/formular.html", form=form, titel="Benutzer anlegen"), 400 if form.errors else 200


@bp.route("/benutzer/<int:benutzer_id>", methods=["GET", "POST"])
def benutzer_bearbeiten(benutzer_id: int):
    """Edit a user's name, e-mail, roles, OEs, active flag, and optionally set a new password."""
    benutzer = db.session.get(Benutzer, benutzer_id) or abort(404)
    form = _benutzer_form(obj=benutzer)
    if not form.is_submitted():
        form.oes.data = benutzer.oe_ids
    if form.validate_on_submit():
        benutzer.name, benutzer.email = form.name.data, form.email.data or ""
        benutzer.rollen, benutzer.oes, benutzer.aktiv = list(form.rollen.data), _oes(form.oes.data), form.aktiv.data
        if form.passwort.data:
            benutzer.password_hash = hash_password(form.passwort.data)
        db.session.commit()
        flash(f"Benutzer {benutzer.login} wurde gespeichert.")
        return redirect(url_for("admin.benutzer_liste"))
    form.login.render_kw = {"readonly": True}
    return render_template("admin/formular.html", form=form, titel=f"Benutzer {benutzer.login}"), (
        400 if form.errors else 200
    )


@bp.get("/oes")
def oe_liste():
    """All Organisationseinheiten."""
    oes = db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.name)).all()
    return render_template("admin/oe_liste.html", oes=oes)


@bp.route("/oes/neu", methods=["GET", "POST"])
@bp.route("/oes/<int:oe_id>", methods=["GET", "POST"])
def oe_bearbeiten(oe_id: int | None = None):
    """Create or edit an Organisationseinheit."""
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
    """The user form with the current OEs as choices."""
    form = BenutzerForm(**kwargs)
    form.oes.choices = [
        (oe.id, oe.name) for oe in db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.name))
    ]
    return form


def _oes(ids: list[int]) -> list[Organisationseinheit]:
    """The OEs with these ids."""
    if not ids:
        return []
    return list(db.session.scalars(select(Organisationseinheit).where(Organisationseinheit.id.in_(ids))))
