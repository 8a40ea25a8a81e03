"""BPMN timers: the scheduler tick fires due timers, claiming instance rows so no timer fires twice."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.engine import uhr
from app.engine.models import AKTIV, ProzessInstanz
from app.extensions import db

log = logging.getLogger(__name__)


def faellige_timer_ausfuehren(jetzt: datetime, limit: int = 100) -> int:
    """Fire the due timers of up to `limit` instances; returns how many instances were run. Commits.

    Rows are claimed with `app.database.zum_beanspruchen` (FOR UPDATE SKIP LOCKED on PostgreSQL), processed each
    in a savepoint, and committed together, so the locks are held until every claimed row is done.
    """
    from app.database import zum_beanspruchen
    from app.engine.runner import _vorfall_setzen, timer_ausfuehren

    query = (
        select(ProzessInstanz)
        .where(ProzessInstanz.zustand_art == AKTIV, ProzessInstanz.next_timer_due <= jetzt)
        .order_by(ProzessInstanz.next_timer_due)
        .limit(limit)
        # no joined eager load: FOR UPDATE SKIP LOCKED must lock (and skip) only instance rows
        .options(lazyload(ProzessInstanz.modell_version))
        .execution_options(populate_existing=True)
    )
    anzahl = 0
    with uhr.festgehalten(jetzt):
        for instanz in db.session.scalars(zum_beanspruchen(query)).all():
            try:
                with db.session.begin_nested():
                    timer_ausfuehren(instanz)
            except Exception as error:  # noqa: BLE001 — one broken instance must not stop the others
                log.exception("Timer von Instanz %s fehlgeschlagen", instanz.id)
                db.session.refresh(instanz)
                from app.engine.runner import _laden
                from app.vorgaenge.models import Vorgang

                lauf = _laden(instanz, db.session.get(Vorgang, instanz.vorgang_id), None)
                _vorfall_setzen(lauf, error)
                instanz.next_timer_due = None
            anzahl += 1
        db.session.commit()
    return anzahl
