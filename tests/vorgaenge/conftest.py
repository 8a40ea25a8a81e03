"""Fixtures for the Vorgang pages: applications delivered through the real intake endpoints."""

import base64
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.intake.models import IntakeRouting
from app.intake.zugang import quelle_anlegen
from app.vorgaenge.models import Vorgang

SOAP = "text/xml; charset=utf-8"


@dataclass
class Zustellung:
    """Deliver simulated applications as the form services do; returns the new Vorgang."""

    client: object
    ozg_auth: str
    if_auth: str

    def ozg(self, body: bytes, typ: str) -> Vorgang:
        """POST an OZG-Cloud multipart delivery to /antrag."""
        antwort = self.client.post("/antrag", data=body, headers={"Authorization": self.ozg_auth, "Content-Type": typ})
        assert antwort.status_code == 201, antwort.get_data(as_text=True)
        return _neuester()

    def intelliform(self, envelope: bytes) -> Vorgang:
        """POST an intelliForm deposit envelope."""
        antwort = self.client.post(
            "/intelliform/deposit", data=envelope, headers={"Authorization": self.if_auth, "Content-Type": SOAP}
        )
        assert antwort.status_code == 200, antwort.get_data(as_text=True)
        return _neuester()


def _neuester() -> Vorgang:
    """The Vorgang created last."""
    db.session.rollback()
    return db.session.scalars(select(Vorgang).order_by(Vorgang.id.desc())).first()


@pytest.fixture
def zustellung(app, client, ordnungsamt) -> Zustellung:
    """Sources for OZG-Cloud and intelliForm, every application routed to the Ordnungsamt, procedures deployed."""
    _ozg, token = quelle_anlegen("amt24", "ozgcloud")
    _if, passwort = quelle_anlegen("intelliform-lhm", "intelliform", benutzername="if-server")
    db.session.add(IntakeRouting(art="standard", schluessel="*", oe_id=ordnungsamt.id))
    db.session.commit()
    _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
    assert not fehler, fehler
    db.session.commit()
    basic = base64.b64encode(f"if-server:{passwort}".encode()).decode()
    return Zustellung(client, f"Bearer {token}", f"Basic {basic}")
