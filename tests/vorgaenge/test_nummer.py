"""Vorgangsnummern: format and uniqueness under concurrency."""

import random
import re
import threading

from sqlalchemy import func, select

from app.extensions import db
from app.vorgaenge.models import Vorgang, VorgangSuchtext
from app.vorgaenge.nummer import ALPHABET, neue_vorgangsnummer
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import Status
from tests import factories


def test_number_has_prefix_and_six_unambiguous_characters():
    """`31005-FFBZK6`: no 0, O, 1 or I."""
    for _ in range(200):
        nummer = neue_vorgangsnummer("31005")
        assert re.fullmatch(r"31005-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", nummer)
    assert not set("0O1I") & set(ALPHABET)


def test_eight_concurrent_creators_get_unique_numbers(app, ordnungsamt, monkeypatch):
    """Even when the random generator collides, every Vorgang gets its own number."""
    # Force collisions: 24 Vorgänge drawn from only 64 possible numbers collide almost surely.
    zufall = random.Random(4)
    lock = threading.Lock()

    def wenig_zufall(prefix):
        with lock:
            n = zufall.randrange(64)
        return f"{prefix}-AAAA{ALPHABET[n // 8]}{ALPHABET[n % 8]}"

    monkeypatch.setattr("app.vorgaenge.service.neue_vorgangsnummer", wenig_zufall)
    oe_id = ordnungsamt.id
    fehler = []

    def erzeuger():
        with app.app_context():
            try:
                for _ in range(3):
                    amt = db.session.get(type(ordnungsamt), oe_id)
                    factories.vorgang(amt)
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 — collected and asserted below
                fehler.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=erzeuger) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fehler == []
    anzahl, eindeutig = db.session.execute(select(func.count(), func.count(Vorgang.nummer.distinct()))).one()
    assert anzahl == eindeutig == 24


def test_taken_number_is_skipped_inside_the_callers_transaction(app, ordnungsamt, monkeypatch):
    """A collision costs one more insert, not the transaction: what the caller did before survives, and the
    new Vorgang is searchable and changeable through the ORM like any other."""
    erster = factories.vorgang(ordnungsamt)
    db.session.commit()
    vorher = factories.vorgang(ordnungsamt, antragsteller_name="Berta Vorher")  # same transaction, uncommitted
    nummern = iter([erster.nummer, vorher.nummer, f"{ordnungsamt.nummer_prefix}-ZZZZZZ"])
    monkeypatch.setattr("app.vorgaenge.service.neue_vorgangsnummer", lambda prefix: next(nummern))
    neu = factories.vorgang(ordnungsamt, antragsteller_name="Carla Neu")
    assert neu.nummer.endswith("-ZZZZZZ")
    status_setzen(neu, Status.ANGENOMMEN)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Vorgang, vorher.id).antragsteller_name == "Berta Vorher"
    assert db.session.get(Vorgang, neu.id).status == Status.ANGENOMMEN.value
    assert db.session.get(Vorgang, neu.id).oe.id == ordnungsamt.id
    assert "Carla" in db.session.get(VorgangSuchtext, neu.id).text
