"""The tick: every handler once, each in its own transaction; the CLI and the background scheduler run it."""

import logging
import runpy
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

import app.scheduler as scheduler
from app import create_app
from app.config import ROOT
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from app.wiedervorlagen import erinnerung
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage
from app.wiedervorlagen.service import wiedervorlage_anlegen
from tests.conftest import TEST_CONFIG

FAELLIG = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _anzahl(model, *bedingungen) -> int:
    """Rows of a model matching the conditions."""
    return db.session.scalar(select(func.count()).select_from(model).where(*bedingungen))


def test_a_crashing_handler_is_rolled_back_and_logged_and_the_others_still_run(app, akte, monkeypatch, caplog):
    """A handler that writes and then raises leaves nothing behind; handlers after it run and commit."""

    def kaputt(jetzt):
        """Write something, then crash."""
        db.session.add(Benachrichtigung(empfaenger_id=akte.bearbeiter_id, titel="halb", erstellt_am=jetzt))
        db.session.flush()
        raise RuntimeError("kaputt")

    def zaehlt(jetzt):
        """Write something and report one item."""
        db.session.add(Benachrichtigung(empfaenger_id=akte.bearbeiter_id, titel="ganz", erstellt_am=jetzt))
        return 1

    handler = (scheduler.Handler("kaputt", kaputt), scheduler.Handler("zaehlt", zaehlt))
    monkeypatch.setattr(scheduler, "HANDLER", handler)
    with caplog.at_level(logging.ERROR, logger="app.scheduler"):
        assert scheduler.tick() == {"kaputt": None, "zaehlt": 1}
    assert "'kaputt' ist fehlgeschlagen" in caplog.text
    db.session.expire_all()
    assert list(db.session.scalars(select(Benachrichtigung.titel))) == ["ganz"]


def test_a_batch_that_fails_half_way_leaves_nothing_half_fired(uhr, app, akte, monkeypatch, smtp):
    """The effects of one reminder fail: the others of the batch fire; the bad one is neither marked as fired
    nor has a notification, mail or Historie; once the cause is gone it fires, exactly once."""
    wvs = [wiedervorlage_anlegen(akte, f"WV {i}", date(2026, 11, 30)) for i in range(5)]
    db.session.commit()
    original = erinnerung.erinnerungstext

    def bricht_bei_wv_2(name, nummer, betreff, *rest):
        """Fail for one Wiedervorlage only."""
        if betreff == "WV 2":
            raise ValueError("Vorlage kaputt")
        return original(name, nummer, betreff, *rest)

    monkeypatch.setattr(erinnerung, "erinnerungstext", bricht_bei_wv_2)
    uhr.jetzt = FAELLIG
    assert scheduler.tick()["wiedervorlagen"] == 4
    db.session.expire_all()
    schlecht = wvs[2]
    assert schlecht.erinnert_am is None
    assert schlecht.erinnerung_faellig_am == FAELLIG + erinnerung.FEHLER_PAUSE
    assert _anzahl(Benachrichtigung, Benachrichtigung.wiedervorlage_id == schlecht.id) == 0
    assert _anzahl(Mailausgang, Mailausgang.wiedervorlage_id == schlecht.id) == 0
    assert _anzahl(HistorieEintrag, HistorieEintrag.aktion == "Wiedervorlage fällig") == 4

    monkeypatch.setattr(erinnerung, "erinnerungstext", original)
    for zeitpunkt, gefeuert in ((timedelta(minutes=5), 0), (erinnerung.FEHLER_PAUSE, 1), (timedelta(hours=2), 0)):
        uhr.jetzt = FAELLIG + zeitpunkt
        assert scheduler.tick()["wiedervorlagen"] == gefeuert
    assert _anzahl(Benachrichtigung) == 5 and len(smtp.nachrichten) == 5


