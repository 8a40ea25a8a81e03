"""Fixtures of the Wiedervorlagen tests: a real SMTP server (aiosmtpd) and a Vorgang (the clock `uhr` is global)."""

import socket

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from tests.factories import vorgang


class Postfach:
    """aiosmtpd handler that keeps every received message."""

    def __init__(self):
        """Start empty."""
        self.nachrichten: list = []
        self.verweigert: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Refuse the addresses in `verweigert`, accept all others."""
        if address in self.verweigert:
            return "550 5.1.1 Empfänger unbekannt"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        """Store the message and accept it."""
        self.nachrichten.append(envelope)
        return "250 OK"


def freier_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free local port; the app is configured to send through it."""
    postfach = Postfach()
    controller = Controller(postfach, hostname="127.0.0.1", port=freier_port())
    controller.start()
    postfach.port = controller.port
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_SENDER="amtsfluss@stadt.example")
    yield postfach
    controller.stop()


@pytest.fixture
def akte(app, ordnungsamt):
    """A Vorgang of the Ordnungsamt assigned to sabine."""
    from app.auth.models import Benutzer

    sabine = db.session.query(Benutzer).filter_by(login="sabine").one()
    v = vorgang(ordnungsamt)
    v.bearbeiter_id = sabine.id
    db.session.commit()
    return v
