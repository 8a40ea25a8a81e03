"""Two scheduler instances (each its own app, engine and session) on one database fire every reminder once."""

import email
import email.policy
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select

from app import create_app
from app.extensions import db
from app.scheduler import tick
from app.vorgaenge.models import HistorieEintrag
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage
from app.wiedervorlagen.service import faelligkeit
from tests.conftest import TEST_CONFIG

ANZAHL = 1000
JETZT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _faellige_anlegen(akte, anzahl: int) -> None:
    """`anzahl` open Wiedervorlagen on one Vorgang, due over the last days (bulk insert: this is set-up)."""
    werte = []
    for i in range(anzahl):
        frist = date(2026, 11, 30) - timedelta(days=i % 5)
        werte.append(
            {
                "vorgang_id": akte.id,
                "betreff": f"WV {i:04d}",
                "beschreibung": "",
                "frist": frist,
                "faellig_am": faelligkeit(frist),
                "erinnerung_faellig_am": faelligkeit(frist),
                "status": "offen",
                "herkunft": "manuell",
                "zugewiesen_an_id": akte.bearbeiter_id,
                "erstellt_am": JETZT - timedelta(days=10),
            }
        )
    db.session.execute(insert(Wiedervorlage), werte)
    db.session.commit()


def test_two_scheduler_instances_fire_each_of_1000_reminders_exactly_once(uhr, app, akte, smtp):
    """Both instances tick concurrently until nothing is left: 1,000 notifications, 1,000 Historie entries,
    1,000 mails received by the SMTP server, no reminder twice, none missing."""
    uhr.jetzt = JETZT
    _faellige_anlegen(akte, ANZAHL)
    instanzen = [
        create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "INSTANCE_PATH": app.instance_path,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": smtp.port,
                "SCHEDULER_BATCH": 25,  # small batches, so the two instances interleave many times
            }
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)
    geleistet: list[Counter] = [Counter(), Counter()]
    fehler: list[BaseException] = []

    def laufen(nr: int) -> None:
        """Tick until a tick finds nothing to do."""
        try:
            with instanzen[nr].app_context():
                start.wait()
                while True:
                    ergebnis = tick(nur=["wiedervorlagen", "mailausgang"])
                    assert None not in ergebnis.values(), ergebnis
                    geleistet[nr].update(ergebnis)
                    if not any(ergebnis.values()):
                        break
                db.session.remove()
                db.engine.dispose()
        except BaseException as e:  # noqa: BLE001 — reported in the main thread
            fehler.append(e)

    threads = [threading.Thread(target=laufen, args=(nr,)) for nr in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fehler == []
    print("Anteile der Instanzen:", [dict(g) for g in geleistet])

    assert geleistet[0]["wiedervorlagen"] + geleistet[1]["wiedervorlagen"] == ANZAHL
    assert geleistet[0]["mailausgang"] + geleistet[1]["mailausgang"] == ANZAHL
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Wiedervorlage.erinnert_am.is_(None))) == 0
    pro_wv = db.session.execute(
        select(Benachrichtigung.wiedervorlage_id, func.count()).group_by(Benachrichtigung.wiedervorlage_id)
    ).all()
    assert len(pro_wv) == ANZAHL and {n for _, n in pro_wv} == {1}
    assert db.session.scalar(select(func.count()).where(HistorieEintrag.aktion == "Wiedervorlage fällig")) == ANZAHL
    assert db.session.scalar(select(func.count()).where(Mailausgang.status == "gesendet")) == ANZAHL
    betreffe = Counter(
        email.message_from_bytes(m.content, policy=email.policy.default)["Subject"] for m in smtp.nachrichten
    )
    assert len(betreffe) == ANZAHL and set(betreffe.values()) == {1}
