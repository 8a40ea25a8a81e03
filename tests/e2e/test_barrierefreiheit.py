"""Every page type a user can reach, checked with axe-core in a real Chromium: no serious or critical violations.

The main path (login, Vorgangsliste, detail, task form) is checked in test_hauptpfad.py; this module covers the
rest — the caseworker's lists and forms, error pages, the administration and the Vorgang detail in its error and
incident states. One server and one data set per module; each page gets a fresh browser context and login.
"""

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

#: A directory to keep a full-page screenshot of every checked page in (for looking at the layout), or None.
SCREENSHOTS = Path(os.environ["AMTSFLUSS_SCREENSHOTS"]) if os.environ.get("AMTSFLUSS_SCREENSHOTS") else None


@dataclass
class Daten:
    """Ids and numbers of the module's data set."""

    nummer: str
    nummer_vorfall: str
    task_id: str
    wv_id: int
    benutzer_id: int
    oe_id: int
    eingang_id: int


@pytest.fixture(scope="module")
def daten(live_app_modul) -> Daten:
    """An OE, a caseworker, an administrator, two Vorgänge (one with an incident), a Wiedervorlage, a notification,
    Eingänge (one faulty), form services and a failed mail — so every list shows rows, not its empty state."""
    from app.engine import runner
    from app.engine.aufgaben import offene_aufgaben
    from app.engine.models import VORFALL, ProzessInstanz
    from app.intake.models import FEHLERHAFT, VERARBEITET, Eingang
    from app.intake.zugang import quelle_anlegen
    from app.timeutil import heute, utcnow
    from app.wiedervorlagen.models import Benachrichtigung, Mailausgang
    from app.wiedervorlagen.service import wiedervorlage_anlegen

    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        sabine = factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        factories.benutzer("anton", "Anton Richter", ["administration", "systemadministration"], [amt])
        v = factories.vorgang(
            amt,
            formular_id="unbekannt",
            formular_name="Antrag auf Sondernutzung",
            antragsteller={"vorname": "Anna", "nachname": "Schäfer"},
        )
        v2 = factories.vorgang(amt, formular_id="unbekannt", formular_name="Gewerbeanmeldung")
        db.session.flush()
        runner.start(v)
        runner.start(v2)
        db.session.flush()
        instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=v2.id)).one()
        instanz.zustand_art = VORFALL
        instanz.vorfall_element = "pruefen"
        instanz.vorfall_text = "ZeroDivisionError: division by zero"
        instanz.vorfall_seit = utcnow()
        wv = wiedervorlage_anlegen(
            v,
            "Unterlagen nachfordern",
            heute() - timedelta(days=1),
            beschreibung="Lageplan fehlt",
            zugewiesen_an=sabine,
            erstellt_von=sabine,
        )
        wiedervorlage_anlegen(v, "Stellungnahme anfordern", heute() + timedelta(days=7), erstellt_von=sabine)
        db.session.flush()
        db.session.add(
            Benachrichtigung(
                empfaenger_id=sabine.id,
                vorgang_id=v.id,
                wiedervorlage_id=wv.id,
                titel="Wiedervorlage fällig: Unterlagen nachfordern",
                text="Lageplan fehlt",
                link=f"/vorgang/{v.nummer}",
            )
        )
        db.session.add(
            Mailausgang(
                art="erinnerung",
                empfaenger="sabine@example.org",
                empfaenger_id=sabine.id,
                betreff="Wiedervorlage fällig",
                text="Unterlagen nachfordern",
                status="fehlgeschlagen",
                versuche=5,
                letzter_fehler="550 Mailbox unavailable",
            )
        )
        quelle_anlegen("amt24", "ozgcloud", benutzername="amt24", passwort="ein-langes-passwort-fuer-amt24")
        quelle_anlegen("intelliform", "intelliform", ip_erlaubt=["10.0.0.0/8"])
        kaputt = b'{"kaputt":'
        eingang = Eingang(
            quelle="amt24",
            art="ozgcloud",
            transaktions_id="tx-kaputt",
            content_type="application/json",
            inhalt=kaputt,
            sha256=hashlib.sha256(kaputt).hexdigest(),
            zustand=FEHLERHAFT,
            fehler="JSON nicht lesbar",
            fehler_code="format",
            metadaten={"adresse": "10.0.0.7"},
        )
        gut = b'{"ok": true}'
        db.session.add(
            Eingang(
                quelle="amt24",
                art="ozgcloud",
                transaktions_id="tx-gut",
                content_type="application/json",
                inhalt=gut,
                sha256=hashlib.sha256(gut).hexdigest(),
                zustand=VERARBEITET,
                vorgang_id=v.id,
                metadaten={},
            )
        )
        db.session.add(eingang)
        db.session.flush()
        aufgaben = offene_aufgaben(vorgang=v)
        assert aufgaben
        ergebnis = Daten(v.nummer, v2.nummer, aufgaben[0].task_id, wv.id, sabine.id, amt.id, eingang.id)
        db.session.commit()
        return ergebnis


def _anmelden(page, server, login: str) -> None:
    """Log in through the form."""
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(factories.PASSWORT)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert "/anmelden" not in page.url


def _aktenzeichen_ungueltig(page) -> None:
    """Submit the Aktenzeichen form with "Selbst eingeben" but no Aktenzeichen: the detail page with errors."""
    page.get_by_text("Aktenzeichen setzen").click()
    page.get_by_role("radio", name="Selbst eingeben").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Aktenzeichen speichern").click()
    assert page.locator(".fehler-zusammenfassung").first.is_visible()


