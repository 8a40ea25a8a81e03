"""The scheduler: one periodic tick that runs every registered handler (Wiedervorlagen, BPMN timers, mail).

Every slice registers its periodic work in its own `init_app` with `register_tick(name, func)`; `func(jetzt)`
does one round of work and returns how many items it handled. `tick()` runs all handlers once, each in its own
transaction: a handler that raises is rolled back and logged and does not stop the others.

The tick runs in one of two ways (see docs/scheduler.md):
- in every web process, as an APScheduler `BackgroundScheduler` started by `init_app` when `SCHEDULER_ENABLED`;
- in a dedicated process: `flask --app wsgi scheduler run` (then set `SCHEDULER_ENABLED=false` for the web).
Both can run at the same time and on several hosts: handlers claim their rows (`app.database.zum_beanspruchen`,
conditional UPDATEs), so no work is done twice.
"""

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app import signale
from app.extensions import db
from app.timeutil import utcnow

log = logging.getLogger(__name__)

#: name → handler; module-level so slices can register before or after the app exists. Re-registering a
#: name replaces the handler (tests build many apps).
_HANDLER: dict[str, Callable[[datetime], int]] = {}
#: Handlers that do a bounded amount of work per call (e.g. `limit=100`) and want to be called again within
#: the same tick while they still find work, so a backlog drains without waiting for later ticks.
_WIEDERHOLEN: set[str] = set()
_registry_lock = threading.Lock()


def register_tick(name: str, func: Callable[[datetime], int], *, wiederholen: bool = False) -> None:
    """Register `func(jetzt) -> int` to run once per tick under `name` (idempotent per name).

    With `wiederholen=True` the tick calls it again (each call its own transaction) while it returns a positive
    count and SCHEDULER_BUDGET_SECONDS is not used up.
    """
    with _registry_lock:
        _HANDLER[name] = func
        if wiederholen:
            _WIEDERHOLEN.add(name)
        else:
            _WIEDERHOLEN.discard(name)


def registrierte_handler() -> dict[str, Callable[[datetime], int]]:
    """A snapshot of the registered handlers, in registration order."""
    with _registry_lock:
        return dict(_HANDLER)


def tick(jetzt: datetime | None = None, nur: list[str] | None = None) -> dict[str, int | None]:
    """Run every registered handler once (or only those named in `nur`); return name → count, None on failure.

    Needs an app context. Each handler runs in its own transaction: what it leaves uncommitted is committed
    after it returns, and rolled back if it raises. Handlers may commit in between themselves (batches).
    """
    jetzt = jetzt or utcnow()
    ergebnis: dict[str, int | None] = {}
    for name, func in registrierte_handler().items():
        if nur is not None and name not in nur:
            continue
        try:
            ergebnis[name] = _ausfuehren(name, func, jetzt)
        except Exception:  # noqa: BLE001 — one broken handler must not stop the others
            db.session.rollback()
            log.exception("Scheduler-Handler %r ist fehlgeschlagen", name)
            ergebnis[name] = None
    return ergebnis


def _ausfuehren(name: str, func: Callable[[datetime], int], jetzt: datetime) -> int:
    """Call one handler (repeatedly, if it asked for that) and commit after each call; return the total."""
    budget = float(current_app.config.get("SCHEDULER_BUDGET_SECONDS", 25))
    beginn = time.monotonic()
    gesamt = 0
    while True:
        anzahl = int(func(jetzt) or 0)
        db.session.commit()
        gesamt += anzahl
        if name not in _WIEDERHOLEN or anzahl <= 0 or time.monotonic() - beginn > budget:
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


def _neuer_scheduler(app: Flask, blocking: bool = False):
    """An APScheduler with the one tick job; first run immediately (catch-up after a restart)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    klasse = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = klasse(timezone="UTC")
    scheduler.add_job(
        _tick_job,
        "interval",
        args=[app],
        seconds=int(app.config.get("SCHEDULER_TICK_SECONDS", 30)),
        id="amtsfluss-tick",
        next_run_time=datetime.now(scheduler.timezone),
        max_instances=1,  # a slow tick is never overlapped by the next one in the same process
        coalesce=True,  # ticks missed while busy collapse into one
        misfire_grace_time=None,
    )
    return scheduler


def _soll_im_webprozess_laufen(app: Flask) -> bool:
    """Start the background scheduler only where it belongs.

    Not when disabled, not in `flask` CLI commands other than `run` (migrations, create-user, the dedicated
    `scheduler run`), and under `flask run --debug` only in the reloader's child, not in the watching parent.
    """
    if not app.config.get("SCHEDULER_ENABLED"):
        return False
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return True  # gunicorn, waitress, a plain import
    if _cli_befehl() != "run":
        return False
    from werkzeug.serving import is_running_from_reloader

    return is_running_from_reloader() or not (app.debug or os.environ.get("FLASK_DEBUG") == "1")


def _cli_befehl() -> str | None:
    """The `flask` subcommand of this process (`run`, `db`, `scheduler` …), read from argv."""
    args = sys.argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--app", "-A", "--env-file", "-e"):
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg
    return None


def init_app(app: Flask) -> None:
    """Register the CLI and start the background scheduler of this process when enabled."""
    app.cli.add_command(scheduler_cli)
    app.extensions.setdefault("amtsfluss_scheduler", None)
    if not _soll_im_webprozess_laufen(app):
        return
    scheduler = _neuer_scheduler(app)
    scheduler.start()
    app.extensions["amtsfluss_scheduler"] = scheduler
    atexit.register(_anhalten, scheduler)
    log.info("Hintergrund-Scheduler gestartet (Tick alle %s s)", app.config.get("SCHEDULER_TICK_SECONDS"))


def _anhalten(scheduler) -> None:
    """Stop a scheduler without waiting for a running tick (its transaction is simply not committed)."""
    try:
        scheduler.shutdown(wait=False)
    except Exception as error:  # noqa: BLE001 — e.g. already stopped
        log.debug("Scheduler war schon angehalten: %s", error)


def stoppen(app: Flask) -> None:
    """Stop this app's background scheduler, if one runs (tests that started one)."""
    scheduler = app.extensions.get("amtsfluss_scheduler")
    if scheduler is not None:
        _anhalten(scheduler)
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
