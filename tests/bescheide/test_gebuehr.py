"""Fees from the Hundesteuer decision table (hundesteuer.dmn, written by the businessRuleTask) as Bescheid
placeholders: `{{ gebuehr.jahressteuer }}` as a euro amount, `{{ verfahren.… }}` as text; before the table ran, or
for a value that is no amount, a clear error at preview and drafting, never a PDF."""

import io

import pytest
from pypdf import PdfReader

from app.bescheide import service, vorlagen
from app.bescheide.models import Bescheid
from app.extensions import db
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids
from tests.factories import benutzer
from tests.postfach.conftest import ANTRAGSTELLER

HUNDESTEUER = (
    "<p>Sehr geehrte(r) {{ antragsteller.name }},</p><h2>Steuerbescheid</h2>"
    "<p>Für {{ verfahren.anzahl_hunde }} Hunde im Haushalt beträgt die Hundesteuer {{ gebuehr.jahressteuer }} "
    "im Jahr.</p>"
)


@pytest.fixture
def hundesteuer(app, ordnungsamt, verfahren):
    """A Hundesteuer Vorgang with its procedure running, and a Gebührenbescheid template for it."""
    v = neuer_vorgang(
        ordnungsamt, formular_id="hundesteuer", verfahren_key="hundesteuer", antragsteller=dict(ANTRAGSTELLER)
    )
    vorlage = service.vorlage_speichern(None, "hundesteuer", "gebuehrenbescheid", "Steuerbescheid", HUNDESTEUER, False)
    db.session.commit()
    return v, vorlage


def _bis_zur_steuer(v, sabine, anzahl: int, listenhund: bool = False):
    erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "angaben_erfassen", anzahl_hunde=anzahl, listenhund="true" if listenhund else "", rasse="")
    assert offene_ids(v) == ["bescheid_versenden"]


def test_fee_from_the_decision_table_lands_in_the_bescheid_pdf(app, hundesteuer, sabine):
    """Two dogs: the table says 120 €; the draft and its PDF say „120,00 €“."""
    v, vorlage = hundesteuer
    _bis_zur_steuer(v, sabine, 2)
    bescheid = service.entwurf_anlegen(v, vorlage, sabine)
    db.session.commit()
    assert "120,00 €" in bescheid.html and "Für 2 Hunde" in bescheid.html
    text = "".join(seite.extract_text() for seite in PdfReader(io.BytesIO(service.pdf(bescheid, entwurf=True))).pages)
    assert "120,00 €" in text


def test_before_the_table_ran_preview_and_draft_say_why_and_give_no_pdf(app, client, auth, hundesteuer, sabine):
    """Not yet computed: the template preview (designer) and drafting (caseworker) name the missing value."""
    v, vorlage = hundesteuer
    benutzer("dora", "Dora Design", ["verfahrensdesign"], [v.oe])
    db.session.commit()
    auth.login("dora")
    antwort = client.get(f"/bescheide/vorlagen/{vorlage.id}/vorschau?vorgang={v.nummer}", follow_redirects=True)
    assert antwort.mimetype == "text/html" and "„jahressteuer“ des Verfahrens liegt (noch) nicht vor" in antwort.text
    with pytest.raises(service.BescheidFehler, match="jahressteuer"):
        service.entwurf_anlegen(v, vorlage, sabine)


def test_a_draft_preview_with_a_value_that_is_no_amount_is_refused(app, client, auth, hundesteuer, sabine):
    """`{{ gebuehr.rasse }}` (a text) in an edited draft: the PDF preview shows the error page, not a PDF."""
    v, vorlage = hundesteuer
    _bis_zur_steuer(v, sabine, 1)
    bescheid = service.entwurf_anlegen(v, vorlage, sabine)
    db.session.commit()
    service.entwurf_aendern(bescheid, sabine, bescheid.titel, "<p>Gebühr: {{ gebuehr.entscheidung }}</p>")
    db.session.commit()
    auth.login()
    antwort = client.get(f"/vorgang/{v.nummer}/bescheide/{bescheid.id}/vorschau.pdf")
    assert antwort.status_code == 422 and "„entscheidung“ des Verfahrens ist kein Betrag" in antwort.text
    assert db.session.get(Bescheid, bescheid.id).anhang_id is None


def test_placeholders_of_the_procedure_are_known_at_save_time_and_formatted_german():
    """`verfahren.x` and `gebuehr.x` pass the save check; amounts are written the German way."""
    assert vorlagen.pruefen("<p>{{ gebuehr.jahressteuer }} {{ verfahren.rasse }}</p>", set()) == []
    assert vorlagen.pruefen("<p>{{ gebuehr }}</p>", set()) == ["Unbekannter Platzhalter „{{ gebuehr }}“."]
    assert vorlagen.euro(1234.5) == "1.234,50 €" and vorlagen.euro(90) == "90,00 €"
