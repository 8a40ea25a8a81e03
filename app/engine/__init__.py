"""The engine slice: BPMN procedures deployed as versions and run with SpiffWorkflow (see docs/bpmn.md)."""

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, select

from app.config import ROOT
from app.engine.cli import processes
from app.engine.models import VORFALL, ProzessInstanz
from app.engine.registry import deploy_pfad
from app.engine.runner import bei_verwerfen
from app.engine.variablen import prozessvariablen
from app.extensions import db
from app.signale import verfahrensdaten_erbeten, vorgang_verworfen

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """CLI `processes deploy`, cancelling the procedure of a verworfener Vorgang, process variables for Bescheide,
    deploying `processes/` on start."""
    app.cli.add_command(processes)
    vorgang_verworfen.connect(bei_verwerfen)
    verfahrensdaten_erbeten.connect(prozessvariablen)
    if app.config.get("DEPLOY_PROCESSES_ON_START"):
        with app.app_context():
            deploy_beim_start(app)


def deploy_beim_start(app: Flask) -> None:
    """Deploy shipped procedures the database does not have yet (a restart never undoes a designer's version).

    `processes deploy` stays the explicit way to deploy changed files. Never stops the app.
    """
    try:
        if not inspect(db.engine).has_table("prozess_modell_version"):
            return  # not migrated yet (e.g. during `flask db upgrade`)
        pfad = Path(app.config.get("PROCESSES_PATH") or ROOT / "processes")
        _ergebnisse, fehler = deploy_pfad(pfad, von="Start", nur_neue=True)
        for f in fehler:
            log.error("Prozessmodell ungültig: %s", f)
    except Exception:  # noqa: BLE001 — a broken deployment must not keep the app from serving
        db.session.rollback()
        log.exception("Deployment der Prozessmodelle beim Start fehlgeschlagen")
    finally:
        db.session.remove()


def prozess_vorfall(vorgang) -> dict | None:
    """The incident of a Vorgang's procedure (`element`, `text`, `seit`) or None — for the banner template."""
    if vorgang is None or getattr(vorgang, "id", None) is None:
        return None
    zeile = db.session.execute(
        select(ProzessInstanz.vorfall_element, ProzessInstanz.vorfall_text, ProzessInstanz.vorfall_seit).where(
            ProzessInstanz.vorgang_id == vorgang.id, ProzessInstanz.zustand_art == VORFALL
        )
    ).first()
    return None if zeile is None else {"element": zeile[0], "text": zeile[1], "seit": zeile[2]}
