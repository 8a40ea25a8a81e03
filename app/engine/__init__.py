"""The engine slice: BPMN procedures deployed as versions and run with SpiffWorkflow (see docs/bpmn.md)."""

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from app.config import ROOT
from app.engine import rollen, routing
from app.engine.cli import processes
from app.engine.models import VORFALL, ProzessInstanz
from app.engine.registry import DMN_PRAEFIX, deploy_pfad
from app.engine.runner import bei_verwerfen
from app.engine.variablen import prozessvariablen
from app.extensions import db
from app.signale import verfahren_mitgeliefert, verfahrensdaten_erbeten, vorgang_verworfen
from app.vorgaenge import beschriftungsdateien

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
            einstellungen_beim_start()


def deploy_beim_start(app: Flask) -> None:
    """Deploy shipped procedures the database does not have yet (a restart never undoes a designer's version).

    `processes deploy` stays the explicit way to deploy changed files. Never stops the app.
    """
    try:
        if not inspect(db.engine).has_table("prozess_modell_version"):
            return  # not migrated yet (e.g. during `flask db upgrade`)
        pfad = Path(app.config.get("PROCESSES_PATH") or ROOT / "processes")
        ergebnisse, fehler = deploy_pfad(pfad, von="Start", nur_neue=True)
        for f in fehler:
            log.error("Prozessmodell ungültig: %s", f)
        for ergebnis in ergebnisse:
            if ergebnis.neu and not ergebnis.key.startswith(DMN_PRAEFIX):  # e.g. the workbench stores its test cases
                verfahren_mitgeliefert.send(ergebnis.key, datei=ergebnis.datei, von="Start")
        db.session.commit()
    except Exception:  # noqa: BLE001 — a broken deployment must not keep the app from serving
        db.session.rollback()
        log.exception("Deployment der Prozessmodelle beim Start fehlgeschlagen")
    finally:
        db.session.remove()


def einstellungen_beim_start() -> None:
    """Take routing, role mapping and label files over from their files where the database has none yet.

    Once taken over (here or by a change in the workbench) the database rules: a restart never undoes a browser
    edit. Never stops the app.
    """
    try:
        if not inspect(db.engine).has_table("einstellung_stand"):
            return  # not migrated yet
        for store in (routing, rollen, beschriftungsdateien):
            store.uebernehmen("Start")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another worker starting at the same moment took them over
        log.info("Routing, Rollen und Beschriftungen hat ein anderer Prozess übernommen")
    except Exception:  # noqa: BLE001 — broken settings files must not keep the app from serving
        db.session.rollback()
        log.exception("Übernahme von Routing, Rollen oder Beschriftungen beim Start fehlgeschlagen")
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
