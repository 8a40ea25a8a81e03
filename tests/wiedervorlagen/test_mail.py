"""The outgoing message: readable by standard mail parsers, umlauts intact through a real SMTP server, and no
header injection through user text."""

import email
import email.policy

import pytest

from app import mail
from app.mail import MailFehler, nachricht


def test_message_roundtrips_umlauts_long_subjects_and_line_breaks():
    """A long German Betreff and body survive encoding; a line break in the Betreff cannot add a header."""
    betreff = "Wiedervorlage fällig: 31005-ABCDEF – " + "Prüfung der Unterlagen " * 5 + "\r\nBcc: boese@example.org"
    text = "Guten Tag,\n\ndie Wiedervorlage „Nachweis prüfen“ ist fällig.\n"
    roh = nachricht("amtsfluss@stadt.example", "sabine@example.org", betreff, text).as_bytes()
    assert max(len(zeile) for zeile in roh.split(b"\r\n")) <= 78
    gelesen = email.message_from_bytes(roh, policy=email.policy.default)
    assert gelesen["Subject"] == " ".join(betreff.split())
    assert gelesen["Bcc"] is None
    assert gelesen.get_content().replace("\r\n", "\n") == text
    assert gelesen["To"] == "sabine@example.org" and gelesen["Message-ID"].endswith("@stadt.example>")


def test_an_address_with_a_line_break_is_refused():
    """Addresses come from user records; a CR/LF would inject headers."""
    with pytest.raises(MailFehler):
        nachricht("amtsfluss@stadt.example", "a@example.org\r\nBcc: b@example.org", "Betreff", "Text")


def test_umlauts_in_subject_sender_and_body_arrive_through_a_real_smtp_server(app, smtp):
    """Sent over SMTP to aiosmtpd and parsed there: sender name, Betreff and text read as they were written."""
    app.config["MAIL_SENDER"] = "Bürgeramt Würzburg <amtsfluss@stadt.example>"
    mail.senden("sabine@example.org", "Frist für „Größenprüfung“ läuft ab", "Grüße aus dem Bürgeramt.\n")
    [empfangen] = smtp.nachrichten
    assert empfangen.mail_from == "amtsfluss@stadt.example" and empfangen.rcpt_tos == ["sabine@example.org"]
    gelesen = email.message_from_bytes(empfangen.content, policy=email.policy.default)
    assert gelesen["From"].addresses[0].display_name == "Bürgeramt Würzburg"
    assert gelesen["Subject"] == "Frist für „Größenprüfung“ läuft ab"
    assert gelesen.get_content().replace("\r\n", "\n") == "Grüße aus dem Bürgeramt.\n"
