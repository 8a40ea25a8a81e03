"""The Bescheid and Postfach proof in a real browser: a Baumfällung is decided, the caseworker drafts and previews
the Bescheid, the Leitung approves it, the caseworker issues it and sends it by e-mail (real SMTP, aiosmtpd); the
PDF's text and PDF/A metadata are checked; the applicant's reply arrives and shows the ✉ marker until read. A
second path sends the Bescheid to the online service over FIT-Connect (local stand-in of the delivery service)."""

import email
import email.policy
import io
import re

import pytest
from aiosmtpd.controller import Controller
from joserfc.jwk import RSAKey
from pypdf import PdfReader

from app.bescheide import service as bescheide
from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.extensions import db
from app.postfach import service as postfach
from app.postfach.fitconnect import antworten_senden
from app.postfach.models import Nachricht
from app.timeutil import utcnow
from app.wiedervorlagen.versand import mails_senden
from tests import factories
from tests.e2e.test_hauptpfad import _axe
from tests.postfach.conftest import ANTRAGSTELLER
from tests.postfach.fitconnect_standin import Server, Zustelldienst
from tests.wiedervorlagen.conftest import Postfach, freier_port

pytestmark = pytest.mark.browser

VORLAGE = (
    "<p>Sehr geehrte Frau {{ antragsteller.name }},</p><p>die Fällung des Baumes ({{ formular.baumart }}) wird "
    "genehmigt.</p><h3>Rechtsbehelfsbelehrung</h3>{{ textbaustein.rechtsbehelf }}"
)


def _erledigen(benutzer, vorgang, element_id, **daten):
    [aufgabe] = [a for a in offene_aufgaben(vorgang=vorgang) if a.element_id == element_id]
    runner.abschliessen(aufgabe.task_id, daten, benutzer)


def _daten(live_app, antragsteller: dict | None = None) -> str:
    """OE, caseworker, team lead, the template; a Baumfällung decided by the Leitung, at its Bescheid step."""
    with live_app.app_context():
        live_app.config["POSTFACH_EINGANGSBESTAETIGUNG"] = False
        amt = factories.oe("Umweltamt", "197010", "31005")
        sabine = factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        lena = factories.benutzer("lena", "Lena Leitner", ["leitung"], [amt])
        bescheide.textbaustein_speichern(
            None, "rechtsbehelf", "Rechtsbehelf", "Gegen diesen Bescheid kann Klage erhoben werden."
        )
        bescheide.vorlage_speichern(None, "baumfaellung", "genehmigung", "Fällgenehmigung", VORLAGE, True)
        v = factories.vorgang(
            amt,
            formular_id="baumfaellung",
            formular_name="Baumfällung",
            antragsteller=antragsteller or dict(ANTRAGSTELLER),
            formulardaten=[{"name": "baumart", "label": "Baumart", "wert": "Rotbuche", "typ": "string"}],
        )
        v.bearbeiter_id = sabine.id
        db.session.flush()
        runner.start(v)
        db.session.commit()
        _erledigen(sabine, v, "antrag_pruefen", entscheidung="annehmen")
        _erledigen(sabine, v, "ortstermin", ortstermin_datum="2026-12-03", befund="Stamm morsch, Bruchgefahr.")
        _erledigen(lena, v, "genehmigung_leitung", leitung_entscheidung="genehmigen")
        return v.nummer


def _anmelden(page, server, login: str) -> None:
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(factories.PASSWORT)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$|.*/\?.*"))


def _abmelden(page) -> None:
    page.get_by_role("button", name="Abmelden").click()


@pytest.fixture
def smtp(live_app):
    """A real SMTP server; the live app sends through it."""
    postfach_ = Postfach()
    controller = Controller(postfach_, hostname="127.0.0.1", port=freier_port())
    controller.start()
    live_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_SENDER="umweltamt@stadt.example")
    yield postfach_
    controller.stop()


