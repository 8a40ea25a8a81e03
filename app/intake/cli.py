"""`flask --app wsgi intake …`: sources, routing, Form-Solutions Mandanten, replay and simulation."""

import base64
import json
import random
import time
from pathlib import Path

import click
import httpx
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.service import oe_finden
from app.extensions import db
from app.intake.annahme import Abgelehnt, annehmen
from app.intake.models import ARTEN, ROUTING_ARTEN, FormSolutionsMandant, IntakeQuelle, IntakeRouting
from app.intake.simulation import intelliform_lieferung, ozg_lieferung
from app.intake.zugang import QuellenFehler, neues_geheimnis, quelle_anlegen
from app.organisation.models import Organisationseinheit


@click.group("intake")
def intake() -> None:
    """Eingänge von Formulardiensten: Quellen, Routing, Replay, Simulation."""


@intake.command("add-source")
@click.option("--name", required=True, help="Name der Quelle (= Eingang.quelle), z. B. 'amt24'")
@click.option("--art", type=click.Choice(ARTEN), required=True)
@click.option("--user", "benutzername", default=None, help="Benutzername für HTTP Basic; ohne: Bearer-Token")
@click.option("--password", default=None, help="Passwort für HTTP Basic; ohne Angabe wird eines erzeugt")
@click.option("--ip", "ips", multiple=True, help="Erlaubte Adresse oder Netz (CIDR), mehrfach möglich")
@with_appcontext
def add_source(name, art, benutzername, password, ips) -> None:
    """Create a source; prints its token or password once."""
    try:
        quelle, geheimnis = quelle_anlegen(
            name, art, benutzername=benutzername, passwort=password, ip_erlaubt=list(ips)
        )
    except QuellenFehler as fehler:
        raise click.ClickException(str(fehler)) from None
    db.session.commit()
    if quelle.benutzername:
        click.echo(f"Quelle {quelle.name} ({art}) angelegt. HTTP Basic: Benutzer {quelle.benutzername}")
        click.echo(f"Passwort (wird nur jetzt angezeigt): {geheimnis}")
    else:
        click.echo(f"Quelle {quelle.name} ({art}) angelegt.")
        click.echo(f"Bearer-Token (wird nur jetzt angezeigt): {geheimnis}")


@intake.command("add-route")
@click.option("--art", type=click.Choice(ROUTING_ARTEN), required=True)
@click.option("--key", "schluessel", default="*", help="zuständige Stelle, Kunde oder Mandant (Standard: *)")
@click.option("--oe", required=True, help="Kennung oder Name der Organisationseinheit")
@with_appcontext
def add_route(art, schluessel, oe) -> None:
    """Map a routing key to an OE (``--art standard`` sets the default OE)."""
    ziel = oe_finden(oe)
    if ziel is None:
        raise click.ClickException(f"Organisationseinheit {oe!r} gibt es nicht.")
    schluessel = "*" if art == "standard" else schluessel
    zeile = db.session.scalars(
        select(IntakeRouting).where(IntakeRouting.art == art, IntakeRouting.schluessel == schluessel)
    ).first()
    if zeile is None:
        db.session.add(IntakeRouting(art=art, schluessel=schluessel, oe_id=ziel.id))
    else:
        zeile.oe_id = ziel.id
    db.session.commit()
    click.echo(f"Routing {art}={schluessel!r} → {ziel.name} gespeichert.")


@intake.command("add-mandant")
@click.option("--source", "quelle_name", required=True, help="Name einer Quelle der Art formsolutions")
@click.option("--base-url", required=True, help="Server-URL, z. B. https://formserver.example")
@click.option("--mandant", required=True)
@click.option("--api-key", required=True)
@click.option("--form", "formulare", multiple=True, required=True, help="Formularnummer, mehrfach möglich")
@click.option("--interval", default=60, show_default=True, help="Abrufintervall in Sekunden")
@click.option("--option", "optionen", multiple=True, help="KEY=JSON, z. B. status_methode='\"POST\"'")
@with_appcontext
def add_mandant(quelle_name, base_url, mandant, api_key, formulare, interval, optionen) -> None:
    """Configure a Form-Solutions Mandant to poll (the API key is stored; see docs/intake.md)."""
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == quelle_name)).first()
    if quelle is None or quelle.art != "formsolutions":
        raise click.ClickException(f"Keine Form-Solutions-Quelle {quelle_name!r}.")
    werte = {}
    for eintrag in optionen:
        schluessel, _, roh = eintrag.partition("=")
        try:
            werte[schluessel] = json.loads(roh)
        except ValueError:
            werte[schluessel] = roh
    db.session.add(
        FormSolutionsMandant(
            quelle_id=quelle.id,
            base_url=base_url.rstrip("/"),
            mandant=mandant,
            api_key=api_key,
            formularnummern=list(formulare),
            optionen=werte,
            intervall_sekunden=interval,
        )
    )
    db.session.commit()
    click.echo(f"Mandant {mandant} ({', '.join(formulare)}) wird alle {interval} s abgerufen.")


