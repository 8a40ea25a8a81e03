"""The whole way of issue 15 in a real Chromium: a process designer builds a new procedure in the browser, routes
a form id to it on the routing page and deploys it; an application for that form id arrives through the intake's
HTTP endpoint (OZG-Cloud contract) and starts the new procedure; a caseworker finds it in her tasks and completes
it. axe-core checks the routing, role mapping and label pages."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from adapters.ozgcloud import ozgcloud_json_bauen
from app.config import ROOT
from app.engine.models import ProzessInstanz
from app.extensions import db
from app.intake.simulation import multipart_bauen
from app.intake.zugang import quelle_anlegen
from app.vorgaenge.models import Vorgang
from tests import factories
from tests.e2e.hilfen import anmelden, axe_pruefen

pytestmark = pytest.mark.browser

MODELER = ROOT / "app" / "static" / "vendor" / "werkstatt" / "modeler.js"


@pytest.fixture
def welt(live_app):
    """An OE with the designer `dora` and the caseworker `sabine`, and an OZG-Cloud source; returns its token."""
    if not MODELER.exists():
        pytest.skip("Modeler-Bundle fehlt (make assets)")
    with live_app.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        _quelle, token = quelle_anlegen("amt24", "ozgcloud")
        db.session.commit()
        return token


def _antrag_senden(server, token: str) -> dict:
    """An application for the form id `sondernutzung-antrag` through POST /antrag, as a form service sends it."""
    form_data = ozgcloud_json_bauen(
        "tx-sondernutzung-1",
        {"antragsteller": {"vorname": "Erika", "nachname": "Mustermann"}, "flaeche": 12},
        zustaendige_stelle="197008",
        formular_id="sondernutzung-antrag",
        formular_name="Antrag auf Sondernutzung",
    )
    body, typ = multipart_bauen([("formData", None, "application/json", form_data)])
    anfrage = urllib.request.Request(
        server.url + "/antrag", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": typ}
    )
    with urllib.request.urlopen(anfrage, timeout=30) as antwort:  # noqa: S310 — the local test server
        assert antwort.status == 201
        return json.loads(antwort.read())


def test_designer_builds_routes_deploys_and_a_caseworker_completes_an_application(
    live_app, server, welt, page, browser
):
    """Build → route in the browser → deploy → intake → inbox → task completed, procedure finished."""
    anmelden(page, server, "dora")
    page.goto(server.url + "/werkstatt/")
    page.get_by_role("link", name="Neues Verfahren").click()
    page.get_by_label("Name").fill("Sondernutzung")
    page.get_by_label("Prozess-ID").fill("sondernutzung")
    page.get_by_role("button", name="Anlegen und im Modeler öffnen").click()
    page.wait_for_selector("#werkstatt.geladen")
    page.evaluate(
        """() => { const m = window.amtsflussModeler, r = m.get('elementRegistry');
            m.get('modeling').updateProperties(r.get('antrag_pruefen'), {name: 'Sondernutzung prüfen'}); }"""
    )
    page.get_by_label("Kommentar zum Entwurf").fill("Prüfschritt benannt")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator("#werkstatt-status")).to_contain_text("Entwurf gespeichert (Nr.")

    # route the form id to the new procedure, in the browser
    page.goto(server.url + "/werkstatt/")
    page.get_by_role("link", name="Routing der Anträge").click()
    axe_pruefen(page, "Routing")
    page.get_by_label("Art").select_option("formular")
    page.get_by_label("Formular-ID oder LeiKa-ID").fill("sondernutzung-antrag")
    page.get_by_label("Verfahren (Prozess-ID)").fill("sondernutzung")
    page.get_by_role("button", name="Zuordnen").click()
    expect(page.locator("body")).to_contain_text("Die Zuordnung gilt für Anträge, die ab jetzt eingehen.")
    expect(page.locator("table")).to_contain_text("sondernutzung-antrag")
    expect(page.locator(".historie")).to_contain_text("dora: Zuordnung angelegt „Formular-ID sondernutzung-antrag“")
    axe_pruefen(page, "Routing mit Eintrag")
    for link, name in (("Rollenzuordnung", "Rollenzuordnung"), ("Beschriftungen der Formulare", "Beschriftungen")):
        page.goto(server.url + "/werkstatt/")
        page.get_by_role("link", name=link).click()
        axe_pruefen(page, name)
    page.get_by_role("link", name="hundesteuer-anmeldung", exact=True).click()
    axe_pruefen(page, "Beschriftungen eines Formulars")

    # deploy the saved draft
    page.goto(server.url + "/werkstatt/verfahren/sondernutzung")
    page.get_by_role("button", name="Als nächste Version bereitstellen").click()
    expect(page.locator("body")).to_contain_text("Version 1 von „Sondernutzung“ ist bereitgestellt.")
    assert page.konsolenfehler == []

    # the application arrives through the intake endpoint and runs the new procedure
    antwort = _antrag_senden(server, welt)
    nummer = antwort["vorgang"]["vorgangNummer"]
    with live_app.app_context():
        vorgang = db.session.scalars(db.select(Vorgang).filter_by(nummer=nummer)).one()
        instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()
        assert instanz.modell_version.key == "sondernutzung"

    # the caseworker sees the task in her inbox and completes it
    kontext = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    sachbearbeitung = kontext.new_page()
    try:
        anmelden(sachbearbeitung, server, "sabine")
        sachbearbeitung.goto(server.url + "/aufgaben")
        sachbearbeitung.get_by_role("link", name=re.compile("Für meine Rollen offen")).click()
        expect(sachbearbeitung.locator("main")).to_contain_text(nummer)
        sachbearbeitung.get_by_role("link", name="Sondernutzung prüfen").first.click()
        sachbearbeitung.get_by_label("Bemerkung").fill("Fläche passt")
        sachbearbeitung.get_by_role("button", name=re.compile("Aufgabe erledigen")).click()
        sachbearbeitung.wait_for_url(f"**/vorgang/{nummer}**")
        expect(sachbearbeitung.locator("#historie")).to_contain_text("Aufgabe erledigt")
    finally:
        kontext.close()
    with live_app.app_context():
        instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()
        assert instanz.zustand_art == "beendet"