def test_cli_runs_one_tick(app, runner, akte, smtp):
    """`flask --app wsgi scheduler run --once` fires what is due now and reports the counts."""
    wiedervorlage_anlegen(akte, "Längst fällig", date(2020, 1, 2))
    db.session.commit()
    ergebnis = runner.invoke(args=["scheduler", "run", "--once"])
    assert ergebnis.exit_code == 0, ergebnis.output
    assert "wiedervorlagen: 1" in ergebnis.output and "mailausgang: 1" in ergebnis.output
    assert len(smtp.nachrichten) == 1


def test_background_scheduler_started_by_the_gunicorn_hook_fires_due_reminders(app, akte, smtp):
    """gunicorn's `post_worker_init` (gunicorn.conf.py) starts an APScheduler that ticks on its own (first tick at
    start)."""
    wv = wiedervorlage_anlegen(akte, "Im Hintergrund", date(2020, 1, 2))
    db.session.commit()
    hintergrund = create_app(
        {
            **TEST_CONFIG,
            "SCHEDULER_ENABLED": True,
            "SCHEDULER_TICK_SECONDS": 1,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
        }
    )
    assert hintergrund.extensions["amtsfluss_scheduler"] is None  # create_app alone never starts one
    gunicorn_conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    try:
        gunicorn_conf["post_worker_init"](SimpleNamespace(wsgi=hintergrund))
        assert hintergrund.extensions["amtsfluss_scheduler"] is not None
        for _ in range(300):  # wait up to 30 s for the background thread, no timing assertion
            db.session.expire_all()
            if db.session.get(Wiedervorlage, wv.id).erinnert_am and smtp.nachrichten:
                break
            db.session.rollback()
            time.sleep(0.1)
        assert db.session.get(Wiedervorlage, wv.id).erinnert_am is not None
        assert len(smtp.nachrichten) == 1
    finally:
        scheduler.stoppen(hintergrund)
        with hintergrund.app_context():
            db.engine.dispose()


def test_only_the_web_server_starts_the_scheduler_and_only_when_enabled(app, runner):
    """create_app and CLI commands never start one; `starten` does nothing while SCHEDULER_ENABLED is false."""
    app.config["SCHEDULER_ENABLED"] = True
    assert runner.invoke(args=["create-oe", "--help"]).exit_code == 0
    assert app.extensions["amtsfluss_scheduler"] is None
    app.config["SCHEDULER_ENABLED"] = False
    scheduler.starten(app)
    assert app.extensions["amtsfluss_scheduler"] is None


def test_a_handler_with_wiederholen_drains_its_backlog_within_one_tick(app, monkeypatch):
    """A bounded handler (limit 3 per call) is called again while it finds work; a plain one only once."""
    rest = {"begrenzt": 10, "einmal": 10}

    def begrenzt(jetzt):
        """Take at most three items per call."""
        n = min(3, rest["begrenzt"])
        rest["begrenzt"] -= n
        return n

    def einmal(jetzt):
        """Take at most three items per call."""
        n = min(3, rest["einmal"])
        rest["einmal"] -= n
        return n

    handler = (scheduler.Handler("begrenzt", begrenzt, wiederholen=True), scheduler.Handler("einmal", einmal))
    monkeypatch.setattr(scheduler, "HANDLER", handler)
    assert scheduler.tick() == {"begrenzt": 10, "einmal": 3}


def test_every_handler_of_a_tick_gets_the_time_of_the_app_clock(uhr, app, monkeypatch):
    """The tick reads the clock once (`app.timeutil.utcnow`) and hands that moment to each handler."""
    gesehen = []
    handler = (scheduler.Handler("a", gesehen.append), scheduler.Handler("b", gesehen.append))
    monkeypatch.setattr(scheduler, "HANDLER", handler)
    uhr.jetzt = FAELLIG + timedelta(days=400)
    scheduler.tick()
    assert gesehen == [FAELLIG + timedelta(days=400)] * 2
