"""Administrators manage sources from the CLI and the browser; operators replay and simulate deliveries."""

import random
import re

from sqlalchemy import select

from adapters.ozgcloud import ozgcloud_json_bauen
from app.extensions import db
from app.intake.models import Eingang, IntakeQuelle, IntakeRouting
from app.intake.simulation import intelliform_lieferung, ozg_lieferung
from app.vorgaenge.models import Vorgang
from tests.factories import benutzer
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge


def test_add_source_prints_the_token_once_and_it_authenticates(client, runner, intake):
    """`intake add-source` creates a bearer-token source; only the hash is stored."""
    ergebnis = runner.invoke(args=["intake", "add-source", "--name", "dataport", "--art", "ozgcloud"])
    assert ergebnis.exit_code == 0, ergebnis.output
    token = re.search(r"Bearer-Token \(wird nur jetzt angezeigt\): (\S+)", ergebnis.output).group(1)
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == "dataport")).one()
    assert token not in (quelle.token_hash or "")
    antwort = client.post("/antrag", headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"})
    assert antwort.status_code == 400  # authenticated; the body is what is wrong
    doppelt = runner.invoke(args=["intake", "add-source", "--name", "dataport", "--art", "ozgcloud"])
    assert doppelt.exit_code != 0 and "gibt es schon" in doppelt.output


def test_replay_feeds_a_saved_payload_and_is_idempotent(runner, intake, tmp_path):
    """`intake replay FILE --source …` goes through the same service; a second replay finds the Vorgang."""
    datei = tmp_path / "deposit.xml"
    datei.write_bytes(intelliform_lieferung(random.Random(21), anhang_bytes=1000))
    erste = runner.invoke(args=["intake", "replay", str(datei), "--source", "intelliform-lhm"])
    assert erste.exit_code == 0 and "angelegt" in erste.output, erste.output
    zweite = runner.invoke(args=["intake", "replay", str(datei), "--source", "intelliform-lhm"])
    assert zweite.exit_code == 0 and "bereits vorhanden" in zweite.output
    assert anzahl_vorgaenge() == 1


def test_simulate_delivers_realistic_applications_through_the_endpoints(runner, intake):
    """`intake simulate --count 4` posts OZG multipart and SOAP deposits; each becomes a Vorgang."""
    ergebnis = runner.invoke(args=["intake", "simulate", "--count", "4", "--seed", "1", "--anhang-kb", "5"])
    assert ergebnis.exit_code == 0, ergebnis.output
    assert "4 Anträge angenommen, 0 abgelehnt" in ergebnis.output
    assert (anzahl_eingaenge(), anzahl_vorgaenge()) == (4, 4)


def test_administrator_creates_a_source_in_the_browser_and_sees_the_secret_once(client, auth, intake):
    """The Formulardienste page creates an HTTP-Basic source and shows its password on the answer only."""
    auth.login("anton")
    assert client.get("/admin/intake/quellen").status_code == 200
    antwort = client.post(
        "/admin/intake/quellen",
        data={
            "quelle-name": "formserver-x",
            "quelle-art": "intelliform",
            "quelle-benutzername": "fsx",
            "quelle-ip_erlaubt": "",
        },
    )
    seite = antwort.get_data(as_text=True)
    assert antwort.status_code == 200 and "werden nur jetzt angezeigt" in seite
    assert "Passwort <code>" in seite
    assert "werden nur jetzt angezeigt" not in client.get("/admin/intake/quellen").get_data(as_text=True)
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == "formserver-x")).one()
    assert quelle.passwort_hash.startswith("$argon2")
    standard = client.post(
        "/admin/intake/routing",
        data={"routing-art": "standard", "routing-schluessel": "x", "routing-oe_id": str(intake.ordnungsamt.id)},
    )
    assert standard.status_code == 302
    zeile = db.session.scalars(select(IntakeRouting).where(IntakeRouting.art == "standard")).one()
    assert (zeile.schluessel, zeile.oe_id) == ("*", intake.ordnungsamt.id)


def test_intake_administration_is_for_administrators_only(client, auth, intake):
    """A caseworker gets 403 on every intake admin page."""
    benutzer("sachb", "Sach Bearbeiter", ["sachbearbeitung"], [intake.ordnungsamt])
    db.session.commit()
    auth.login("sachb")
    for url in ("/admin/eingaenge", "/admin/intake/quellen"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/intake/routing", data={}).status_code == 403


def test_an_oe_administrator_sees_only_eingaenge_of_his_oes_and_no_installation_settings(client, auth, intake):
    """Administration is scoped: an Eingang whose Vorgang is in another OE is not found; sources and routing are
    for system administration (docs/berechtigungen.md)."""
    body, typ = ozg_lieferung(random.Random(3), transaktions_id="tx-scope")
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 201
    eingang = db.session.scalars(select(Eingang)).one()
    vorgang = db.session.get(Vorgang, eingang.vorgang_id)
    eigene, fremde = (
        (intake.ordnungsamt, intake.buergerbuero)
        if vorgang.oe_id == intake.ordnungsamt.id
        else (intake.buergerbuero, intake.ordnungsamt)
    )
    benutzer("olga", "Olga Amt", ["administration"], [fremde])
    benutzer("bernd", "Bernd Buero", ["administration"], [eigene])
    db.session.commit()

    auth.login("olga")
    assert f"/admin/eingaenge/{eingang.id}" not in client.get("/admin/eingaenge?zustand=verarbeitet").text
    assert client.get(f"/admin/eingaenge/{eingang.id}").status_code == 404
    assert client.get(f"/admin/eingaenge/{eingang.id}/roh").status_code == 404
    assert client.get("/admin/intake/quellen").status_code == 403
    auth.logout()

    auth.login("bernd")
    assert f"/admin/eingaenge/{eingang.id}" in client.get("/admin/eingaenge?zustand=verarbeitet").text
    assert client.get(f"/admin/eingaenge/{eingang.id}/roh").status_code == 200


def test_replay_accepts_a_bare_ozg_cloud_form_data_json(runner, intake, tmp_path):
    """A saved OZG-Cloud application is usually just its formData JSON: replay takes it as it is."""
    datei = tmp_path / "antrag.json"
    datei.write_bytes(
        b"\n"
        + ozgcloud_json_bauen(
            "tx-replay-json", {"vorname": "Erika", "nachname": "Mustermann"}, zustaendige_stelle="197008"
        )
    )
    erste = runner.invoke(args=["intake", "replay", str(datei), "--source", "amt24"])
    assert erste.exit_code == 0 and "angelegt" in erste.output, erste.output
    eingang = db.session.scalars(select(Eingang)).one()
    assert eingang.inhalt == datei.read_bytes() and eingang.content_type == "application/json"
    zweite = runner.invoke(args=["intake", "replay", str(datei), "--source", "amt24"])
    assert zweite.exit_code == 0 and "bereits vorhanden" in zweite.output
    assert anzahl_vorgaenge() == 1
