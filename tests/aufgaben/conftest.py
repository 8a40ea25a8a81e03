"""Fixtures of the task-form tests: the shipped procedures deployed, a Vorgang with its procedure started."""

import pytest

from app.config import ROOT
from app.extensions import db
from tests import factories


@pytest.fixture
def verfahren(app):
    """The shipped procedures, deployed."""
    from app.engine.registry import deploy_pfad

    ergebnisse, fehler = deploy_pfad(ROOT / "processes")
    assert fehler == []
    return {e.key: e for e in ergebnisse}


def vorgang_mit_verfahren(amt, formular_id="unbekannt", **kwargs):
    """A Vorgang whose procedure (routed by form id; the general one for unknown forms) runs."""
    from app.engine import runner

    v = factories.vorgang(amt, formular_id=formular_id, **kwargs)
    db.session.flush()
    runner.start(v)
    db.session.commit()
    return v
