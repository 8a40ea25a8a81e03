"""Sending e-mail over SMTP (host, port, STARTTLS or implicit TLS, credentials, sender from the config).

`verbindung()` opens one connection for a batch of mails. `MAIL_TRANSPORT = "null"` discards mails instead (only
for benchmarks and development; it must be configured explicitly). Callers (the outbox in
`app.wiedervorlagen.versand`) handle retries; this module only sends or raises.
"""

import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app

from app.timeutil import utcnow

#: A file sent along: (dateiname, mime_typ, bytes).
Datei = tuple[str, str, bytes]


class MailFehler(Exception):
    """One mail could not be delivered (e.g. the recipient was refused); others may still go through."""


class VerbindungsFehler(MailFehler):
    """The SMTP server is unreachable or broke the connection: no mail of the batch can be sent now."""


def ist_konfiguriert(config: Mapping | None = None) -> bool:
    """True when mails can be sent: an SMTP host is set, or the null transport is chosen explicitly."""
    config = config if config is not None else current_app.config
    return config.get("MAIL_TRANSPORT", "smtp") == "null" or bool(config.get("SMTP_HOST"))


def nachricht(absender: str, an: str, betreff: str, text: str, anhaenge: Sequence[Datei] = ()) -> EmailMessage:
    """A plain-text UTF-8 message with Date and Message-ID and optional files (dateiname, mime_typ, bytes);
    `absender` may carry a display name (`Amt <a@b.de>`).

    Line breaks in the Betreff (user text) become spaces; an address with a line break is refused (MailFehler),
    so no user text can add a header.
    """
    domain = parseaddr(absender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=SMTP)
    for kopf, adresse in (("From", absender), ("To", an)):
        try:
            message[kopf] = adresse
        except ValueError as error:  # CR/LF in a header value
            raise MailFehler(f"Ungültige E-Mail-Adresse: {adresse!r}") from error
    message["Subject"] = " ".join(betreff.split())
    message["Date"] = format_datetime(utcnow(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text, cte="quoted-printable")  # 7-bit safe for servers without 8BITMIME
    for dateiname, mime_typ, daten in anhaenge:
        haupt, _, unter = mime_typ.partition("/")
        message.add_attachment(daten, maintype=haupt, subtype=unter or "octet-stream", filename=dateiname)
    return message


class _SmtpVersand:
    """Sends over one open SMTP connection."""

    def __init__(self, smtp: smtplib.SMTP, absender: str):
        """Wrap an already connected (and authenticated) client."""
        self._smtp = smtp
        self._absender = absender
        self.gesendet = 0

    def senden(self, an: str, betreff: str, text: str, anhaenge: Sequence[Datei] = ()) -> None:
        """Send one mail; raise MailFehler for this mail, VerbindungsFehler when the connection is gone."""
        try:
            self._smtp.send_message(nachricht(self._absender, an, betreff, text, anhaenge), to_addrs=[an])
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

    def senden(self, an: str, betreff: str, text: str, anhaenge: Sequence[Datei] = ()) -> None:
        """Pretend to send: build and serialise the message like real sending up to the socket, then drop it."""
        nachricht("amtsfluss@localhost", an, betreff, text, anhaenge).as_bytes()
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
