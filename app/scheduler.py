"""The scheduler: one periodic tick that runs the slices' periodic work (intake, BPMN timers, Wiedervorlagen, mail).

`HANDLER` lists that work in order; each `func(jetzt)` does one round and returns how many items it handled.
`tick()` runs them once, each in its own transaction: a handler that raises is rolled back and logged and does
not stop the others.

The tick runs in one of two ways (see docs/scheduler.md):
- in every gunicorn worker, as an APScheduler `BackgroundScheduler` that `gunicorn.conf.py` starts with `starten`
  when `SCHEDULER_ENABLED`; `create_app` and CLI commands never start one;
- in a dedicated process: `flask --app wsgi scheduler run`.
Both can run at the same time and on several hosts: handlers claim their rows (`app.database.zum_beanspruchen`,
conditional UPDATEs), so no work is done twice.
"""

import atexit
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext

from app import signale
from app.engine.timers import timer_tick
from app.extensions import db
from app.intake.formsolutions import abrufen
from app.intake.verarbeitung import ausstehende_verarbeiten
from app.postfach.fitconnect import antworten_senden
from app.postfach.imap import abrufen as imap_abrufen
from app.timeutil import utcnow
from app.vorgaenge.zaehler import verdichten
from app.wiedervorlagen.erinnerung import digest_erstellen, faellige_erinnern
from app.wiedervorlagen.versand import mails_senden

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    """One periodic job: `func(jetzt) -> int` under a name (shown in logs and by `scheduler run --once`).

    With `wiederholen` the tick calls it again (each call its own transaction) while it returns a positive count
    and SCHEDULER_BUDGET_SECONDS is not used up, so a backlog larger than one batch drains within one tick.
    """

    name: str
    func: Callable[[datetime], int]
    wiederholen: bool = False


#: The work of one tick, in order. Reminders fired first are mailed in the same tick.
HANDLER: tuple[Handler, ...] = (
    Handler("intake-ausstehend", ausstehende_verarbeiten),
    Handler("intake-formsolutions", abrufen),
    Handler("bpmn_timer", timer_tick, wiederholen=True),
    Handler("wiedervorlagen", faellige_erinnern),
    Handler("wiedervorlagen-digest", digest_erstellen),
    Handler("mailausgang", mails_senden),
    Handler("postfach-imap", imap_abrufen),
    Handler("postfach-fitconnect", antworten_senden),
    Handler("vorgangszaehler", verdichten, wiederholen=True),
)


def tick(nur: list[str] | None = None) -> dict[str, int | None]:
    """Run every handler once (or only those named in `nur`); return name → count, None on failure.

    Needs an app context. All handlers of a tick get the same `jetzt`, read once from the app clock. Each handler
    runs in its own transaction: what it leaves uncommitted is committed after it returns, and rolled back if it
    raises. Handlers may commit in between themselves (batches).
    """
    jetzt = utcnow()
    ergebnis: dict[str, int | None] = {}
    for handler in HANDLER:
        if nur is not None and handler.name not in nur:
            continue
        try:
            ergebnis[handler.name] = _ausfuehren(handler, jetzt)
        except Exception:  # noqa: BLE001 — one broken handler must not stop the others
            db.session.rollback()
            log.exception("Scheduler-Handler %r ist fehlgeschlagen", handler.name)
            ergebnis[handler.name] = None
    return ergebnis


def _ausfuehren(handler: Handler, jetzt: datetime) -> int:
    """Call one handler (repeatedly, if it asked for that) and commit after each call; return the total."""
    budget = float(current_app.config.get("SCHEDULER_BUDGET_SECONDS", 25))
    beginn = time.monotonic()
    gesamt = 0
    while True:
        anzahl = int(handler.func(jetzt) or 0)
        db.session.commit()
        gesamt += anzahl
        if not handler.wiederholen or anzahl <= 0 or time.monotonic() - beginn > budget:
            return gesamt


