"""Vorgangsliste and Vorgang detail."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.vorgaenge.models import HistorieEintrag, Vorgang
from app.vorgaenge.service import sichtbare_vorgaenge, vorgang_oder_404
from app.vorgaenge.status import Status

bp = Blueprint("vorgaenge", __name__)


@bp.get("/")
def liste():
    """The user's Vorgänge, newest first, optionally filtered by status."""
    query = sichtbare_vorgaenge(current_user)
    status = request.args.get("status")
    if status:
        try:
            query = query.where(Vorgang.status == Status.from_slug(status).value)
        except ValueError:
            status = None
    seite = max(request.args.get("seite", 1, type=int), 1)
    groesse = current_app.config["PAGE_SIZE"]
    vorgaenge = db.session.scalars(
        query.order_by(Vorgang.eingangsdatum.desc(), Vorgang.id.desc()).limit(groesse + 1).offset((seite - 1) * groesse)
    ).all()
    return render_template(
        "vorgaenge/liste.html",
        vorgaenge=vorgaenge[:groesse],
        weitere=len(vorgaenge) > groesse,
        seite=seite,
        status=status,
        zaehler=_zaehler_pro_status(),
    )


@bp.get("/vorgang/<nummer>")
def detail(nummer: str):
    """One Vorgang with its Historie."""
    vorgang = vorgang_oder_404(current_user, nummer)
    historie = db.session.scalars(
        select(HistorieEintrag).where(HistorieEintrag.vorgang_id == vorgang.id).order_by(HistorieEintrag.id)
    ).all()
    return render_template("vorgaenge/detail.html", vorgang=vorgang, historie=historie)


def _zaehler_pro_status() -> dict[str, int]:
    """Count of visible Vorgänge per status, for the side navigation (one grouped query)."""
    sichtbar = sichtbare_vorgaenge(current_user).subquery()
    rows = db.session.execute(select(sichtbar.c.status, func.count()).group_by(sichtbar.c.status)).all()
    return {status: anzahl for status, anzahl in rows}
