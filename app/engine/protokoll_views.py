"""The instance log page: what the scripts of a Vorgang's procedure printed, for administrators and designers."""

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from app.engine.models import ProzessInstanz
from app.extensions import db
from app.vorgaenge.service import vorgang_oder_404

bp = Blueprint("protokoll", __name__)


@bp.get("/vorgang/<nummer>/verfahrensprotokoll")
def protokoll(nummer: str):
    """The `print` lines of the procedure of one Vorgang the user may see (404 first, like every Vorgang URL)."""
    vorgang = vorgang_oder_404(current_user, nummer)
    if not current_user.hat_rolle("administration", "verfahrensdesign"):
        abort(403)
    instanz = db.session.scalars(select(ProzessInstanz).where(ProzessInstanz.vorgang_id == vorgang.id)).first()
    if instanz is None:
        abort(404)
    zeilen = (instanz.protokoll or "").splitlines()
    return render_template("engine/protokoll.html", vorgang=vorgang, instanz=instanz, zeilen=zeilen)
