"""The Vorgang page and the task page in a real browser (issue 17, defect 7): the application data, the open task
and the actions together on a wide screen; long free text folded; axe-clean at 1366 px and 390 px."""

import random

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

BREIT = {"width": 1366, "height": 768}
TELEFON = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def akte(live_app_modul) -> dict:
    """A Gewerbeanmeldung with simulated, labelled form data (3 KB free text) and its procedure running."""
    from app.engine import runner
    from app.engine.aufgaben import offene_aufgaben
    from app.intake.simulation import beschriftete_felder, formular_werte

    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        felder = beschriftete_felder("gewerbeanmeldung", formular_werte("gewerbeanmeldung", random.Random(5)))
        v = factories.vorgang(
            amt,
            formular_id="gewerbeanmeldung",
            formulardaten=[f.to_dict() for f in felder],
            antragsteller={"vorname": "Anna", "nachname": "Schäfer"},
        )
        db.session.flush()
        runner.start(v)
        db.session.commit()
        return {"nummer": v.nummer, "task_id": offene_aufgaben(vorgang=v)[0].task_id}


def _anmelden(page, server) -> None:
    """Log in as sabine."""
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill("sabine")
    page.locator("input[name=password]").fill(factories.PASSWORT)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def _schwere_verstoesse(page) -> list[str]:
    """axe-core's serious and critical findings (folded sections opened first)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    ergebnis = Axe().run(page)
    return [v["id"] for v in ergebnis.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_wide_screen_shows_application_task_and_actions_side_by_side(server_modul, akte, page):
    """At 1366 px the open task sits beside the form data on the first screen; the actions follow it."""
    page.set_viewport_size(BREIT)
    _anmelden(page, server_modul)
    page.goto(f"{server_modul.url}/vorgang/{akte['nummer']}")
    daten = page.locator("section[aria-labelledby=formular-titel]").bounding_box()
    aufgabe = page.locator("#aufgaben").bounding_box()
    assert aufgabe["x"] > daten["x"] + daten["width"] - 1, (daten, aufgabe)
    assert aufgabe["y"] < BREIT["height"] and daten["y"] < BREIT["height"]
    aktionen = page.locator("#aktionen").bounding_box()
    assert abs(aktionen["x"] - aufgabe["x"]) < 2
    assert page.evaluate("document.documentElement.scrollHeight") < 4000


def test_long_free_text_is_folded_until_asked_for(server_modul, akte, page):
    """The 3 KB „Bemerkungen“ show their beginning; the whole text opens with one click."""
    page.set_viewport_size(BREIT)
    _anmelden(page, server_modul)
    page.goto(f"{server_modul.url}/vorgang/{akte['nummer']}")
    voll = page.locator(".langtext-voll").first
    assert not voll.is_visible()
    assert page.locator(".langtext-anfang").first.inner_text().startswith("Ergänzende Angaben")
    page.get_by_text("Ganzen Text anzeigen").first.click()
    assert voll.is_visible()


def test_task_page_shows_the_application_data_beside_the_form(server_modul, akte, page):
    """The task form is no longer alone: the labelled form data are next to it."""
    page.set_viewport_size(BREIT)
    _anmelden(page, server_modul)
    page.goto(f"{server_modul.url}/vorgang/{akte['nummer']}/aufgabe/{akte['task_id']}")
    assert page.get_by_role("heading", name="Antragsdaten").is_visible()
    assert page.get_by_text("Angemeldete Tätigkeit").is_visible()


@pytest.mark.parametrize("groesse", [BREIT, TELEFON], ids=["1366", "390"])
@pytest.mark.parametrize("art", ["vorgang", "aufgabe"])
def test_vorgang_and_task_pages_have_no_serious_accessibility_findings(server_modul, akte, page, groesse, art):
    """axe-core: 0 serious/critical at both sizes; no sideways scrolling of the page."""
    page.set_viewport_size(groesse)
    _anmelden(page, server_modul)
    pfad = f"/vorgang/{akte['nummer']}" + (f"/aufgabe/{akte['task_id']}" if art == "aufgabe" else "")
    page.goto(server_modul.url + pfad)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _schwere_verstoesse(page) == []
