"""Fixtures of the conformance suite: deploy one of the small models in `modelle/` and drive an instance."""

from pathlib import Path

import pytest

from app.engine.models import ProzessInstanz
from app.engine.registry import deploy_xml
from app.extensions import db

MODELLE = Path(__file__).parent / "modelle"


@pytest.fixture
def modell(app):
    """Deploy a model of `modelle/` by file name and return its process key."""

    def deploy(name: str) -> str:
        datei = MODELLE / name
        ergebnis = deploy_xml(datei.read_bytes(), str(datei))
        db.session.commit()
        return ergebnis.key

    return deploy


def instanz(vorgang) -> ProzessInstanz:
    """The process instance of a Vorgang, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()
