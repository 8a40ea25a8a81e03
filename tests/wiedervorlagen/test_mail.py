"""The outgoing message: readable by standard mail parsers, and no header injection through user text."""

import email
import email.policy

import pytest

from app.mail import MailFehler, nachricht


def test_message_roundtrips_umlauts_long_subjects_and_line_breaks():
    """A long German Betreff and body survive encoding; a line break in the Betreff cannot add a header."""
    betreff = "Wiedervorlage fällig: 31005-ABCDEF – " + "Prüfung der Unterlagen " * 5 + "\r\nBcc: boese@example.org"
    text = "Guten Tag,\n\ndie Wiedervorlage „Nachweis prüfen“ ist fällig.\n"
    roh = nachricht("amtsfluss@stadt.example", "sabine@example.org", betreff, text)
    assert max(len(zeile) for zeile in roh.split(b"\r\n")) <= 78
    gelesen = email.message_from_bytes(roh, policy=email.policy.default)
    assert gelesen["Subject"] == betreff
    assert gelesen["Bcc"] is None
    assert gelesen.get_content().replace("\r\n", "\n") == text
    assert gelesen["To"] == "sabine@example.org" and gelesen["Message-ID"].endswith("@stadt.example>")


def test_an_address_with_a_line_break_is_refused():
    """Addresses come from user records; a CR/LF would inject headers."""
    with pytest.raises(MailFehler):
        nachricht("amtsfluss@stadt.example", "a@example.org\r\nBcc: b@example.org", "Betreff", "Text")
