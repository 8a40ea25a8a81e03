"""Postfach: write from the case over e-mail (real SMTP), replies by correlation token, ✉ marker, notification,
Nachforderung with Wiedervorlage, unassigned replies kept, sent content immutable."""

import email
import email.policy
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.postfach import service
from app.postfach.models import Nachricht
from app.postfach.service import Datei, PostfachFehler
from app.timeutil import utcnow
from app.vorgaenge import aktionen
from app.vorgaenge.anhaenge import anhang_anlegen
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage
from app.wiedervorlagen.versand import mails_senden

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _gelesen(roh: bytes):
    return email.message_from_bytes(roh, policy=email.policy.default)


def test_a_message_goes_out_by_e_mail_with_its_attachment_and_tag(app, akte, sabine, smtp):
    """Written on the case, queued in the mail outbox, sent over SMTP with the Anhang and the correlation tag."""
    anhang = anhang_anlegen(akte, "Merkblatt.pdf", PDF, "application/pdf", herkunft="bearbeitung")
    nachricht = service.schreiben(akte, sabine, "email", "Ihr Antrag", "Guten Tag,\n\nanbei das Merkblatt.", [anhang])
    db.session.commit()
    assert nachricht.zustand == "wartend"
    assert mails_senden(utcnow()) == 1
    [empfangen] = smtp.nachrichten
    mail = _gelesen(empfangen.content)
    assert empfangen.rcpt_tos == ["anna@example.org"]
    assert mail["Subject"] == f"Ihr Antrag [{akte.nummer} #{nachricht.korrelation}]"
    [datei] = list(mail.iter_attachments())
    assert datei.get_filename() == "Merkblatt.pdf" and datei.get_content() == PDF
    db.session.expire_all()
    assert db.session.get(Nachricht, nachricht.id).zustand == "gesendet"
    assert mails_senden(utcnow()) == 0  # nothing twice


