"""The Postfach on the Vorgang page: write a message through the form, see the thread and the ✉ marker, mark read."""

from sqlalchemy import select

from app.extensions import db
from app.postfach import service
from app.postfach.models import Nachricht


def test_write_from_the_case_and_see_the_reply_until_read(app, client, auth, akte):
    """Form → queued e-mail in the thread; a reply shows ✉ in the list and on the page until marked read."""
    auth.login()
    seite = client.get(f"/vorgang/{akte.nummer}")
    assert seite.status_code == 200 and "Nachricht an den Antragsteller schreiben" in seite.text
    antwort = client.post(
        f"/vorgang/{akte.nummer}/nachrichten",
        data={"pf-kanal": "email", "pf-betreff": "Rückfrage", "pf-text": "Bitte rufen Sie an."},
    )
    assert antwort.status_code == 302
    [raus] = db.session.scalars(select(Nachricht)).all()
    assert raus.betreff == "Rückfrage" and raus.mailausgang is not None
    service.empfangen("email", "anna@example.org", f"Re: [{akte.nummer} #{raus.korrelation}]", "Mache ich.")
    db.session.commit()
    liste = client.get("/")
    assert "ungelesene Nachricht" in liste.text
    seite = client.get(f"/vorgang/{akte.nummer}")
    assert "Ungelesen:" in seite.text and "Mache ich." in seite.text
    client.post(f"/vorgang/{akte.nummer}/nachrichten/gelesen")
    assert "Ungelesen:" not in client.get(f"/vorgang/{akte.nummer}").text


def test_bad_input_gives_the_form_again_not_a_500(app, client, auth, akte):
    """Unknown channel, empty text, foreign Anhang id: the form with errors (422)."""
    auth.login()
    for daten in (
        {"pf-kanal": "brieftaube", "pf-betreff": "x", "pf-text": "y"},
        {"pf-kanal": "email", "pf-betreff": "", "pf-text": ""},
        {"pf-kanal": "email", "pf-betreff": "x", "pf-text": "y", "pf-anhaenge": "999"},
        {"pf-kanal": "email", "pf-betreff": "x", "pf-text": "y", "pf-frist": "gestern"},
    ):
        assert client.post(f"/vorgang/{akte.nummer}/nachrichten", data=daten).status_code == 422
    assert db.session.scalars(select(Nachricht)).all() == []


def test_a_printed_letter_is_a_pdf_and_counts_as_sent_once_posted(app, client, auth, akte):
    """The letter channel stores the DIN 5008 letter PDF; „als versandt markieren“ moves it to gesendet."""
    auth.login()
    client.post(
        f"/vorgang/{akte.nummer}/nachrichten",
        data={"pf-kanal": "brief", "pf-betreff": "Ihr Antrag", "pf-text": "Sehr geehrte Frau Schäfer,\n\nbitte."},
    )
    [brief] = db.session.scalars(select(Nachricht)).all()
    [pdf] = brief.anhaenge
    assert pdf.mime_typ == "application/pdf" and brief.zustand == "wartend"
    client.post(f"/vorgang/{akte.nummer}/nachrichten/{brief.id}/versandt")
    db.session.expire_all()
    assert db.session.get(Nachricht, brief.id).zustand == "gesendet"


def test_administrators_see_unassigned_replies(app, client, auth, akte):
    """A reply without valid token is on /admin/nachrichten; caseworkers may not open it."""
    service.empfangen("email", "x@example.org", "Hallo", "Wer bin ich?")
    db.session.commit()
    auth.login()
    assert client.get("/admin/nachrichten").status_code == 403