def _wiedervorlage_ohne_betreff(page) -> None:
    """Submit the new-Wiedervorlage form empty: the form with errors."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert page.locator(".fehler-zusammenfassung, .fehler").first.is_visible()


def _anmeldung_falsch(page) -> None:
    """A wrong password: the login form with its error."""
    page.locator("input[name=login]").fill("sabine")
    page.locator("input[name=password]").fill("falsch")
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def _leer_absenden(page) -> None:
    """Submit the page's first form as it is (empty): the form with its errors."""
    with page.expect_navigation():
        page.locator("main form").first.locator("button[type=submit]").first.click()
    assert page.locator(".fehler-zusammenfassung, .fehler").first.is_visible()


#: (page name, login or None, path template, optional action on the loaded page)
SEITEN = [
    ("Anmeldung mit Fehler", None, "/anmelden", _anmeldung_falsch),
    ("Vorgänge", "sabine", "/", None),
    ("Vorgang", "sabine", "/vorgang/{nummer}", None),
    ("Aufgaben", "sabine", "/aufgaben", None),
    ("Aufgabenformular", "sabine", "/vorgang/{nummer}/aufgabe/{task_id}", None),
    ("Aufgabenformular mit Fehlern", "sabine", "/vorgang/{nummer}/aufgabe/{task_id}", _leer_absenden),
    ("Aufgabe nicht mehr offen", "sabine", "/vorgang/{nummer}/aufgabe/gibt-es-nicht", None),
    ("Wiedervorlagen", "sabine", "/wiedervorlagen", None),
    ("Wiedervorlage neu", "sabine", "/wiedervorlagen/neu/{nummer}", None),
    ("Wiedervorlage mit Fehlern", "sabine", "/wiedervorlagen/neu/{nummer}", _wiedervorlage_ohne_betreff),
    ("Wiedervorlage bearbeiten", "sabine", "/wiedervorlagen/{wv_id}/bearbeiten", None),
    ("Benachrichtigungen", "sabine", "/benachrichtigungen", None),
    ("Einstellungen", "sabine", "/einstellungen", None),
    ("Einstellungen mit Fehlern", "sabine", "/einstellungen", _leer_absenden),
    ("Hilfe", "sabine", "/hilfe", None),
    ("Fehler 404", "sabine", "/vorgang/GIBT-ES-NICHT", None),
    ("Fehler 403", "sabine", "/admin/", None),
    ("Vorgang mit Fehlern", "sabine", "/vorgang/{nummer}", _aktenzeichen_ungueltig),
    ("Vorgang mit Vorfall", "sabine", "/vorgang/{nummer_vorfall}", None),
    ("Administration", "anton", "/admin/", None),
    ("Benutzer", "anton", "/admin/benutzer", None),
    ("Benutzer neu", "anton", "/admin/benutzer/neu", None),
    ("Benutzer neu mit Fehlern", "anton", "/admin/benutzer/neu", _leer_absenden),
    ("Benutzer bearbeiten", "anton", "/admin/benutzer/{benutzer_id}", None),
    ("Organisationseinheiten", "anton", "/admin/oes", None),
    ("Organisationseinheit neu", "anton", "/admin/oes/neu", None),
    ("Organisationseinheit neu mit Fehlern", "anton", "/admin/oes/neu", _leer_absenden),
    ("Organisationseinheit bearbeiten", "anton", "/admin/oes/{oe_id}", None),
    ("Eingänge", "anton", "/admin/eingaenge", None),
    ("Eingänge verarbeitet", "anton", "/admin/eingaenge?zustand=verarbeitet", None),
    ("Eingang", "anton", "/admin/eingaenge/{eingang_id}", None),
    ("Formulardienste", "anton", "/admin/intake/quellen", None),
    ("Vorfälle", "anton", "/admin/vorfaelle", None),
    ("Verfahren", "anton", "/admin/verfahren", None),
    ("Mails", "anton", "/admin/mails", None),
]


#: The outermost elements that reach past the window's right edge (tag, class, width), for the failure message.
ZU_BREIT = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().width)} px`)"""


def _verstoesse(page) -> list[dict]:
    """axe-core's serious and critical violations of the current page."""
    ergebnis = Axe().run(page)
    return [v for v in ergebnis.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize(("name", "login", "pfad", "aktion"), SEITEN, ids=[s[0] for s in SEITEN])
def test_every_page_type_has_no_serious_accessibility_violations(server_modul, daten, page, name, login, pfad, aktion):
    """A user of the right role opens the page (and, where given, puts it into its error state); axe-core finds
    no serious or critical violation."""
    if login:
        _anmelden(page, server_modul, login)
    page.goto(server_modul.url + pfad.format(**vars(daten)))
    if aktion:
        aktion(page)
    assert not re.search(r"Internal Server Error", page.content()), name
    # Forms folded into <details> (case actions, admin forms) are hidden from axe while closed: open them all.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if SCREENSHOTS is not None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    schwer = _verstoesse(page)
    assert not schwer, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in schwer
    )
    # Reflow (WCAG 1.4.10): at 320 CSS px (a phone, or 1280 px at 400 % zoom) the page never scrolls sideways;
    # wide tables scroll inside their own focusable region instead.
    page.set_viewport_size({"width": 320, "height": 800})
    if SCREENSHOTS is not None:
        page.screenshot(path=str(SCREENSHOTS / f"{name} (320 px).png"), full_page=True)
    breite = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert breite[0] <= breite[1], f"{name}: {breite[0]} px breit bei {breite[1]} px Fensterbreite: " + str(
        page.evaluate(ZU_BREIT)
    )
