"""The Vorgangsliste in a real browser at 1366 px and on a 390 px phone (issue 17, defect 6)."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

BREIT = {"width": 1366, "height": 768}
TELEFON = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def nummern(live_app_modul) -> dict[str, str]:
    """30 Vorgänge with long form names, one with an overdue and one with a future Wiedervorlage."""
    from app.timeutil import heute
    from app.vorgaenge import aktionen
    from app.wiedervorlagen.service import wiedervorlage_anlegen

    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        sabine = factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        vorgaenge = [
            factories.vorgang(
                amt,
                "Antrag auf Genehmigung zur Fällung geschützter Bäume",
                antragsteller_name=f"Maximiliane Musterfrau-Schönberg {i}",
            )
            for i in range(30)
        ]
        db.session.flush()
        for v in vorgaenge[-3:]:
            aktionen.zuweisen(v, sabine, sabine)
            aktionen.aktenzeichen_setzen(v, sabine)
        ueberfaellig, spaeter = vorgaenge[-1], vorgaenge[-2]
        wiedervorlage_anlegen(ueberfaellig, "Unterlagen", heute() - timedelta(days=2), erstellt_von=sabine)
        wiedervorlage_anlegen(spaeter, "Rückruf", heute() + timedelta(days=5), erstellt_von=sabine)
        db.session.commit()
        return {"ueberfaellig": ueberfaellig.nummer, "spaeter": spaeter.nummer}


def _anmelden(page, server) -> None:
    """Log in as sabine."""
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill("sabine")
    page.locator("input[name=password]").fill(factories.PASSWORT)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def _schwere_verstoesse(page) -> list[str]:
    """axe-core's serious and critical findings."""
    ergebnis = Axe().run(page)
    return [v["id"] for v in ergebnis.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_at_1366_px_every_column_shows_many_rows_fit_and_overdue_dates_stand_out(server_modul, nummern, page):
    """No column is cut off, at least 12 rows fit on the first screen, an overdue Wiedervorlage is marked."""
    page.set_viewport_size(BREIT)
    _anmelden(page, server_modul)
    rahmen = page.locator(".tabellenrahmen")
    assert rahmen.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the table scrolls sideways"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    sichtbar = page.evaluate(
        "[...document.querySelectorAll('.vorgangsliste tbody tr')]"
        ".filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"
    )
    assert sichtbar >= 12, f"only {sichtbar} rows on the first screen"
    hoehen = page.evaluate(
        "[...document.querySelectorAll('.vorgangsliste tbody tr')].map(r => r.getBoundingClientRect().height)"
    )
    assert max(hoehen) < 60, hoehen
    zeile = page.locator("tr", has=page.get_by_role("link", name=nummern["ueberfaellig"]))
    assert zeile.locator(".marke-ueberfaellig").inner_text() == "überfällig"
    rot = zeile.locator("time.ueberfaellig").evaluate("e => getComputedStyle(e).color")
    assert rot == "rgb(163, 13, 13)"
    andere = page.locator("tr", has=page.get_by_role("link", name=nummern["spaeter"]))
    assert andere.locator(".marke-ueberfaellig").count() == 0
    assert _schwere_verstoesse(page) == []


def test_on_a_phone_the_list_comes_first_as_compact_cards(server_modul, nummern, page):
    """390 px: the first screen shows Vorgänge (not only navigation), each row a card with every value readable."""
    page.set_viewport_size(TELEFON)
    _anmelden(page, server_modul)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    erste = page.locator(".vorgangsliste tbody tr").first
    box = erste.bounding_box()
    assert box["y"] + box["height"] <= TELEFON["height"], box
    assert erste.evaluate("e => getComputedStyle(e).display") == "flex"
    assert page.locator(".vorgangsliste thead").evaluate("e => e.getBoundingClientRect().height") <= 1
    main_oben = page.locator("main").bounding_box()["y"]
    assert page.locator(".seitennavigation").bounding_box()["y"] > main_oben
    text = erste.inner_text()
    assert "Maximiliane Musterfrau-Schönberg 29" in text  # not cut off on the phone
    vor = erste.locator(".z-eingang").evaluate("e => getComputedStyle(e, '::before').content")
    assert vor == '"Eingang: "'
    assert _schwere_verstoesse(page) == []
