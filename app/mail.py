"""Sending e-mail over SMTP (host, port, STARTTLS or implicit TLS, credentials, sender from the config).

`verbindung()` opens one connection for a batch of mails. `MAIL_TRANSPORT = "null"` discards mails instead (only
for benchmarks and development; it must be configured explicitly). Callers (the outbox in
`app.wiedervorlagen.versand`) handle retries; this module only sends or raises.
"""

import base64
import smtplib
import ssl
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.utils import formatdate

from flask import current_app


class MailFehler(Exception):
    """One mail could not be delivered (e.g. the recipient was refused); others may still go through."""


class VerbindungsFehler(MailFehler):
    """The SMTP server is unreachable or broke the connection: no mail of the batch can be sent now."""


def ist_konfiguriert(config: Mapping | None = None) -> bool:
    """True when mails can be sent: an SMTP host is set, or the null transport is chosen explicitly."""
    config = config if config is not None else current_app.config
    return config.get("MAIL_TRANSPORT", "smtp") == "null" or bool(config.get("SMTP_HOST"))


def _kodiert(text: str) -> str:
    """A header value as RFC 2047 encoded words (UTF-8, base64), folded so no line exceeds 76 characters.

    Pure ASCII without line breaks stays as it is. Encoding also neutralises CR/LF in user-given text (Betreff).
    """
    if text.isascii() and "\r" not in text and "\n" not in text and len(text) < 60:
        return text
    woerter, stueck, laenge = [], [], 0
    for zeichen in text:
        n = len(zeichen.encode())
        if laenge + n > 39:  # 39 bytes → 52 base64 characters + 12 for =?utf-8?b??= + "Subject: " < 78
            woerter.append("".join(stueck))
            stueck, laenge = [], 0
        stueck.append(zeichen)
        laenge += n
    woerter.append("".join(stueck))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in woerter)


def _adresse(adresse: str) -> str:
    """An address for a header; a line break would inject headers, so it is refused."""
    if "\r" in adresse or "\n" in adresse:
        raise MailFehler(f"Ungültige E-Mail-Adresse: {adresse!r}")
    return adresse


def nachricht(absender: str, an: str, betreff: str, text: str) -> bytes:
    """A plain-text UTF-8 message (base64 body, 7-bit safe) with Date and Message-ID, as bytes for SMTP.

    Written out directly instead of through `email.message`: the stdlib's header folding costs about 1 ms per
    message, which dominated sending the outbox (see docs/scheduler.md); the format here is fixed and simple.
    """
    domain = absender.rpartition("@")[2] or "localhost"
    koerper = base64.encodebytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode()).decode()
    kopf = (
        f"From: {_adresse(absender)}\r\n"
        f"To: {_adresse(an)}\r\n"
        f"Subject: {_kodiert(betreff)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{domain}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
    )
    return (kopf + "\r\n" + koerper.replace("\n", "\r\n")).encode("ascii")


class _SmtpVersand:
    """Sends over one open SMTP connection."""

    def __init__(self, smtp: smtplib.SMTP, absender: str):
        """Wrap an already connected (and authenticated) client."""
        self._smtp = smtp
        self._absender = absender
        self.gesendet = 0

    def senden(self, an: str, betreff: str, text: str) -> None:
        """Send one mail; raise MailFehler for this mail, VerbindungsFehler when the connection is gone."""
        try:
            self._smtp.sendmail(self._absender, [an], nachricht(self._absender, an, betreff, text))
        except smtplib.SMTPServerDisconnected as error:
            raise VerbindungsFehler(_text(error)) from error
        except smtplib.SMTPException as error:  # recipient/sender refused, data error: only this mail
            raise MailFehler(_text(error)) from error
        except OSError as error:  # after SMTPException, which subclasses OSError: socket errors, timeouts
            raise VerbindungsFehler(_text(error)) from error
        self.gesendet += 1


class _NullVersand:
    """Discards mails (MAIL_TRANSPORT = "null"); counts them so benchmarks can check."""

    def __init__(self):
        """Start counting at zero."""
        self.gesendet = 0

    def senden(self, an: str, betreff: str, text: str) -> None:
        """Pretend to send: build the message (same CPU cost as real sending up to the socket), then drop it."""
        nachricht("amtsfluss@localhost", an, betreff, text)
        self.gesendet += 1


@contextmanager
def verbindung(config: Mapping | None = None) -> Iterator[_SmtpVersand | _NullVersand]:
    """Open one SMTP connection from the config (SMTP_HOST, SMTP_PORT, SMTP_STARTTLS, SMTP_SSL, SMTP_USER,
    SMTP_PASSWORD, SMTP_TIMEOUT, MAIL_SENDER); raise VerbindungsFehler when that fails."""
    config = config if config is not None else current_app.config
    if config.get("MAIL_TRANSPORT", "smtp") == "null":
        yield _NullVersand()
        return
    host = config.get("SMTP_HOST")
    if not host:
        raise VerbindungsFehler("SMTP_HOST ist nicht konfiguriert.")
    port = int(config.get("SMTP_PORT") or 25)
    timeout = float(config.get("SMTP_TIMEOUT") or 10)
    kontext = ssl.create_default_context(cafile=config.get("SMTP_CAFILE") or None)
    try:
        if config.get("SMTP_SSL"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=kontext)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=kontext)
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except (smtplib.SMTPException, OSError) as error:
        raise VerbindungsFehler(f"Keine Verbindung zu {host}:{port}: {_text(error)}") from error
    try:
        yield _SmtpVersand(smtp, config.get("MAIL_SENDER") or "amtsfluss@localhost")
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def senden(an: str, betreff: str, text: str, config: Mapping | None = None) -> None:
    """Send a single mail over a fresh connection (for one-off mails; the outbox batches instead)."""
    with verbindung(config) as versand:
        versand.senden(an, betreff, text)


def _text(error: BaseException) -> str:
    """A short, readable error text (SMTP errors carry bytes)."""
    text = str(error) or error.__class__.__name__
    return text[:500]
