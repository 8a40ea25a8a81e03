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
    insert(T).values({s: bindparam(s, type_=T.c[s].type) for s in ("vorgang_id", "akteur", "zeitpunkt", "aktion",
                                                                    "nachher", "notiz")}).returning(T.c.id)
)  # fmt: skip


def test_values_go_through_the_column_types_and_read_back_equal(ordnungsamt):
    """JSON and timezone-aware datetimes are converted as the ORM would; the row reads back through the ORM."""
    v = vorgang(ordnungsamt)
    db.session.flush()
    zeitpunkt = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)
    werte = {"vorgang_id": v.id, "akteur": "System", "zeitpunkt": zeitpunkt, "aktion": "Test",
             "nachher": {"a": [1, "ä"]}, "notiz": ""}  # fmt: skip
    eintrag_id = EINFUEGEN.ausfuehren(werte).scalar_one()
    eintrag = db.session.get(HistorieEintrag, eintrag_id)
    assert (eintrag.nachher, eintrag.zeitpunkt) == ({"a": [1, "ä"]}, zeitpunkt)


def test_literals_of_the_statement_need_no_values(ordnungsamt):
    """Literals such as `WHERE akteur = 'niemand'` and `SET notiz = 'nie'` are taken from the statement itself."""
    v = vorgang(ordnungsamt)
    db.session.flush()
    aendern = KompilierteAnweisung(
        update(T).where(T.c.vorgang_id == bindparam("v", type_=T.c.vorgang_id.type), T.c.akteur == "niemand")
        .values(notiz="nie")
    )
    assert aendern.ausfuehren({"v": v.id}).rowcount == 0


def test_a_constraint_violation_is_sqlalchemys_integrity_error(ordnungsamt):
    """Callers catch `sqlalchemy.exc.IntegrityError` (e.g. the intake's duplicate delivery) as with the ORM."""
    with pytest.raises(IntegrityError):
        EINFUEGEN.ausfuehren({"vorgang_id": 10**9, "akteur": "System", "zeitpunkt": datetime.now(UTC),
                              "aktion": "x", "nachher": None, "notiz": ""})  # fmt: skip
    db.session.rollback()
