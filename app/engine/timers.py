"""BPMN timers: the scheduler tick fires due timers, claiming instance rows so no timer fires twice.

A batch is claimed with one `SELECT … FOR UPDATE OF prozess_instanz SKIP LOCKED` (PostgreSQL) that also loads
the Vorgänge, run in memory, written with one flush and committed once. Exactly-once: the rows stay locked until
that commit, and the instance's version counter makes a second writer fail (SQLite, which has no row locks). If
anything in a batch fails — a database conflict, or an error outside the model that the runner does not already
turn into an incident — the whole batch is rolled back (nothing fired) and the same instances are run again one
by one, each in a savepoint.
"""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.database import is_postgres
from app.engine.models import AKTIV, ProzessInstanz
from app.engine.runner import timer_ausfuehren, timer_vorfall
from app.extensions import db
from app.vorgaenge.models import Vorgang

log = logging.getLogger(__name__)

#: Instances per batch of the scheduler tick (config `ENGINE_TIMER_CHARGE`): one claim, one commit each.
CHARGE = 500


def _faellige(jetzt: datetime, limit: int, ids: list[int] | None = None):
    """The claim query: due instances with their Vorgang and open-task rows, locking (and skipping) instance rows."""
    query = (
        select(ProzessInstanz, Vorgang)
        .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
        .where(ProzessInstanz.zustand_art == AKTIV, ProzessInstanz.next_timer_due <= jetzt)
        .order_by(ProzessInstanz.next_timer_due)
        .limit(limit)
        # no joined eager load of the version: the lock must cover instance rows only
        .options(lazyload(ProzessInstanz.modell_version), selectinload(ProzessInstanz.aufgaben))
        .execution_options(populate_existing=True)
    )
    if ids is not None:
        query = query.where(ProzessInstanz.id.in_(ids))
    if is_postgres():
        query = query.with_for_update(skip_locked=True, of=ProzessInstanz)
    return query


def timer_tick(jetzt: datetime) -> int:
    """The scheduler's handler: one batch of `ENGINE_TIMER_CHARGE` instances (the tick repeats it)."""
    return faellige_timer_ausfuehren(jetzt, current_app.config.get("ENGINE_TIMER_CHARGE", CHARGE))


def faellige_timer_ausfuehren(jetzt: datetime, limit: int = 100) -> int:
    """Fire the due timers of up to `limit` instances; returns how many instances were run. Commits.

    One claim, one flush, one commit per batch (see the module docstring); a failing batch is rolled back and
    retried instance by instance with a savepoint each, where a broken instance becomes an incident.
    """
    gefunden = db.session.execute(_faellige(jetzt, limit)).all()
    if not gefunden:
        db.session.rollback()
        return 0
    ids = [instanz.id for instanz, _vorgang in gefunden]
    try:
        with db.session.no_autoflush:  # the batch is written by the one flush below
            for instanz, vorgang in gefunden:
                timer_ausfuehren(instanz, vorgang)
        db.session.commit()
        return len(ids)
    except Exception:  # noqa: BLE001 — any failure: undo the batch, then go one by one
        db.session.rollback()
        log.info("Timer-Charge von %s Instanzen zurückgerollt; einzeln erneut", len(ids), exc_info=True)
    return _einzeln(jetzt, ids)


def _einzeln(jetzt: datetime, ids: list[int]) -> int:
    """The slow path: claim the still-due instances of `ids` again and run each in its own savepoint."""
    anzahl = 0
    for instanz, vorgang in db.session.execute(_faellige(jetzt, len(ids), ids)).all():
        try:
            with db.session.begin_nested():
                timer_ausfuehren(instanz, vorgang)
        except (StaleDataError, OperationalError):
            db.session.rollback()  # a database race, not a broken procedure: the next tick tries again
            raise
        except Exception as error:  # noqa: BLE001 — one broken instance must not stop the others
            log.exception("Timer von Instanz %s fehlgeschlagen", instanz.id)
            db.session.refresh(instanz)
            timer_vorfall(instanz, vorgang, error)
        anzahl += 1
    db.session.commit()
    return anzahl
