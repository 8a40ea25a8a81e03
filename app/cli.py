"""Command-line tools: `flask --app wsgi create-oe | create-user | seed-demo | rebuild-counts`."""

import getpass

import click
from flask import Flask

from app.auth.models import ROLLEN
from app.auth.service import benutzer_anlegen, oe_anlegen, oe_finden
from app.demo import demo_anlegen
from app.extensions import db
from app.vorgaenge.zaehler import neu_aufbauen


def init_app(app: Flask) -> None:
    """Register the commands of the foundation."""
    app.cli.add_command(create_oe)
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    app.cli.add_command(rebuild_counts)


@click.command("create-oe")
@click.option("--name", required=True, help="Name, z. B. 'Ordnungsamt'")
@click.option("--kennung", required=True, help="Kennung der Behörde, z. B. 197008")
@click.option("--prefix", required=True, help="Fünfstelliger Präfix der Vorgangsnummern, z. B. 31005")
def create_oe(name: str, kennung: str, prefix: str) -> None:
    """Create an Organisationseinheit."""
    try:
        oe = oe_anlegen(name, kennung, prefix)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Organisationseinheit {oe.name} ({oe.kennung}) angelegt.")


@click.command("create-user")
@click.option("--login", required=True)
@click.option("--name", required=True, help="Vor- und Nachname")
@click.option("--email", default="")
@click.option("--rolle", "rollen", multiple=True, type=click.Choice(ROLLEN), required=True)
@click.option("--oe", "oes", multiple=True, required=True, help="Kennung oder Name einer OE (mehrfach möglich)")
@click.option("--password", default=None, help="Ohne Angabe wird interaktiv gefragt.")
def create_user(login, name, email, rollen, oes, password) -> None:
    """Create a user with roles and OE memberships."""
    gefundene = []
    for kennung in oes:
        oe = oe_finden(kennung)
        if oe is None:
            raise click.ClickException(f"Organisationseinheit {kennung!r} gibt es nicht.")
        gefundene.append(oe)
    if password is None:
        password = getpass.getpass("Passwort: ")
    try:
        benutzer_anlegen(login, name, password, list(rollen), gefundene, email=email)
    except ValueError as error:  # unknown role or a password that breaks the policy
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Benutzer {login} angelegt.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create a demo OE, one user per role (passwords printed once) and realistic Vorgänge."""
    ergebnis = demo_anlegen()
    if ergebnis is None:
        click.echo("Demo-Daten sind bereits vorhanden.")
        return
    click.echo(f"{ergebnis.anzahl_vorgaenge} Demo-Vorgänge angelegt. Anmeldedaten (werden nur jetzt angezeigt):")
    for login, passwort, rolle in ergebnis.zugaenge:
        click.echo(f"  {login:<12} {passwort:<20} ({rolle})")


@click.command("rebuild-counts")
def rebuild_counts() -> None:
    """Recompute the dashboard's counts from the Vorgänge (after an upgrade or a bulk load; while no one writes)."""
    zeilen = neu_aufbauen()
    db.session.commit()
    click.echo(f"Zähler der Übersicht neu aufgebaut: {zeilen} Zeilen.")