def test_bescheid_is_approved_issued_mailed_and_the_reply_lights_the_marker(server, live_app, page, smtp):
    """The whole path of issue 16 through the pages."""
    nummer = _daten(live_app)
    _anmelden(page, server, "sabine")
    page.goto(f"{server.url}/vorgang/{nummer}")
    page.get_by_role("button", name="Bescheid erstellen", exact=True).click()
    page.wait_for_url(re.compile(r".*/bescheide/\d+$"))
    _axe(page, "Bescheid")
    link = page.get_by_role("link", name=re.compile("Vorschau als PDF")).get_attribute("href")
    vorschau = page.request.get(server.url + link)
    assert "ENTWURF" in PdfReader(io.BytesIO(vorschau.body())).pages[0].extract_text()
    page.get_by_role("button", name="Zur Freigabe vorlegen").click()
    bescheid_url = page.url
    _abmelden(page)

    _anmelden(page, server, "lena")
    page.goto(bescheid_url)
    page.get_by_role("button", name="Bescheid freigeben").click()
    _abmelden(page)

    _anmelden(page, server, "sabine")
    page.goto(bescheid_url)
    page.get_by_label("Versand an den Antragsteller").select_option("email")
    page.get_by_role("button", name="Bescheid erlassen").click()
    page.wait_for_url(re.compile(rf".*/vorgang/{nummer}.*"))
    assert "Beschieden" in page.locator("h1").inner_text()
    assert "erlassen am" in page.locator("#bescheide").inner_text()
    _axe(page, "Vorgang mit Bescheid")

    with live_app.app_context():
        assert mails_senden(utcnow()) == 1
        [mail] = smtp.nachrichten
        gelesen = email.message_from_bytes(mail.content, policy=email.policy.default)
        [datei] = list(gelesen.iter_attachments())
        pdf = PdfReader(io.BytesIO(datei.get_content()))
        text = pdf.pages[0].extract_text()
        assert "Anna Schäfer" in text and "Rotbuche" in text and "Klage erhoben" in text and nummer in text
        assert pdf.xmp_metadata.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
        raus = db.session.scalars(db.select(Nachricht).where(Nachricht.richtung == "aus")).one()
        assert raus.zustand == "gesendet"
        postfach.empfangen("email", "anna@example.org", gelesen["Subject"].replace("", "Re: ", 1), "Danke!")
        db.session.commit()

    page.goto(server.url + "/")
    assert page.locator("tr", has_text=nummer).locator(".ungelesen").count() == 1
    page.goto(f"{server.url}/vorgang/{nummer}")
    assert "Ungelesen:" in page.locator("#nachrichten").inner_text()
    page.get_by_role("button", name=re.compile("als gelesen markieren")).click()
    assert "Ungelesen:" not in page.locator("#nachrichten").inner_text()
    assert page.konsolenfehler == []


def _bis_zum_erlass(page, server, nummer: str, kanal: str) -> None:
    """Draft, present, approve (Leitung), issue and send by `kanal`."""
    _anmelden(page, server, "sabine")
    page.goto(f"{server.url}/vorgang/{nummer}")
    page.get_by_role("button", name="Bescheid erstellen", exact=True).click()
    page.wait_for_url(re.compile(r".*/bescheide/\d+$"))
    page.get_by_role("button", name="Zur Freigabe vorlegen").click()
    bescheid_url = page.url
    _abmelden(page)
    _anmelden(page, server, "lena")
    page.goto(bescheid_url)
    page.get_by_role("button", name="Bescheid freigeben").click()
    _abmelden(page)
    _anmelden(page, server, "sabine")
    page.goto(bescheid_url)
    page.get_by_label("Versand an den Antragsteller").select_option(kanal)
    page.get_by_role("button", name="Bescheid erlassen").click()
    page.wait_for_url(re.compile(rf".*/vorgang/{nummer}.*"))


def test_bescheid_goes_to_the_online_service_over_fit_connect(server, live_app, page):
    """The application came over FIT-Connect with a reply key: the Bescheid PDF reaches the stand-in encrypted,
    and the thread shows gesendet, then zugestellt once the online service accepted it."""
    schluessel = RSAKey.generate_key(2048)
    zustelldienst = Zustelldienst(schluessel.as_dict(private=True), ("amtsfluss", "geheim"))
    zustelldienst.faelle.add("e89e107e-ed79-40e6-ad34-4e770f9df263")
    fitconnect = {
        "case_id": "e89e107e-ed79-40e6-ad34-4e770f9df263",
        "destination_id": "879ee109-a690-4db8-ab32-424284184d7d",
        "process_standards": [],
        "encryption_public_key": schluessel.as_dict(private=False),
    }
    with Server(zustelldienst) as stand_in:
        live_app.config.update(
            FITCONNECT_TOKEN_URL=f"{stand_in.url}/token",
            FITCONNECT_SUBMISSION_URL=stand_in.url,
            FITCONNECT_CLIENT_ID="amtsfluss",
            FITCONNECT_CLIENT_SECRET="geheim",
            FITCONNECT_STATUS_SEKUNDEN=0,
        )
        nummer = _daten(live_app, dict(ANTRAGSTELLER, fitconnect=fitconnect))
        _bis_zum_erlass(page, server, nummer, "fitconnect")
        assert "Beschieden" in page.locator("h1").inner_text()
        with live_app.app_context():
            assert antworten_senden(utcnow()) == 1
        [(reply_id, antwort)] = zustelldienst.antworten.items()
        [pdf_bytes] = antwort["anhaenge"].values()
        text = PdfReader(io.BytesIO(pdf_bytes)).pages[0].extract_text()
        assert "Anna Schäfer" in text and "Rotbuche" in text and nummer in text
        page.reload()
        assert "Kanal: FIT-Connect" in page.locator("#nachrichten").inner_text()
        assert "gesendet" in page.locator("#nachrichten .zustand").inner_text()
        zustelldienst.annehmen(reply_id)
        with live_app.app_context():
            assert antworten_senden(utcnow()) == 1
        page.reload()
        assert "zugestellt" in page.locator("#nachrichten .zustand").inner_text()
    assert page.konsolenfehler == []
