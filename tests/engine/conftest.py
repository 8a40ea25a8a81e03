"""Fixtures of the engine tests: deployed shipped procedures, users per role, a Vorgang factory."""

from pathlib import Path

import pytest

from app.config import ROOT
from app.engine import runner
from app.engine.registry import deploy_pfad
from app.extensions import db
from tests.factories import benutzer, oe, vorgang

PROCESSES = ROOT / "processes"
BEISPIELE = Path(__file__).parent / "bpmn"


@pytest.fixture
def amt(app):
    """An OE with a caseworker (sabine) and a team lead (lars)."""
    amt = oe("Ordnungsamt", "197008", "31005")
    benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
    benutzer("lars", "Lars Hoffmann", ["leitung"], [amt])
    db.session.commit()
    return amt


@pytest.fixture
def sabine(amt):
    """The caseworker."""
    from app.auth.models import Benutzer

    return db.session.scalars(db.select(Benutzer).filter_by(login="sabine")).one()


@pytest.fixture
def lars(amt):
    """The team lead."""
    from app.auth.models import Benutzer

    return db.session.scalars(db.select(Benutzer).filter_by(login="lars")).one()


@pytest.fixture
def verfahren(app):
    """The shipped procedures, deployed."""
    ergebnisse, fehler = deploy_pfad(PROCESSES)
    assert fehler == []
    return {e.key: e for e in ergebnisse}


def neuer_vorgang(amt, formular_id="unbekannt", verfahren_key=None, **kwargs):
    """A Vorgang with its procedure started and committed."""
    v = vorgang(amt, formular_id=formular_id, **kwargs)
    db.session.flush()
    runner.start(v, verfahren_key)
    db.session.commit()
    return v


def erledige(benutzer, vorgang, element_id, **daten):
    """Complete the open task `element_id` of a Vorgang with form data."""
    offene = [a for a in runner.offene_aufgaben(vorgang=vorgang) if a.element_id == element_id]
    assert offene, f"keine offene Aufgabe {element_id}; offen: {offene_ids(vorgang)}"
    runner.abschliessen(offene[0].task_id, {k: str(v) for k, v in daten.items()}, benutzer)
    db.session.refresh(vorgang)


def offene_ids(vorgang) -> list[str]:
    """Element ids of the open tasks of a Vorgang."""
    return sorted(a.element_id for a in runner.offene_aufgaben(vorgang=vorgang))
