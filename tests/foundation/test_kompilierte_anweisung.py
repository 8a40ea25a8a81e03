"""`KompilierteAnweisung`: a Core statement compiled once, run with the types' processing and SQLAlchemy errors."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from app.database import KompilierteAnweisung
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from tests.factories import vorgang

T = HistorieEintrag.__table__
EINFUEGEN = KompilierteAnweisung(
    insert(T)
    .values(
        {
            s: bindparam(s, type_=T.c[s].type)
            for s in ("vorgang_id", "akteur", "zeitpunkt", "aktion", "nachher", "notiz")
        }
    )
    .returning(T.c.id)
)


def test_values_go_through_the_column_types_and_read_back_equal(ordnungsamt):
    """JSON and timezone-aware datetimes are converted as the ORM would; the row reads back through the ORM."""
    v = vorgang(ordnungsamt)
    db.session.flush()
    zeitpunkt = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)
    werte = {
        "vorgang_id": v.id,
        "akteur": "System",
        "zeitpunkt": zeitpunkt,
        "aktion": "Test",
        "nachher": {"a": [1, "ä"]},
        "notiz": "",
    }
    eintrag_id = EINFUEGEN.ausfuehren(werte).wert
    eintrag = db.session.get(HistorieEintrag, eintrag_id)
    assert (eintrag.nachher, eintrag.zeitpunkt) == ({"a": [1, "ä"]}, zeitpunkt)


def test_literals_of_the_statement_need_no_values(ordnungsamt):
    """Literals such as `WHERE akteur = 'niemand'` and `SET notiz = 'nie'` are taken from the statement itself."""
    v = vorgang(ordnungsamt)
    db.session.flush()
    aendern = KompilierteAnweisung(
        update(T)
        .where(T.c.vorgang_id == bindparam("v", type_=T.c.vorgang_id.type), T.c.akteur == "niemand")
        .values(notiz="nie")
    )
    assert aendern.ausfuehren({"v": v.id}).anzahl == 0


def test_a_constraint_violation_is_sqlalchemys_integrity_error(ordnungsamt):
    """Callers catch `sqlalchemy.exc.IntegrityError` (e.g. the intake's duplicate delivery) as with the ORM."""
    with pytest.raises(IntegrityError):
        EINFUEGEN.ausfuehren(
            {
                "vorgang_id": 10**9,
                "akteur": "System",
                "zeitpunkt": datetime.now(UTC),
                "aktion": "x",
                "nachher": None,
                "notiz": "",
            }
        )
    db.session.rollback()


def test_several_rows_at_once_report_how_many_were_written(ordnungsamt):
    """A list of value dicts runs as one executemany; `anzahl` says how many rows it wrote."""
    v = vorgang(ordnungsamt)
    db.session.flush()
    spalten = ("vorgang_id", "akteur", "zeitpunkt", "aktion", "nachher", "notiz")
    ohne_returning = KompilierteAnweisung(insert(T).values({s: bindparam(s, type_=T.c[s].type) for s in spalten}))
    zeilen = [
        {
            "vorgang_id": v.id,
            "akteur": "System",
            "zeitpunkt": datetime.now(UTC),
            "aktion": f"Schritt {n}",
            "nachher": None,
            "notiz": "",
        }
        for n in range(3)
    ]
    ergebnis = ohne_returning.ausfuehren(zeilen)
    assert (ergebnis.wert, ergebnis.anzahl) == (None, 3)
    geschrieben = db.session.query(HistorieEintrag).filter(HistorieEintrag.aktion.like("Schritt %")).count()
    assert geschrieben == 3


def test_a_lost_connection_is_invalidated_and_the_next_transaction_works(ordnungsamt):
    """PostgreSQL: when the server ends the session's backend, the statement fails with SQLAlchemy's
    `OperationalError` marked as a lost connection, and after the rollback the session works again."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs in the process: there is no connection to lose")
    v = vorgang(ordnungsamt)
    db.session.commit()
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with db.engine.connect() as andere:
        andere.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(OperationalError) as fehler:
        EINFUEGEN.ausfuehren(
            {
                "vorgang_id": v.id,
                "akteur": "System",
                "zeitpunkt": datetime.now(UTC),
                "aktion": "x",
                "nachher": None,
                "notiz": "",
            }
        )
    assert fehler.value.connection_invalidated
    db.session.rollback()
    assert db.session.execute(text("SELECT 1")).scalar_one() == 1