def _content_type_raten(art: str, inhalt: bytes) -> str:
    """Content type of a saved payload: multipart boundary from the first line, a bare OZG-Cloud formData JSON
    (how such applications are usually saved), XML or JSON by kind."""
    if art == "ozgcloud":
        erste = inhalt.split(b"\r\n", 1)[0].strip()
        if erste.startswith(b"--"):
            return f"multipart/form-data; boundary={erste[2:].decode('ascii', 'replace')}"
        if inhalt.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return "application/json"
    return {"intelliform": "text/xml; charset=utf-8", "formsolutions": "application/json"}.get(art, "")


@intake.command("replay")
@click.argument("datei", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "quelle_name", required=True, help="Name der Quelle, als die die Lieferung gilt")
@click.option("--content-type", default=None, help="Ohne Angabe aus dem Inhalt geraten")
@with_appcontext
def replay(datei: Path, quelle_name: str, content_type: str | None) -> None:
    """Feed a saved payload through the intake service as if the source had delivered it."""

    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == quelle_name)).first()
    if quelle is None:
        raise click.ClickException(f"Keine Quelle {quelle_name!r}.")
    inhalt = datei.read_bytes()
    content_type = content_type or _content_type_raten(quelle.art, inhalt)
    metadaten = {"replay": str(datei)}
    if quelle.art == "ozgcloud" and content_type == "application/json":
        metadaten["nur_form_data"] = True  # parsed as the formData part alone, now and when re-processed
    try:
        annahme = annehmen(quelle, inhalt, content_type, metadaten)
    except Abgelehnt as abgelehnt:
        raise click.ClickException(f"Abgelehnt, nichts gespeichert: {abgelehnt.fehler}") from None
    if annahme.vorgang is not None:
        wie = "angelegt" if annahme.neu else "bereits vorhanden"
        click.echo(f"Eingang {annahme.eingang_id}: Vorgang {annahme.vorgang.nummer} {wie}.")
    else:
        raise click.ClickException(
            f"Eingang {annahme.eingang_id} {annahme.zustand}: {annahme.fehler or 'noch in Verarbeitung'}"
        )


def _simulationsquelle(name: str, art: str, basic: bool) -> tuple[str, str]:
    """(Authorization header, source name) of a simulation source, created or given a new secret."""
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == name)).first()
    if quelle is None:
        quelle, geheimnis = quelle_anlegen(name, art, benutzername=name if basic else None)
    else:
        geheimnis = neues_geheimnis(quelle)
        quelle.aktiv = True
    db.session.commit()
    if basic:
        return "Basic " + base64.b64encode(f"{quelle.benutzername}:{geheimnis}".encode()).decode(), name
    return f"Bearer {geheimnis}", name


@intake.command("simulate")
@click.option("--count", default=10, show_default=True, help="Anzahl Anträge")
@click.option("--url", default=None, help="Basis-URL eines laufenden Servers; ohne: dieselbe App im Prozess")
@click.option("--stelle", default=None, help="zuständige Stelle (Standard: Kennung der ersten OE)")
@click.option("--seed", default=None, type=int)
@click.option("--anhang-kb", default=100, show_default=True)
@with_appcontext
def simulate(count: int, url: str | None, stelle: str | None, seed: int | None, anhang_kb: int) -> None:
    """Deliver realistic applications of the shipped forms through the real HTTP endpoints (half OZG-Cloud
    multipart, half intelliForm SOAP), as sources ``simulation-ozg`` and ``simulation-if``."""
    if stelle is None:
        erste = db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.id)).first()
        stelle = erste.kennung if erste else None
    ozg_auth, _ = _simulationsquelle("simulation-ozg", "ozgcloud", basic=False)
    if_auth, _ = _simulationsquelle("simulation-if", "intelliform", basic=True)
    rnd = random.Random(seed)
    client = None if url else current_app.test_client()
    ok = fehler = 0
    start = time.perf_counter()
    for i in range(count):
        if i % 2 == 0:
            body, typ = ozg_lieferung(rnd, zustaendige_stelle=stelle, anhang_bytes=anhang_kb * 1024)
            pfad, auth = "/antrag", ozg_auth
        else:
            body, typ = (
                intelliform_lieferung(rnd, zustaendige_stelle=stelle, anhang_bytes=anhang_kb * 1024),
                "text/xml; charset=utf-8",
            )
            pfad, auth = "/intelliform/deposit", if_auth
        status, text = _senden(client, url, pfad, body, typ, auth)
        if status in (200, 201):
            ok += 1
        else:
            fehler += 1
            click.echo(f"{pfad}: HTTP {status}: {text[:300]}", err=True)
    dauer = time.perf_counter() - start
    click.echo(f"{ok} Anträge angenommen, {fehler} abgelehnt, in {dauer:.1f} s.")
    if fehler:
        raise SystemExit(1)


def _senden(client, url, pfad, body, typ, auth) -> tuple[int, str]:
    """POST one delivery, through the in-process test client or over the network."""
    kopf = {"Content-Type": typ, "Authorization": auth}
    if client is not None:
        antwort = client.post(pfad, data=body, headers=kopf)
        return antwort.status_code, antwort.get_data(as_text=True)
    antwort = httpx.post(url.rstrip("/") + pfad, content=body, headers=kopf, timeout=60)
    return antwort.status_code, antwort.text
