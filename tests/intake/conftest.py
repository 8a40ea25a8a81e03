"""Fixtures for the intake tests: sources with credentials, routing, deployed procedures, the myForm sample."""

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.intake.models import Eingang, IntakeRouting
from app.intake.zugang import quelle_anlegen
from app.organisation.models import Organisationseinheit
from app.vorgaenge.models import Vorgang
from tests.factories import benutzer, oe
from tests.fixtures import myform_baumfaellung


@dataclass
class Intake:
    """What the tests need to deliver: auth headers per source and the two OEs."""

    ozg_auth: str
    if_auth: str
    ozg_token: str
    ordnungsamt: Organisationseinheit
    buergerbuero: Organisationseinheit


def verfahren_deployen() -> None:
    """Deploy the shipped procedures."""
    if list((ROOT / "processes").glob("*.bpmn")):
        _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
        assert not fehler, fehler


@pytest.fixture
def intake(app, ordnungsamt) -> Intake:
    """An OZG-Cloud source (bearer token), an intelliForm source (HTTP Basic), a default OE Bürgerbüro, an
    system administrator `anton` (sources, routing and unrouted Eingänge are installation-wide), and the deployed
    procedures."""
    buergerbuero = oe("Bürgerbüro", "100000", "31006")
    benutzer("anton", "Anton Richter", ["systemadministration"], [ordnungsamt, buergerbuero])
    _ozg, token = quelle_anlegen("amt24", "ozgcloud")
    _if, passwort = quelle_anlegen("intelliform-lhm", "intelliform", benutzername="if-server")
    db.session.add(IntakeRouting(art="standard", schluessel="*", oe_id=buergerbuero.id))
    db.session.commit()
    verfahren_deployen()
    basic = base64.b64encode(f"if-server:{passwort}".encode()).decode()
    return Intake(f"Bearer {token}", f"Basic {basic}", token, ordnungsamt, buergerbuero)


@pytest.fixture(scope="session")
def myform_xml() -> bytes:
    """The intelliForm myForm XML sample from tests/fixtures."""
    return myform_baumfaellung()


def anzahl(modell) -> int:
    """Rows of a model, read fresh."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(modell))


def anzahl_eingaenge() -> int:
    """Number of stored Eingänge."""
    return anzahl(Eingang)


def anzahl_vorgaenge() -> int:
    """Number of Vorgänge."""
    return anzahl(Vorgang)


def datei_pfad(app, sha256: str) -> Path:
    """Where the content store keeps a file."""
    return Path(app.config["DATENABLAGE"]) / sha256[:2] / sha256[2:4] / sha256
