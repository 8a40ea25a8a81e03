"""Fixtures of the Postfach tests: a Vorgang whose applicant has an e-mail and a postal address, a real SMTP server."""

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from tests.factories import vorgang
from tests.wiedervorlagen.conftest import smtp  # noqa: F401 — the real SMTP server (aiosmtpd)

ANTRAGSTELLER = {
    "art": "person",
    "vorname": "Anna",
    "nachname": "Schäfer",
    "strasse": "Domstraße",
    "hausnummer": "4",
    "plz": "97070",
    "ort": "Würzburg",
    "email": "anna@example.org",
}


@pytest.fixture(autouse=True)
def ohne_eingangsbestaetigung(app):
    """Tests count the messages they write; the automatic acknowledgement has its own test."""
    app.config["POSTFACH_EINGANGSBESTAETIGUNG"] = False


@pytest.fixture
def sabine(app, ordnungsamt) -> Benutzer:
    """The caseworker of the Ordnungsamt."""
    return db.session.scalar(select(Benutzer).where(Benutzer.login == "sabine"))


@pytest.fixture
def akte(app, ordnungsamt, sabine):
    """A Vorgang of the Ordnungsamt assigned to sabine, applicant with e-mail and address."""
    v = vorgang(ordnungsamt, antragsteller=dict(ANTRAGSTELLER))
    v.bearbeiter_id = sabine.id
    db.session.commit()
    return v
