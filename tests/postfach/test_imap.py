"""The IMAP poller against a real Dovecot (scripts/imap-testserver.sh, started by .ci/run): a reply with a PDF
arrives on its Vorgang, is stored once even when fetched twice, a message without token is kept unassigned."""

import imaplib
import os
import socket
import time
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from app.extensions import db
from app.postfach import imap, service
from app.postfach.models import Nachricht
from app.vorgaenge import aktionen

HOST, PORT = "127.0.0.1", int(os.environ.get("AMTSFLUSS_TEST_IMAP_PORT", "10143"))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _erreichbar() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, PORT)) == 0


@pytest.fixture
def postfach_imap(app):
    """The test mailbox, emptied; the app polls it."""
    if not _erreichbar():
        if os.environ.get("AMTSFLUSS_REQUIRE_IMAP"):
            pytest.fail(f"kein IMAP-Testserver auf {HOST}:{PORT} (scripts/imap-testserver.sh)")
        pytest.skip("kein IMAP-Testserver (scripts/imap-testserver.sh startet einen)")
    app.config.update(
        POSTFACH_IMAP_HOST=HOST,
        POSTFACH_IMAP_PORT=PORT,
        POSTFACH_IMAP_USER="postfach",
        POSTFACH_IMAP_PASSWORD="postfach",
    )
    verbindung = imaplib.IMAP4(HOST, PORT)
    verbindung.login("postfach", "postfach")
    verbindung.select("INBOX")
    if verbindung.search(None, "ALL")[1][0]:
        verbindung.store("1:*", "+FLAGS", "(\\Deleted)")
    verbindung.expunge()
    yield verbindung
    verbindung.logout()


def _einliefern(verbindung, betreff: str, text: str, message_id: str, anhang: bytes | None = None) -> None:
    mail = EmailMessage()
    mail["From"] = "Anna Schäfer <anna@example.org>"
    mail["To"] = "postfach@stadt.example"
    mail["Subject"] = betreff
    mail["Message-ID"] = message_id
    mail.set_content(text)
    if anhang:
        mail.add_attachment(anhang, maintype="application", subtype="pdf", filename="lageplan.pdf")
    verbindung.append("INBOX", "", imaplib.Time2Internaldate(time.time()), mail.as_bytes())


def test_replies_arrive_from_the_mailbox_once(app, akte, sabine, postfach_imap):
    """Reply with the token → on its Vorgang with the PDF, ✉ marker; unseen again → not stored twice."""
    raus = service.schreiben(akte, sabine, "email", "Unterlagen fehlen", "Bitte Lageplan.")
    db.session.commit()
    _einliefern(postfach_imap, f"Re: Unterlagen fehlen [{akte.nummer} #{raus.korrelation}]", "Anbei.", "<a1@x>", PDF)
    _einliefern(postfach_imap, "Frage ohne Bezug", "Hallo?", "<a2@x>")
    assert imap.abrufen() == 2
    antworten = {n.extern_id: n for n in db.session.scalars(select(Nachricht).where(Nachricht.richtung == "ein"))}
    assert antworten["<a1@x>"].vorgang_id == akte.id
    assert [a.dateiname for a in antworten["<a1@x>"].anhaenge] == ["lageplan.pdf"]
    assert antworten["<a2@x>"].vorgang_id is None
    assert aktionen.ungelesen([akte.id]) == {akte.id}
    assert imap.abrufen() == 0  # all seen now
    postfach_imap.store("1:*", "-FLAGS", "(\\Seen)")
    assert imap.abrufen() == 0  # fetched again: still stored once
    assert db.session.scalar(select(db.func.count(Nachricht.id)).where(Nachricht.richtung == "ein")) == 2


def test_an_unreachable_mailbox_is_logged_not_raised(app):
    """Wrong port: the round returns 0; the next tick tries again."""
    app.config.update(POSTFACH_IMAP_HOST="127.0.0.1", POSTFACH_IMAP_PORT=1, POSTFACH_IMAP_TIMEOUT=1)
    assert imap.abrufen() == 0
