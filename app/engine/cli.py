"""`flask --app wsgi processes deploy [PATH]`: validate and deploy BPMN procedures."""

from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from app.config import ROOT
from app.engine.extern import ExternFehler, client_anlegen
from app.engine.models import ProzessModellVersion
from app.engine.registry import deploy_pfad
from app.engine.rollen import RollenFehler, zuordnen
from app.engine.rollen import datei_pruefen as rollen_datei_pruefen
from app.engine.routing import routing_pruefen
from app.extensions import db


@click.group("processes")
def processes() -> None:
    """BPMN-Verfahren verwalten."""


@processes.command("deploy")
@click.argument("pfad", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--von", default="CLI", help="Wer deployt (erscheint in der Versionsliste).")
def deploy(pfad: Path | None, von: str) -> None:
    """Prüft und deployt BPMN-Dateien (Standard: processes/). Ungültige Modelle: alle Fehler, Exit-Code 1."""
    ergebnisse, fehler = deploy_pfad(pfad or current_app.config.get("PROCESSES_PATH") or ROOT / "processes", von=von)
    for e in ergebnisse:
        zustand = "neu deployt" if e.neu else "unverändert"
        click.echo(f"{e.key}: Version {e.version} ({zustand}) – {e.datei}")
        for warnung in e.warnungen:
            click.echo(f"  {warnung}", err=True)
    meldungen = [str(f) for f in fehler]
    if pfad is None:  # the shipped folder: its routing file must point to deployed procedures
        bekannt = set(db.session.scalars(select(ProzessModellVersion.key).distinct()))
        meldungen += routing_pruefen(bekannt) + rollen_datei_pruefen()
    if meldungen:
        click.echo(f"{len(meldungen)} Fehler:", err=True)
        for meldung in meldungen:
            click.echo(f"  {meldung}", err=True)
        raise SystemExit(1)


@processes.command("rolle")
@click.argument("gruppe")
@click.argument("rolle")
@click.option("--von", default="CLI", help="Wer die Zuordnung ändert.")
def rolle(gruppe: str, rolle: str, von: str) -> None:
    """Ordnet eine Kandidatengruppe oder Lane einer Rolle zu (geht processes/rollen.toml vor)."""
    try:
        zuordnen(gruppe, rolle, von)
    except RollenFehler as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{gruppe.strip().lower()} → {rolle.strip().lower()}")


@processes.command("extern-client")
@click.argument("name")
@click.option("--thema", "themen", multiple=True, help="Erlaubtes Thema (camunda:topic); ohne: alle.")
def extern_client(name: str, themen: tuple[str, ...]) -> None:
    """Legt einen Client für externe Aufgaben an und zeigt sein Token (nur dieses eine Mal)."""
    try:
        _client, token = client_anlegen(name, list(themen))
    except ExternFehler as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(token)
