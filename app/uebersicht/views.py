"""The dashboard page."""

from datetime import timedelta

from flask import Blueprint, render_template
from flask_login import current_user

from app.timeutil import heute
from app.uebersicht import service

bp = Blueprint("uebersicht", __name__)


@bp.get("/uebersicht")
def index():
    """Figures over the user's OEs; every number links to the list it counts."""
    return render_template(
        "uebersicht/index.html",
        u=service.berechnen(current_user),
        alter=service.ALTER,
        offen_status=service.OFFEN_STATUS,
        heute=heute(),
        timedelta=timedelta,
    )
