"""Bescheide: templates checked at save time, drafts, approval, finalising into a frozen PDF/A with hash and Fristen."""

import hashlib
import io
from datetime import date

import pytest
from pypdf import PdfReader

from app.bescheide import fristen, service
from app.bescheide.models import BescheidStatus
from app.bescheide.service import BescheidFehler
from app.extensions import db
from app.vorgaenge.anhaenge import pfad
from app.vorgaenge.models import HistorieEintrag


@pytest.mark.parametrize(
    ("html", "meldung"),
    [
        ("<p>{{ antragsteller.telefonnummer }}</p>", "Unbekannter Platzhalter"),
        ("<p>{{ textbaustein.gibtsnicht }}</p>", "Unbekannter Platzhalter"),
        ("<p>Hallo <b>Welt</p>", "nicht wohlgeformt"),
        ("<p>{% if x %}</p>", "Nur Platzhalter"),
        ("<p>x</p><script>alert(1)</script>", "<script>"),
        ('<p style="background: url(http://x/y.png)">x</p>', "Externe Verweise"),
        ("<p>&bogus;</p>", "nicht wohlgeformt"),
    ],
)
def test_a_broken_template_is_refused_at_save_time(app, vorlage, html, meldung):
    """Unknown placeholders, other template syntax, broken or unsafe HTML: a clear error, nothing saved."""
    with pytest.raises(BescheidFehler, match=meldung):
        service.vorlage_speichern(None, "baumfaellung", "ablehnung", "Kaputt", html, False)


def test_finalising_freezes_a_pdf_a_with_hash_fristen_and_historie(uhr, app, akte, sabine, vorlage):
    """The PDF carries the filled text (pypdf), PDF/A metadata and language; the Anhang's hash is stored."""
    akte.formulardaten = [{"name": "baumart", "label": "Baumart", "wert": "Rotbuche", "typ": "string"}]
    bescheid = service.entwurf_anlegen(akte, vorlage, sabine)
    service.finalisieren(bescheid, sabine)
    db.session.commit()
    assert bescheid.status == BescheidStatus.FINAL
    daten = pfad(bescheid.sha256).read_bytes()
    assert hashlib.sha256(daten).hexdigest() == bescheid.sha256 == bescheid.anhang.sha256
    pdf = PdfReader(io.BytesIO(daten))
    text = "\n".join(seite.extract_text() for seite in pdf.pages)
    for erwartet in ("Anna Schäfer", "Domstraße 4", "97070 Würzburg", "Rotbuche", "Der Baum ist krank", akte.nummer):
        assert erwartet in text
    assert "ENTWURF" not in text
    xmp = pdf.xmp_metadata
    assert xmp is not None and xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
    assert pdf.trailer["/Root"].get("/Lang") == "de"
    assert bool(pdf.trailer["/Root"]["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in pdf.trailer["/Root"]  # tagged
    # sent on Monday 30.11.2026: Bekanntgabe Friday 4.12., Frist Monday 4.1.2027
    assert bescheid.bescheid_datum == date(2026, 11, 30)
    assert bescheid.bekanntgabe_am == date(2026, 12, 4) and bescheid.rechtsbehelfsfrist_bis == date(2027, 1, 4)
    aktionen = [h.aktion for h in db.session.query(HistorieEintrag).filter_by(vorgang_id=akte.id)]
    assert "Bescheid erlassen" in aktionen
    bescheid.html = "<p>anders</p>"
    with pytest.raises(RuntimeError, match="unveränderlich"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(BescheidFehler):
        service.entwurf_aendern(bescheid, sabine, "x", "<p>y</p>")


def test_approval_by_the_team_lead_when_the_template_asks_for_it(app, akte, sabine, leitung, vorlage):
    """No final without approval; the author cannot approve; an edit after approval needs a new one."""
    vorlage.freigabe_noetig = True
    bescheid = service.entwurf_anlegen(akte, vorlage, sabine)
    with pytest.raises(BescheidFehler, match="freigegeben"):
        service.finalisieren(bescheid, sabine)
    service.freigabe_beantragen(bescheid, sabine)
    with pytest.raises(BescheidFehler):
        service.freigeben(bescheid, sabine)
    service.freigeben(bescheid, leitung)
    service.entwurf_aendern(bescheid, sabine, bescheid.titel, bescheid.html + "<p>Nachtrag</p>")
    assert bescheid.status == BescheidStatus.ENTWURF
    service.freigeben(bescheid, leitung)
    service.finalisieren(bescheid, sabine)
    assert bescheid.ist_final


def test_draft_preview_is_marked_and_stored_nowhere(app, akte, sabine, vorlage):
    """The preview PDF says ENTWURF; no Anhang is created."""
    bescheid = service.entwurf_anlegen(akte, vorlage, sabine)
    text = PdfReader(io.BytesIO(service.pdf(bescheid, entwurf=True))).pages[0].extract_text()
    assert "ENTWURF" in text and bescheid.anhang_id is None


@pytest.mark.parametrize(
    ("versand", "bekanntgabe", "frist"),
    [
        (date(2026, 12, 21), date(2026, 12, 28), date(2027, 1, 28)),  # 25./26.12. and Sunday
        (date(2026, 12, 28), date(2027, 1, 4), date(2027, 2, 4)),  # New Year's Day
        (date(2027, 1, 26), date(2027, 2, 1), date(2027, 3, 1)),  # 30.1. Saturday; month end
    ],
)
def test_bekanntgabe_and_rechtsbehelfsfrist_skip_weekends_and_holidays(app, versand, bekanntgabe, frist):
    """Fourth day after sending, then one month; both move to the next working day."""
    assert fristen.bekanntgabe(versand) == bekanntgabe
    assert fristen.rechtsbehelfsfrist(bekanntgabe) == frist
