"""Administration pages of the engine: incidents (retry, cancel) and the deployed procedure versions.

The role mapping is edited in the workbench (installation-wide: Verfahrensdesign and Systemadministration).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.berechtigungen import VERWALTENDE_ROLLEN, ist_systemadministration, verwaltbare_oe_ids
from app.engine import runner
from app.engine.models import VORFALL, ProzessInstanz, ProzessModellVersion
from app.extensions import db
from app.security import rolle_erforderlich
from app.vorgaenge.models import Vorgang

bp = Blueprint("engine", __name__, url_prefix="/admin")


@bp.before_request
@rolle_erforderlich(*VERWALTENDE_ROLLEN)
def nur_administration():
    """Every page of this blueprint is for administrators only."""


def _nur_verwaltbare(abfrage):
    """Restrict a query joined with Vorgang to what the user administers (as the Eingänge in app.admin.intake):
    system administration sees every instance, an OE's administration those of Vorgänge in its OEs."""
    if ist_systemadministration(current_user):
        return abfrage
    return abfrage.where(Vorgang.oe_id.in_(verwaltbare_oe_ids(current_user)))


def _instanz_oder_404(instanz_id: int) -> ProzessInstanz:
    """An instance whose Vorgang the administrator administers, else 404 (existence is not revealed)."""
    abfrage = select(ProzessInstanz).join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
    instanz = db.session.scalars(_nur_verwaltbare(abfrage.where(ProzessInstanz.id == instanz_id))).first()
    if instanz is None:
        abort(404)
    return instanz


@bp.get("/vorfaelle")
def admin_vorfaelle():
    """Instances with an incident in the administrator's OEs, oldest first, with the Vorgang, element and message."""
    abfrage = (
        select(ProzessInstanz, Vorgang.nummer, ProzessModellVersion.name, ProzessModellVersion.version)
        .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
        .join(ProzessModellVersion, ProzessModellVersion.id == ProzessInstanz.modell_version_id)
        .where(ProzessInstanz.zustand_art == VORFALL)
        .order_by(ProzessInstanz.vorfall_seit)
    )
    zeilen = db.session.execute(_nur_verwaltbare(abfrage)).all()
    return render_template("engine/vorfaelle.html", zeilen=zeilen)


@bp.post("/vorfaelle/<int:instanz_id>/wiederholen")
def vorfall_wiederholen(instanz_id: int):
    """Retry an incident (optionally migrating to the newest version)."""
    instanz = _instanz_oder_404(instanz_id)
    try:
        meldung = runner.wiederholen(instanz, current_user, migrieren=request.form.get("migrieren") == "ja")
    except runner.Konflikt as error:
        flash(str(error), "fehler")
    else:
        flash(meldung, "fehler" if "fehlgeschlagen" in meldung else "erfolg")
    return redirect(url_for("engine.admin_vorfaelle"))


@bp.post("/vorfaelle/<int:instanz_id>/abbrechen")
def vorfall_abbrechen(instanz_id: int):
    """Cancel the procedure of a Vorgang; the Vorgang itself stays."""
    instanz = _instanz_oder_404(instanz_id)
    try:
        runner.abbrechen(instanz, current_user, request.form.get("grund", "").strip()[:500])
    except runner.Konflikt as error:
        flash(str(error), "fehler")
    else:
        flash("Das Verfahren wurde abgebrochen. Der Vorgang bleibt erhalten.", "erfolg")
    return redirect(url_for("engine.admin_vorfaelle"))


@bp.get("/verfahren")
def admin_modelle():
    """Deployed procedure versions with the number of running instances (installation-wide: system administration)."""
    if not ist_systemadministration(current_user):
        abort(403)
    laufend = (
        select(ProzessInstanz.modell_version_id, func.count().label("anzahl"))
        .where(ProzessInstanz.zustand_art.in_(("aktiv", VORFALL)))
        .group_by(ProzessInstanz.modell_version_id)
        .subquery()
    )
    zeilen = db.session.execute(
        select(ProzessModellVersion, func.coalesce(laufend.c.anzahl, 0))
        .outerjoin(laufend, laufend.c.modell_version_id == ProzessModellVersion.id)
        .order_by(ProzessModellVersion.key, ProzessModellVersion.version.desc())
    ).all()
    return render_template("engine/modelle.html", zeilen=zeilen)
