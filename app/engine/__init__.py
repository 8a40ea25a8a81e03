"""The engine slice: BPMN procedures deployed as versions and run with SpiffWorkflow (see docs/bpmn.md)."""

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """CLI `processes deploy`, the timer job for the scheduler, and deploying `processes/` on start."""
    from app.engine import uhr
    from app.engine.cli import processes

    uhr.installieren()
    app.cli.add_command(processes)
    if app.config.get("DEPLOY_PROCESSES_ON_START"):
        with app.app_context():
            deploy_beim_start(app)


def deploy_beim_start(app: Flask) -> None:
    """Deploy the shipped procedures; unchanged files cost one hash and one query each. Never stops the app."""
    from pathlib import Path

    from sqlalchemy import inspect

    from app.config import ROOT
    from app.engine.registry import deploy_pfad
    from app.extensions import db

    try:
        if not inspect(db.engine).has_table("prozess_modell_version"):
            return  # not migrated yet (e.g. during `flask db upgrade`)
        pfad = Path(app.config.get("PROCESSES_PATH") or ROOT / "processes")
        _ergebnisse, fehler = deploy_pfad(pfad, von="Start")
        for f in fehler:
            log.error("Prozessmodell ungültig: %s", f)
    except Exception:  # noqa: BLE001 — a broken deployment must not keep the app from serving
        db.session.rollback()
        log.exception("Deployment der Prozessmodelle beim Start fehlgeschlagen")
    finally:
        db.session.remove()


def prozess_vorfall(vorgang) -> dict | None:
    """The incident of a Vorgang's procedure (`element`, `text`, `seit`) or None — for the banner template."""
    from sqlalchemy import select

    from app.engine.models import VORFALL, ProzessInstanz
    from app.extensions import db

    if vorgang is None or getattr(vorgang, "id", None) is None:
        return None
    zeile = db.session.execute(
        select(ProzessInstanz.vorfall_element, ProzessInstanz.vorfall_text, ProzessInstanz.vorfall_seit).where(
            ProzessInstanz.vorgang_id == vorgang.id, ProzessInstanz.zustand_art == VORFALL
        )
    ).first()
    return None if zeile is None else {"element": zeile[0], "text": zeile[1], "seit": zeile[2]}
