"""Fixtures of the workbench tests: deployed shipped procedures, a process designer `dora`, the Vorgang helpers."""

import pytest

from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from tests.factories import benutzer, oe

PROCESSES = ROOT / "processes"


@pytest.fixture
def amt(app):
    """An OE with a caseworker (sabine), a process designer (dora, dirk) and an administrator (anton)."""
    amt = oe("Ordnungsamt", "197008", "31005")
    benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
    benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
    benutzer("dirk", "Dirk Design", ["verfahrensdesign"], [amt])
    benutzer("anton", "Anton Richter", ["administration"], [amt])
    db.session.commit()
    return amt


@pytest.fixture
def verfahren(app):
    """The shipped procedures, deployed (as the CLI does)."""
    _ergebnisse, fehler = deploy_pfad(PROCESSES, von="CLI")
    assert fehler == []


@pytest.fixture
def dora(amt, client, auth):
    """The process designer, logged in on the test client."""
    from app.auth.models import Benutzer

    auth.login("dora")
    return db.session.scalars(db.select(Benutzer).filter_by(login="dora")).one()
