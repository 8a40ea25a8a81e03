"""`GET /gesundheit` for load balancers: 200 when the database answers and the scheduler ticks, else 503.

The answer is only {"status": "ok"} or {"status": "gestoert"}: nothing about versions, hosts or causes.
"""

from datetime import timedelta

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import signale
from app.extensions import db
from app.security import oeffentlich
from app.timeutil import utcnow

bp = Blueprint("gesundheit", __name__)

_LETZTER_TICK = "gesundheit.letzter_tick"
_BEOBACHTET_SEIT = "gesundheit.beobachtet_seit"


@signale.scheduler_getickt.connect
def _tick_merken(app: Flask, **_kwargs) -> None:
    """Remember when this process's scheduler last finished a tick."""
    app.extensions[_LETZTER_TICK] = utcnow()


def _datenbank_antwortet() -> bool:
    """True when `SELECT 1` succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except DBAPIError:
        db.session.rollback()
        return False


def _scheduler_lebt() -> bool:
    """True when this process runs no scheduler, or its last tick (or its start) is recent enough."""
    scheduler = current_app.extensions.get("amtsfluss_scheduler")
    if scheduler is None:
        return True
    if not scheduler.running:
        return False
    grenze = timedelta(seconds=current_app.config["HEALTH_SCHEDULER_MAX_SECONDS"])
    jetzt = utcnow()
    zuletzt = current_app.extensions.get(_LETZTER_TICK) or current_app.extensions.setdefault(_BEOBACHTET_SEIT, jetzt)
    return jetzt - zuletzt <= grenze


@bp.get("/gesundheit")
@oeffentlich
def pruefen():
    """200 {"status": "ok"} or 503 {"status": "gestoert"}; never cached."""
    gesund = _datenbank_antwortet() and _scheduler_lebt()
    antwort = jsonify(status="ok" if gesund else "gestoert")
    antwort.status_code = 200 if gesund else 503
    antwort.headers["Cache-Control"] = "no-store"
    return antwort
