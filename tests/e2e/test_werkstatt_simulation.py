"""Token simulation in the workbench's modeler, in a real Chromium: switch it on, start a token at the start
event, watch it pass the first user task, all without a CSP violation (its inline colours become CSSOM styles)."""

import pytest
from playwright.sync_api import expect

from app.config import ROOT
from app.extensions import db
from tests import factories
from tests.e2e.hilfen import anmelden

pytestmark = pytest.mark.browser

MODELER = ROOT / "app" / "static" / "vendor" / "werkstatt" / "modeler.js"


@pytest.fixture(scope="module")
def designer(live_app_modul):
    """The process designer `dora`."""
    if not MODELER.exists():
        pytest.skip("Modeler-Bundle fehlt (make assets)")
    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        db.session.commit()


def test_token_moves_through_the_diagram_without_csp_violation(server_modul, designer, page):
    """Toggle → play on the start event → the token leaves it, the user task is logged and counted."""
    anmelden(page, server_modul, "dora")
    page.goto(server_modul.url + "/werkstatt/verfahren/hundesteuer/modeler?version=1")
    page.wait_for_selector("#werkstatt.geladen")
    page.locator(".bts-toggle-mode").click()
    expect(page.locator("#werkstatt-canvas .simulation")).to_have_count(1)
    # the start event's context pad starts a token
    start = page.locator(".djs-overlays[data-container-id='start'] .bts-context-pad:not(.hidden)")
    start.first.click()
    # the token is animated on the canvas, then shown waiting or passed in the log
    page.wait_for_selector(".bts-token", state="attached")
    expect(page.locator(".bts-log .bts-entry").filter(has_text="Anmeldung prüfen").first).to_be_attached(timeout=10_000)
    # scope colours arrive as CSSOM styles, never as style attributes from markup
    farbig = page.locator("[data-amtsfluss-stil]")
    assert farbig.count() == 0
    assert page.konsolenfehler == [], page.konsolenfehler
