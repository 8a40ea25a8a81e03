"""`flask --app wsgi processes …`: deploy procedures, map roles, create external clients, send messages/signals."""

import json
from functools import partial
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
from app.engine.rollen import RollenFehler, zuordnen, zuordnung_pruefen
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
    <key>.<name>.test.json daneben, die danach gespeichert sind). Ungültige Modelle, fehlschlagende Testfälle:
    alle Fehler, Exit-Code 1. Routing und Rollenzuordnung werden geprüft, wie sie gelten (Datenbank oder Datei)."""
    ordner = pfad or current_app.config.get("PROCESSES_PATH") or ROOT / "processes"
    ergebnisse, fehler = deploy_pfad(ordner, von=von, vorher=partial(vor_deploy, von=von))
    for e in ergebnisse:
        zustand = "neu deployt" if e.neu else "unverändert"
        click.echo(f"{e.key}: Version {e.version} ({zustand}) – {e.datei}")
        for warnung in e.warnungen:
            click.echo(f"  {warnung}", err=True)
    meldungen = [str(f) for f in fehler]
    if pfad is None:  # the whole folder: the routing and role mapping in force must point to what exists
        bekannt = set(db.session.scalars(select(ProzessModellVersion.key).distinct()))
        meldungen += routing_pruefen(bekannt) + zuordnung_pruefen()
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


def _schluessel(paare: tuple[str, ...]) -> dict:
    """`--schluessel NAME=WERT` options as correlation keys; a WERT that is JSON (42, true) is taken as such."""
    schluessel = {}
    for paar in paare:
        name, gleich, text = paar.partition("=")
        if not gleich or not name.strip().isidentifier():
            raise click.ClickException(f"--schluessel „{paar}“: erwartet NAME=WERT, z. B. akte=AZ-1.")
        try:
            schluessel[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            schluessel[name.strip()] = text
    return schluessel


@processes.command("nachricht")
@click.argument("name")
@click.argument("vorgangsnummer", required=False)
@click.option("--daten", help="Nachrichtendaten als JSON-Objekt.")
@click.option("--schluessel", "paare", multiple=True, help="Korrelationsschlüssel NAME=WERT (Prozessvariable).")
@click.option("--alle", is_flag=True, help="An alle passenden Verfahren (sonst muss genau eines passen).")
def nachricht(name: str, vorgangsnummer: str | None, daten: str | None, paare: tuple[str, ...], alle: bool) -> None:
    """Stellt die Nachricht NAME zu: dem Verfahren eines Vorgangs und/oder denen mit passenden Schlüsseln."""
    if (
        vorgangsnummer is not None
        and db.session.scalars(select(Vorgang.id).filter_by(nummer=vorgangsnummer)).first() is None
    ):
        raise click.ClickException(f"Einen Vorgang „{vorgangsnummer}“ gibt es nicht.")
    try:
        anzahl = runner.nachricht_senden(
            name, _json_daten(daten), vorgangsnummer=vorgangsnummer, schluessel=_schluessel(paare), alle=alle
        )
    except (ValueError, runner.KeinEmpfaenger, runner.MehrereEmpfaenger) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Nachricht „{name}“ an {anzahl} Verfahren zugestellt.")


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
