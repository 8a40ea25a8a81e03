"""`flask --app wsgi processes …`: deploy procedures, map roles, create external clients, send messages/signals."""

import json
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from app.config import ROOT
from app.engine import runner
from app.engine.ereignisse import signal_senden
from app.engine.extern import ExternFehler, client_anlegen
from app.engine.models import ProzessModellVersion
from app.engine.registry import deploy_pfad
from app.engine.rollen import RollenFehler, zuordnen
from app.engine.rollen import datei_pruefen as rollen_datei_pruefen
from app.engine.routing import routing_pruefen
from app.extensions import db
from app.vorgaenge.models import Vorgang
from app.werkstatt.testfaelle import vor_deploy


@click.group("processes")
def processes() -> None:
    """BPMN-Verfahren verwalten."""


@processes.command("deploy")
@click.argument("pfad", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--von", default="CLI", help="Wer deployt (erscheint in der Versionsliste).")
def deploy(pfad: Path | None, von: str) -> None:
    """Prüft und deployt BPMN-Dateien (Standard: processes/) nach allen Testfällen des Verfahrens (gespeicherte und
    <key>.<name>.test.json daneben). Ungültige Modelle, fehlschlagende Testfälle: alle Fehler, Exit-Code 1."""
    ordner = pfad or current_app.config.get("PROCESSES_PATH") or ROOT / "processes"
    ergebnisse, fehler = deploy_pfad(ordner, von=von, vorher=vor_deploy)
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


def _json_daten(text: str | None) -> dict:
    """The `--daten` option as a dict (ClickException otherwise)."""
    try:
        daten = json.loads(text) if text else {}
    except json.JSONDecodeError as error:
        raise click.ClickException(f"--daten ist kein JSON: {error}") from None
    if not isinstance(daten, dict):
        raise click.ClickException("--daten muss ein JSON-Objekt sein.")
    return daten


@processes.command("nachricht")
@click.argument("name")
@click.argument("vorgangsnummer")
@click.option("--daten", help="Nachrichtendaten als JSON-Objekt.")
def nachricht(name: str, vorgangsnummer: str, daten: str | None) -> None:
    """Stellt dem Verfahren eines Vorgangs die Nachricht NAME zu."""
    vorgang = db.session.scalars(select(Vorgang).where(Vorgang.nummer == vorgangsnummer)).first()
    if vorgang is None:
        raise click.ClickException(f"Einen Vorgang „{vorgangsnummer}“ gibt es nicht.")
    try:
        zugestellt = runner.nachricht(vorgang, name, _json_daten(daten))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if not zugestellt:
        raise click.ClickException(f"Das Verfahren von Vorgang {vorgangsnummer} wartet nicht auf „{name}“.")
    db.session.commit()
    click.echo(f"Nachricht „{name}“ an {vorgangsnummer} zugestellt.")


@processes.command("signal")
@click.argument("name")
@click.option("--daten", help="Signaldaten als JSON-Objekt.")
def signal(name: str, daten: str | None) -> None:
    """Sendet das Signal NAME an alle Verfahren, die darauf warten."""
    try:
        anzahl = signal_senden(name, _json_daten(daten))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Signal „{name}“ von {anzahl} Verfahren empfangen.")
