"""BPMN timers fired in batches: many instances per claim and commit, each timer exactly once."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.engine.models import ProzessInstanz
from app.engine.registry import deploy_xml
from app.engine.timers import faellige_timer_ausfuehren, timer_tick
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from tests.engine.conftest import BEISPIELE, erledige, neuer_vorgang


def _wartende_instanzen(uhr, amt, sabine, anzahl: int) -> list[int]:
    """`anzahl` Vorgänge whose procedure waits on a timer due in three days; returns their ids."""
    deploy_xml((BEISPIELE / "timer_kaputt.bpmn").read_bytes(), "timer_kaputt.bpmn")
    db.session.commit()
    termin = (uhr.jetzt + timedelta(days=3)).date().isoformat()
    ids = []
    for _ in range(anzahl):
        v = neuer_vorgang(amt, verfahren_key="timer_kaputt")
        erledige(sabine, v, "eingabe", termin=termin)
        ids.append(v.id)
    return ids


def _beendet_je_vorgang(ids: list[int]) -> dict[int, int]:
    """Number of "Verfahren beendet" Historie entries per Vorgang."""
    zeilen = db.session.execute(
        select(HistorieEintrag.vorgang_id, func.count())
        .where(HistorieEintrag.vorgang_id.in_(ids), HistorieEintrag.aktion == "Verfahren beendet")
        .group_by(HistorieEintrag.vorgang_id)
    ).all()
    return dict(zeilen)


def test_timer_tick_feuert_je_charge_und_jeden_timer_einmal(uhr, app, amt, sabine):
    """The tick handler runs one batch of `ENGINE_TIMER_CHARGE` instances; each timer fires once."""
    ids = _wartende_instanzen(uhr, amt, sabine, 7)
    spaeter = uhr.vorstellen(timedelta(days=4))
    assert faellige_timer_ausfuehren(spaeter, limit=3) == 3  # one batch = `limit` instances
    app.config["ENGINE_TIMER_CHARGE"] = 2
    assert [timer_tick(spaeter) for _ in range(3)] == [2, 2, 0]  # the scheduler repeats it while it finds work
    assert _beendet_je_vorgang(ids) == {i: 1 for i in ids}
    arten = db.session.scalars(select(ProzessInstanz.zustand_art).where(ProzessInstanz.vorgang_id.in_(ids))).all()
    assert arten == ["beendet"] * 7


def test_zwei_scheduler_gleichzeitig_feuern_jeden_timer_genau_einmal(uhr, app, amt, sabine):
    """Two scheduler threads with their own sessions on the same due instances: no timer fires twice or not at
    all (PostgreSQL: SKIP LOCKED splits the rows; SQLite: the version check rolls back a losing batch)."""
    ids = _wartende_instanzen(uhr, amt, sabine, 12)
    db.session.remove()
    spaeter = uhr.vorstellen(timedelta(days=4))
    gefeuert, fehler = [], []

    def scheduler():
        """Fire batches of 2 until nothing is due; a lost race is retried like the next tick would."""
        with app.app_context():
            try:
                for _ in range(200):
                    try:
                        n = faellige_timer_ausfuehren(spaeter, limit=2)
                    except Exception:  # noqa: BLE001 — a database race: the tick would run again
                        db.session.rollback()
                        continue
                    gefeuert.append(n)
                    if n == 0:
                        break
            except Exception as error:  # noqa: BLE001 — asserted below
                fehler.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fehler == []
    assert sum(gefeuert) == 12
    assert _beendet_je_vorgang(ids) == {i: 1 for i in ids}
    offen = db.session.scalar(select(func.count()).where(ProzessInstanz.next_timer_due.is_not(None)))
    assert offen == 0
