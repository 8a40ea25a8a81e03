"""Fixtures of the Bescheid tests: text blocks, a template, a Vorgang with applicant data, a team lead."""

import pytest

from app.bescheide import service
from app.extensions import db
from tests.engine.conftest import verfahren  # noqa: F401 — the shipped procedures, deployed
from tests.factories import benutzer
from tests.postfach.conftest import akte, ohne_eingangsbestaetigung, sabine  # noqa: F401 — Vorgang, caseworker

VORLAGE = """<p>Sehr geehrte(r) {{ antragsteller.name }},</p>
<p>auf Ihren Antrag vom {{ vorgang.eingangsdatum }} ({{ vorgang.formular }}) ergeht folgender</p>
<h2>Bescheid</h2>
<p>Die Fällung des Baumes ({{ formular.baumart }}) wird genehmigt.</p>
<h3>Begründung</h3>
{{ textbaustein.begruendung }}
<h3>Rechtsbehelfsbelehrung</h3>
{{ textbaustein.rechtsbehelf }}"""


@pytest.fixture
def vorlage(app):
    """Text blocks and a Genehmigung template for Baumfällung."""
    service.textbaustein_speichern(None, "begruendung", "Begründung", "Der Baum ist krank.\n\nEr gefährdet den Weg.")
    service.textbaustein_speichern(
        None,
        "rechtsbehelf",
        "Rechtsbehelfsbelehrung",
        "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Klage erhoben werden.",
    )
    v = service.vorlage_speichern(None, "baumfaellung", "genehmigung", "Fällgenehmigung", VORLAGE, False)
    db.session.commit()
    return v


@pytest.fixture
def leitung(app, ordnungsamt):
    """The team lead of the Ordnungsamt."""
    person = benutzer("lena", "Lena Leitner", ["leitung"], [ordnungsamt])
    db.session.commit()
    return person
