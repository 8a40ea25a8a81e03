"""BPMN timers: the scheduler tick fires due timers, claiming instance rows so no timer fires twice.

A batch is claimed with one `SELECT … FOR UPDATE OF prozess_instanz SKIP LOCKED` (PostgreSQL) that also loads
the Vorgänge, run in memory, written back in one flush (the open-task rows and Historie as multi-row inserts)
and committed once. Exactly-once: the rows stay locked until that commit, and the instance's version counter
makes a second writer fail (SQLite, which has no row locks). If anything in a batch fails — a database conflict,
or an error outside the model that `_weiterlaufen` does not already turn into an incident — the whole batch is
rolled back (nothing fired) and the same instances are run again one by one, each in a savepoint, as before.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from app.engine.models import AKTIV, ProzessInstanz
from app.extensions import db
from app.timeutil import utcnow

log = logging.getLogger(__name__)


def _faellige(jetzt: datetime, limit: int, ids: list[int] | None = None):
    """The claim query: due instances with their Vorgang, locking (and skipping) only instance rows."""
    from app.database import is_postgres
    from app.vorgaenge.models import Vorgang

    query = (
        select(ProzessInstanz, Vorgang)
        .join(Vorgang, Vorgang.id == ProzessInstanz.vorgang_id)
        .where(ProzessInstanz.zustand_art == AKTIV, ProzessInstanz.next_timer_due <= jetzt)
        .order_by(ProzessInstanz.next_timer_due)
        .limit(limit)
        # no joined eager load of the version: the lock must cover instance rows only
        .options(lazyload(ProzessInstanz.modell_version))
        .execution_options(populate_existing=True)
    )
    if ids is not None:
        query = query.where(ProzessInstanz.id.in_(ids))
    if is_postgres():
        query = query.with_for_update(skip_locked=True, of=ProzessInstanz)
    return query


#: Instances per batch of the scheduler tick (config `ENGINE_TIMER_CHARGE`): one claim, one commit each. Larger
#: batches spread the fixed cost of a batch (claim, version lookup, commit) over more instances; 500 holds the
#: row locks for well under a second.
CHARGE = 500


def timer_tick(jetzt: datetime) -> int:
    """The scheduler's handler: one batch of `ENGINE_TIMER_CHARGE` instances (the tick repeats it)."""
    from flask import current_app

    return faellige_timer_ausfuehren(jetzt, current_app.config.get("ENGINE_TIMER_CHARGE", CHARGE))


def faellige_timer_ausfuehren(jetzt: datetime, limit: int = 100) -> int:
    """Fire the due timers of up to `limit` instances; returns how many instances were run. Commits.

    One claim, one flush, one commit per batch (see the module docstring); a failing batch is rolled back and
    retried instance by instance with a savepoint each, where a broken instance becomes an incident.
    """
    from app.engine.runner import timer_ausfuehren

    gefunden = db.session.execute(_faellige(jetzt, limit)).all()
    if not gefunden:
        db.session.rollback()
        return 0
    ids = [instanz.id for instanz, _vorgang in gefunden]
    try:
        with db.session.no_autoflush:  # the batch is written by the one flush below
            for instanz, vorgang in gefunden:
                timer_ausfuehren(instanz, vorgang)
            _zurueckschreiben([instanz for instanz, _vorgang in gefunden])
        db.session.commit()
        return len(ids)
    except Exception:  # noqa: BLE001 — any failure: undo the batch, then go one by one
        db.session.rollback()
        log.info("Timer-Charge von %s Instanzen zurückgerollt; einzeln erneut", len(ids), exc_info=True)
    return _einzeln(jetzt, ids)


def _zurueckschreiben(instanzen: list[ProzessInstanz]) -> None:
    """Write the instances of a batch back in one executemany UPDATE, checking each row's version.

    The ORM would send one UPDATE per row (it does not batch updates of versioned rows); here every row is
    matched on id and version (the runner's compiled UPDATE) and the summed row count must equal the batch size,
    else `StaleDataError` — another process fired one of them (SQLite) and the batch is rolled back. The values
    are then marked as the committed state on the objects, so the flush that follows does not write them again.
    """
    from app.engine.runner import als_geschrieben, instanz_aktualisieren, instanz_werte

    jetzt = utcnow()
    zeilen = [instanz_werte(instanz, jetzt) for instanz in instanzen]
    anzahl = instanz_aktualisieren().ausfuehren(zeilen).anzahl
    if anzahl != len(zeilen):
        raise StaleDataError(f"Timer-Charge: {anzahl} von {len(zeilen)} Instanzen aktualisiert")
    for instanz, zeile in zip(instanzen, zeilen, strict=True):
        als_geschrieben(instanz, zeile)


def _einzeln(jetzt: datetime, ids: list[int]) -> int:
    """The slow path: claim the still-due instances of `ids` again and run each in its own savepoint."""
    from app.engine.runner import _laden, _vorfall_setzen, timer_ausfuehren

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
            _vorfall_setzen(_laden(instanz, vorgang, None), error)
            instanz.next_timer_due = None
        anzahl += 1
    db.session.commit()
    return anzahl
