"""The Bescheid step of Baumfällung through the pages: the template page refuses a broken template; a draft is
previewed, approved and finalised, which sends it by e-mail and completes the BPMN step (status Beschieden); a reply
by e-mail resumes a procedure that waits for documents."""

import io

from pypdf import PdfReader
from sqlalchemy import select

from app.bescheide.models import Bescheid, BescheidVorlage
from app.extensions import db
from app.postfach import service as postfach
from app.postfach.models import Nachricht
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids
from tests.factories import benutzer
from tests.postfach.conftest import ANTRAGSTELLER


def _bis_zum_bescheid(v, sabine, leitung):
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "ortstermin", ortstermin_datum="2026-12-03", befund="Stamm morsch, Bruchgefahr.")
    erledige(leitung, v, "genehmigung_leitung", leitung_entscheidung="genehmigen")
    assert offene_ids(v) == ["bescheid"]


def test_bescheid_step_of_baumfaellung_through_the_pages(app, client, auth, ordnungsamt, sabine, leitung, verfahren):
    """Designer saves a template (a broken one is refused), caseworker drafts, previews, lead approves, caseworker
    finalises and sends: Bescheid PDF by mail in the outbox, task done, Vorgang Beschieden."""
    benutzer("dora", "Dora Design", ["verfahrensdesign"], [ordnungsamt])
    db.session.commit()
    v = neuer_vorgang(ordnungsamt, formular_id="baumfaellung", antragsteller=dict(ANTRAGSTELLER))
    v.formular_name = "Baumfällung"
    db.session.commit()

    auth.login("dora")
    kaputt = client.post(
        "/bescheide/vorlagen/neu",
        data={"name": "X", "verfahren": "baumfaellung", "art": "genehmigung", "html": "<p>{{ zauber }}</p>"},
    )
    assert kaputt.status_code == 422 and "Unbekannter Platzhalter" in kaputt.text
    gut = client.post(
        "/bescheide/vorlagen/neu",
        data={
            "name": "Fällgenehmigung",
            "verfahren": "baumfaellung",
            "art": "genehmigung",
            "html": "<p>Sehr geehrte Frau {{ antragsteller.name }},</p><p>die Fällung wird genehmigt.</p>",
            "freigabe_noetig": "y",
        },
    )
    assert gut.status_code == 302
    vorlage = db.session.scalar(select(BescheidVorlage))
    assert client.get(f"/bescheide/vorlagen/{vorlage.id}/vorschau?vorgang={v.nummer}").mimetype == "application/pdf"
    auth.logout()

    _bis_zum_bescheid(v, sabine, leitung)
    auth.login()
    seite = client.get(f"/vorgang/{v.nummer}")
    assert "Bescheid erstellen" in seite.text
    antwort = client.post(f"/vorgang/{v.nummer}/bescheide", data={"vorlage": vorlage.id})
    bescheid = db.session.scalar(select(Bescheid))
    assert antwort.headers["Location"].endswith(f"/bescheide/{bescheid.id}")
    vorschau = client.get(f"/vorgang/{v.nummer}/bescheide/{bescheid.id}/vorschau.pdf")
    assert "ENTWURF" in PdfReader(io.BytesIO(vorschau.data)).pages[0].extract_text()
    # editing with broken HTML is refused, the draft stays
    seite = f"/vorgang/{v.nummer}/bescheide/{bescheid.id}"
    assert client.post(seite, data={"titel": "T", "html": "<p>offen"}).status_code == 422
    erlassen = f"{seite}/erlassen"
    assert client.post(erlassen, data={"kanal": "email"}).status_code == 422  # not approved yet
    client.post(f"/vorgang/{v.nummer}/bescheide/{bescheid.id}/vorlegen")
    auth.logout()
    auth.login("lena")
    client.post(f"/vorgang/{v.nummer}/bescheide/{bescheid.id}/freigeben")
    auth.logout()
    auth.login()
    erlass = client.post(erlassen, data={"kanal": "email"})
    assert erlass.status_code == 302, erlass.text
    db.session.expire_all()
    bescheid = db.session.get(Bescheid, bescheid.id)
    assert bescheid.ist_final and bescheid.anhang is not None
    assert db.session.get(type(v), v.id).status == "Beschieden"
    assert offene_ids(v) == ["abschliessen"]
    [mail] = db.session.scalars(select(Nachricht)).all()
    assert [a.id for a in mail.anhaenge] == [bescheid.anhang_id] and mail.mailausgang.anhang_ids == [bescheid.anhang_id]


def test_a_reply_resumes_a_procedure_that_waits_for_documents(app, ordnungsamt, sabine, verfahren):
    """Nachfordern → message catch event; the applicant's e-mail reply delivers „Unterlagen eingegangen“."""
    v = neuer_vorgang(ordnungsamt, formular_id="baumfaellung", antragsteller=dict(ANTRAGSTELLER))
    erledige(sabine, v, "antrag_pruefen", entscheidung="nachfordern")
    erledige(sabine, v, "nachfordern", fehlende_unterlagen="Lageplan", frist_tage=14)
    raus = postfach.schreiben(v, sabine, "email", "Unterlagen fehlen", "Bitte senden Sie den Lageplan.")
    db.session.commit()
    assert offene_ids(v) == []
    postfach.empfangen("email", "anna@example.org", f"Re: [{v.nummer} #{raus.korrelation}]", "Anbei.")
    db.session.commit()
    assert offene_ids(v) == ["antrag_pruefen"]
