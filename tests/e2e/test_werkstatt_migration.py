"""The workbench's migration page and test-case coverage in a real Chromium: choose versions and an instance, see
the preview, confirm; the coverage diagram marks elements and sequence flows; axe-core finds no serious or critical
violation (the canvas excepted)."""

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.registry import deploy_xml
from app.extensions import db
from app.werkstatt import entwuerfe, testfaelle
from tests import factories

pytestmark = pytest.mark.browser

HUNDESTEUER = (ROOT / "processes" / "hundesteuer.bpmn").read_bytes()
ANNEHMEN = {"element": "anmeldung_pruefen", "daten": {"entscheidung": "annehmen"}}


@pytest.fixture
def stand(live_app):
    """Hundesteuer version 1 with a running Vorgang at „Anmeldung prüfen“, version 2 (a renamed task), a draft and
    a saved test case; the designer dora."""
    from tests.engine.conftest import neuer_vorgang

    with live_app.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        db.session.commit()
        vorgang = neuer_vorgang(amt, formular_id="hundesteuer")
        deploy_xml(HUNDESTEUER.replace('name="Anmeldung prüfen"'.encode(), b'name="Anmeldung sichten"'), "h.bpmn")
        db.session.commit()
        dora = db.session.scalars(db.select(Benutzer).filter_by(login="dora")).one()
        entwuerfe.speichern(HUNDESTEUER, dora, "Entwurf")
        inhalt = {"startdaten": {}, "schritte": [ANNEHMEN], "erwartet": {"pfad": [], "beendet": False}}
        testfaelle.testfall_speichern("hundesteuer", "Annahme", inhalt, dora)
        return vorgang.nummer


def _axe(page, name: str, ohne: list | None = None) -> None:
    kontext = {"exclude": [[s] for s in ohne]} if ohne else None
    schwer = [
        v for v in Axe().run(page, context=kontext).response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert schwer == [], f"{name}: " + "; ".join(f"{v['id']}: {v['help']}" for v in schwer)


def test_designer_previews_and_migrates_an_instance_and_sees_coverage(server, stand, page):
    """Migration: tick the Vorgang, preview shows the mapping, confirm → migrated. Coverage marks flows too."""
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill("dora")
    page.locator("input[name=password]").fill(factories.PASSWORT)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$|.*/\?.*"))
    page.goto(server.url + "/werkstatt/verfahren/hundesteuer")
    page.wait_for_selector("#diagramm.geladen")
    expect(page.locator("#diagramm-status")).to_contain_text("Sequenzflüssen")
    assert page.locator(".djs-connection.erledigt").count() == 3
    assert page.locator(".djs-shape.erledigt").count() == 4
    _axe(page, "Verfahren mit Abdeckung", ["#diagramm"])
    page.get_by_role("link", name="Migration").click()
    expect(page.get_by_label("Von Version")).to_have_value("1")
    page.get_by_label(re.compile(stand)).check()
    page.get_by_role("button", name="Vorschau").click()
    expect(page.locator("#vorschau-summe")).to_have_text("1 von 1 Instanzen lassen sich migrieren.")
    expect(page.locator("table")).to_contain_text("anmeldung_pruefen")
    _axe(page, "Migrationsvorschau")
    page.get_by_role("button", name="Migration bestätigen").click()
    expect(page.locator("#migration-summe")).to_have_text("1 von 1 Instanzen auf Version 2 migriert.")
    _axe(page, "Migration ausgeführt")
    assert page.konsolenfehler == [], json.dumps(page.konsolenfehler)
