"""The IMAP poller: fetch the applicants' e-mail replies from the functional mailbox and store them as Nachrichten.

One scheduler round logs in (POSTFACH_IMAP_HOST, _PORT, _USER, _PASSWORD, _SSL, _STARTTLS, _ORDNER), reads the
unseen messages, stores each in its own transaction (`service.empfangen`: correlation token → Vorgang; files after
the upload checks) and then flags it seen. The message's Message-ID (or the hash of its bytes) is the
Nachricht's unique `extern_id`, so a message fetched twice — by two workers at once, or again after a crash
between commit and flag — is stored once.
"""

import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from lxml import html
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.postfach import service
from app.postfach.models import Nachricht

log = logging.getLogger(__name__)


def ist_konfiguriert() -> bool:
    """True when a mailbox to poll is configured."""
    return bool(current_app.config.get("POSTFACH_IMAP_HOST"))


def _verbinden() -> imaplib.IMAP4:
    """Log in to the configured mailbox and select its folder."""
    c = current_app.config
    host, port = (
        c["POSTFACH_IMAP_HOST"],
        int(c.get("POSTFACH_IMAP_PORT") or (993 if c.get("POSTFACH_IMAP_SSL") else 143)),
    )
    timeout = float(c.get("POSTFACH_IMAP_TIMEOUT") or 30)
    kontext = ssl.create_default_context(cafile=c.get("POSTFACH_IMAP_CAFILE") or None)
    if c.get("POSTFACH_IMAP_SSL"):
        verbindung: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=kontext, timeout=timeout)
    else:
        verbindung = imaplib.IMAP4(host, port, timeout=timeout)
        if c.get("POSTFACH_IMAP_STARTTLS"):
            verbindung.starttls(ssl_context=kontext)
    verbindung.login(c.get("POSTFACH_IMAP_USER") or "", c.get("POSTFACH_IMAP_PASSWORD") or "")
    status, _ = verbindung.select(c.get("POSTFACH_IMAP_ORDNER") or "INBOX")
    if status != "OK":
        raise imaplib.IMAP4.error("Ordner nicht gefunden")
    return verbindung


def abrufen(jetzt: datetime | None = None) -> int:
    """Scheduler handler: store the unseen replies of the mailbox; return how many new ones were stored."""
    if not ist_konfiguriert():
        return 0
    grenze = int(current_app.config.get("POSTFACH_IMAP_CHARGE") or 200)
    try:
        verbindung = _verbinden()
    except (OSError, imaplib.IMAP4.error) as fehler:
        log.warning("IMAP-Postfach nicht erreichbar: %s", fehler)
        return 0
    neu = 0
    try:
        status, daten = verbindung.uid("SEARCH", None, "UNSEEN")
        uids = (daten[0] or b"").split()[:grenze] if status == "OK" else []
        for uid in uids:
            status, teile = verbindung.uid("FETCH", uid, "(BODY.PEEK[])")
            roh = next((t[1] for t in teile if isinstance(t, tuple)), None) if status == "OK" else None
            if roh is None:
                continue
            neu += _speichern(roh)
            verbindung.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            verbindung.logout()
    return neu


def _speichern(roh: bytes) -> int:
    """Store one raw message in its own transaction; 1 if it was new, 0 if it was already there."""
    nachricht = email.message_from_bytes(roh, policy=email.policy.default)
    kennung = (str(nachricht.get("Message-ID") or "").strip() or f"sha256:{hashlib.sha256(roh).hexdigest()}")[:300]
    if db.session.scalar(select(Nachricht.id).where(Nachricht.extern_id == kennung)) is not None:
        return 0
    try:
        service.empfangen(
            "email",
            parseaddr(str(nachricht.get("From") or ""))[1],
            str(nachricht.get("Subject") or ""),
            _text(nachricht),
            _dateien(nachricht),
            extern_id=kennung,
        )
        db.session.commit()
    except IntegrityError:  # another worker stored the same message at the same moment
        db.session.rollback()
        return 0
    return 1


def _text(nachricht: EmailMessage) -> str:
    """The plain-text body (or the HTML part's text when there is no plain part)."""
    teil = nachricht.get_body(preferencelist=("plain", "html"))
    if teil is None:
        return ""
    try:
        inhalt = teil.get_content()
    except (LookupError, ValueError):  # unknown charset or broken encoding
        inhalt = teil.get_payload(decode=True).decode("utf-8", "replace")
    if teil.get_content_subtype() == "html":
        inhalt = html.fromstring(inhalt or "<p></p>").text_content()
    return inhalt


def _dateien(nachricht: EmailMessage) -> list[service.Datei]:
    """The attachments (the same checks as uploads follow in `service.empfangen`)."""
    dateien = []
    for teil in nachricht.iter_attachments():
        daten = teil.get_payload(decode=True) or b""
        dateien.append(service.Datei(teil.get_filename() or "anhang", daten, teil.get_content_type()))
    return dateien
