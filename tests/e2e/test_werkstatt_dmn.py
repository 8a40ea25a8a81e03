"""The decision table editor (dmn-js) in a real Chromium: open the deployed Hundesteuer table, change a rule's
output in the table, save the draft (checked by the engine's DMN loader) and deploy it as version 2; axe-core finds
no serious or critical violation on the list and the editor page, and the CSP reports nothing."""

import re

import pytest
from playwright.sync_api import expect

from app.config import ROOT
from app.engine.registry import neueste_version
from app.extensions import db
from tests import factories
from tests.e2e.hilfen import anmelden, axe_pruefen

pytestmark = pytest.mark.browser

#: Names the source of a CSP violation in the console (Chromium's own message does not).
CSP_MELDEN = """document.addEventListener('securitypolicyviolation', e => console.error(
    'CSP ' + e.violatedDirective + ' ' + e.sourceFile + ':' + e.lineNumber + ' ' + e.sample))"""
EDITOR = ROOT / "app" / "static" / "vendor" / "werkstatt" / "dmn.js"


@pytest.fixture(scope="module")
def designer(live_app_modul):
    """The process designer `dora`."""
    if not EDITOR.exists():
        pytest.skip("DMN-Bundle fehlt (make assets)")
    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        db.session.commit()


def test_designer_edits_a_rule_and_deploys_the_table(live_app_modul, server_modul, designer, page):
    """Rule „Erster Hund“ 90 → 96 in the table, save, deploy: version 2 by dora with the new output."""
    page.add_init_script(CSP_MELDEN)
    anmelden(page, server_modul, "dora")
    page.goto(server_modul.url + "/werkstatt/")
    page.get_by_role("link", name="Entscheidungstabellen").click()
    axe_pruefen(page, "Entscheidungstabellen")
    page.get_by_role("link", name="hundesteuer_satz").click()
    page.wait_for_selector("#dmn.geladen")
    expect(page.locator("#dmn-pruefung-stand")).to_have_text(re.compile("Keine Fehler"))
    axe_pruefen(page, "DMN-Editor")

    zelle = page.locator("td[data-element-id='r3_o']")
    expect(zelle).to_have_text("90")
    zelle.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("96")
    expect(zelle.get_by_role("textbox")).to_have_text("96")
    page.locator("#dmn-kommentar").fill("Satz für den ersten Hund erhöht")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator("#dmn-status")).to_have_text(re.compile("Entwurf gespeichert"))
    expect(page.locator("#dmn-deployen")).to_be_enabled()
    page.locator("#dmn-deployen").click()
    expect(page.locator("body")).to_contain_text("hundesteuer_satz Version 2")
    with live_app_modul.app_context():
        version = neueste_version("dmn:hundesteuer_satz")
        assert version.version == 2 and version.deployed_von == "dora"
        assert "<text>96</text>" in db.session.get(type(version), version.id).xml
    assert page.konsolenfehler == [], "\n".join(f[:300] for f in page.konsolenfehler)