def test_without_smtp_server_the_message_is_retried_and_failure_stays_visible(app, akte, sabine):
    """A refused connection counts an attempt; the mail stays queued with the error (admins see /admin/mails)."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=1)
    nachricht = service.schreiben(akte, sabine, "email", "Frage", "Bitte melden Sie sich.")
    db.session.commit()
    assert mails_senden(utcnow()) == 0
    mail = db.session.get(Mailausgang, nachricht.mailausgang_id)
    assert mail.versuche == 1 and mail.letzter_fehler and mail.status == "wartend"


def test_sent_content_cannot_be_changed(app, akte, sabine):
    """Betreff and text of a written message are fixed."""
    nachricht = service.schreiben(akte, sabine, "email", "Frage", "Text")
    db.session.commit()
    nachricht.text = "anders"
    with pytest.raises(RuntimeError, match="unveränderlich"):
        db.session.flush()
    db.session.rollback()


def test_a_channel_the_application_does_not_allow_is_refused(app, ordnungsamt, sabine):
    """No e-mail address in the application: no e-mail."""
    from tests.factories import vorgang

    ohne = vorgang(ordnungsamt)
    db.session.commit()
    with pytest.raises(PostfachFehler):
        service.schreiben(ohne, sabine, "email", "Frage", "Text")
    with pytest.raises(PostfachFehler):
        service.schreiben(ohne, sabine, "brieftaube", "Frage", "Text")


def test_a_reply_finds_its_vorgang_lights_the_marker_and_notifies(app, akte, sabine):
    """The token in the Betreff assigns the reply; unread marker, notification, allowed files kept, others not."""
    raus = service.schreiben(akte, sabine, "email", "Frage", "Bitte Nachweis senden.")
    db.session.commit()
    antwort = service.empfangen(
        "email",
        "anna@example.org",
        f"Re: Frage [{akte.nummer} #{raus.korrelation}]",
        "Anbei der Nachweis.",
        [Datei("nachweis.pdf", PDF, "application/pdf"), Datei("virus.exe", b"MZ\x90\x00" * 10)],
        extern_id="<abc@example.org>",
    )
    db.session.commit()
    assert antwort.vorgang_id == akte.id and antwort.antwort_auf_id == raus.id
    assert [a.dateiname for a in antwort.anhaenge] == ["nachweis.pdf"]
    assert "virus.exe" in antwort.letzter_fehler
    assert aktionen.ungelesen([akte.id]) == {akte.id}
    [hinweis] = db.session.scalars(select(Benachrichtigung)).all()
    assert hinweis.empfaenger_id == sabine.id and hinweis.vorgang_id == akte.id  # one notice (app.benachrichtigungen)
    # the same reply again (e.g. fetched twice) is stored once
    assert service.empfangen("email", "anna@example.org", "Re", "x", extern_id="<abc@example.org>").id == antwort.id
    assert service.gelesen(akte, sabine) == 1
    db.session.commit()
    assert aktionen.ungelesen([akte.id]) == set()


def test_a_guessed_vorgangsnummer_is_not_enough(app, akte):
    """Without a valid token the reply is kept unassigned and listed for administrators, never dropped."""
    antwort = service.empfangen("email", "x@example.org", f"Re: [{akte.nummer} #000000000000]", "Hallo")
    db.session.commit()
    assert antwort.vorgang_id is None
    assert service.nicht_zugeordnet() == [antwort]
    assert aktionen.ungelesen([akte.id]) == set()


def test_a_nachforderung_creates_a_wiedervorlage_that_the_reply_closes(app, akte, sabine):
    """Frist → Wiedervorlage at that date; the applicant's reply marks it done."""
    raus = service.schreiben(akte, sabine, "email", "Unterlagen fehlen", "Bitte Lageplan.", frist=date(2026, 12, 14))
    db.session.commit()
    wv = db.session.get(Wiedervorlage, raus.wiedervorlage_id)
    assert wv.ist_offen and wv.frist == date(2026, 12, 14)
    service.empfangen("email", "anna@example.org", f"Re: [{akte.nummer} #{raus.korrelation}]", "Lageplan anbei")
    db.session.commit()
    db.session.refresh(wv)
    assert not wv.ist_offen


def test_a_new_vorgang_gets_an_eingangsbestaetigung_by_e_mail(app, ordnungsamt):
    """Created with an e-mail address: one acknowledgement with the Vorgangsnummer is queued; without, none."""
    app.config["POSTFACH_EINGANGSBESTAETIGUNG"] = True
    from tests.factories import vorgang
    from tests.postfach.conftest import ANTRAGSTELLER

    mit = vorgang(ordnungsamt, antragsteller=dict(ANTRAGSTELLER))
    ohne = vorgang(ordnungsamt)
    db.session.commit()
    [bestaetigung] = db.session.scalars(select(Nachricht)).all()
    assert bestaetigung.vorgang_id == mit.id and mit.nummer in bestaetigung.text
    assert bestaetigung.benutzer_id is None and bestaetigung.mailausgang.empfaenger == "anna@example.org"
    assert service.thread(ohne) == []


def test_a_missing_attachment_file_fails_only_that_mail(app, akte, sabine, smtp):
    """The file of an Anhang vanished from the store: that mail records the error, the next one is sent."""
    from app.vorgaenge.anhaenge import pfad

    anhang = anhang_anlegen(akte, "weg.pdf", PDF + b"%weg", "application/pdf", herkunft="bearbeitung")
    kaputt = service.schreiben(akte, sabine, "email", "Mit Anhang", "Text", [anhang])
    heil = service.schreiben(akte, sabine, "email", "Ohne Anhang", "Text")
    db.session.commit()
    pfad(anhang.sha256).unlink()
    assert mails_senden(utcnow()) == 1
    db.session.expire_all()
    assert "Anhang nicht lesbar" in db.session.get(Mailausgang, kaputt.mailausgang_id).letzter_fehler
    assert db.session.get(Nachricht, heil.id).zustand == "gesendet"