def _tick_job(app: Flask) -> None:
    """The APScheduler job: one tick inside a fresh app context; never lets an exception escape."""
    with app.app_context():
        try:
            ergebnis = tick()
            signale.scheduler_getickt.send(app)
            if any(ergebnis.values()):
                log.info("Scheduler-Tick: %s", ergebnis)
        except Exception:  # noqa: BLE001 — e.g. the database is unreachable; the next tick tries again
            log.exception("Scheduler-Tick fehlgeschlagen")
        finally:
            db.session.remove()


def _neuer_scheduler(app: Flask, blocking: bool = False) -> BaseScheduler:
    """An APScheduler with the one tick job; first run immediately (catch-up after a restart)."""
    klasse = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = klasse(timezone="UTC")
    scheduler.add_job(
        _tick_job,
        "interval",
        args=[app],
        seconds=int(app.config.get("SCHEDULER_TICK_SECONDS", 30)),
        id="amtsfluss-tick",
        next_run_time=utcnow(),
        max_instances=1,  # a slow tick is never overlapped by the next one in the same process
        coalesce=True,  # ticks missed while busy collapse into one
        misfire_grace_time=None,
    )
    return scheduler


def init_app(app: Flask) -> None:
    """Register the CLI; the background scheduler is started by the web server (`starten`), never here."""
    app.cli.add_command(scheduler_cli)
    app.extensions.setdefault("amtsfluss_scheduler", None)


def starten(app: Flask) -> None:
    """Start the background scheduler of this web process when SCHEDULER_ENABLED (once per process and app).

    Called by gunicorn after a worker has loaded the app (`post_worker_init` in gunicorn.conf.py), so each worker
    ticks on its own, also with `--preload`.
    """
    if not app.config.get("SCHEDULER_ENABLED") or app.extensions.get("amtsfluss_scheduler") is not None:
        return
    scheduler = _neuer_scheduler(app)
    scheduler.start()
    app.extensions["amtsfluss_scheduler"] = scheduler
    atexit.register(_anhalten, scheduler)
    log.info("Hintergrund-Scheduler gestartet (Tick alle %s s)", app.config.get("SCHEDULER_TICK_SECONDS"))


def _anhalten(scheduler: BaseScheduler) -> None:
    """Stop a scheduler without waiting for a running tick (its transaction is simply not committed)."""
    try:
        scheduler.shutdown(wait=False)
    except Exception as error:  # noqa: BLE001 — e.g. already stopped
        log.debug("Scheduler war schon angehalten: %s", error)


def stoppen(app: Flask) -> None:
    """Stop this app's background scheduler, if one runs, after its running tick (tests that started one: their
    clean-up must not meet a tick's open transaction)."""
    scheduler = app.extensions.get("amtsfluss_scheduler")
    if scheduler is not None:
        scheduler.shutdown(wait=True)
        app.extensions["amtsfluss_scheduler"] = None


@click.group("scheduler")
def scheduler_cli() -> None:
    """Scheduler: Wiedervorlagen, BPMN-Timer und E-Mails."""


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Nur einen Tick ausführen und beenden (z. B. für cron).")
@click.option("--intervall", type=int, default=None, help="Sekunden zwischen zwei Ticks (Vorgabe: Konfiguration).")
@with_appcontext
def scheduler_run(once: bool, intervall: int | None) -> None:
    """Run the scheduler in this process (a dedicated scheduler process), until interrupted."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        ergebnis = tick()
        click.echo(", ".join(f"{name}: {'Fehler' if n is None else n}" for name, n in ergebnis.items()) or "-")
        if any(n is None for n in ergebnis.values()):
            raise SystemExit(1)
        return
    if intervall:
        app.config["SCHEDULER_TICK_SECONDS"] = intervall
    scheduler = _neuer_scheduler(app, blocking=True)
    click.echo(f"Scheduler läuft (Tick alle {app.config.get('SCHEDULER_TICK_SECONDS')} s). Beenden mit Strg+C.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
