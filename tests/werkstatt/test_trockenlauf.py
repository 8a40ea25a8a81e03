"""Dry run on recorded cases: the last finished Vorgänge replayed against a draft, differences per case."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.models import ProzessInstanz
from app.extensions import db
from tests.engine.conftest import erledige, neuer_vorgang
from tests.factories import benutzer, oe

HUNDESTEUER = (ROOT / "processes" / "hundesteuer.bpmn").read_text(encoding="utf-8")


def _abschliessen(bearbeiter, amt, listenhund: str = "false"):
    v = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(bearbeiter, v, "anmeldung_pruefen", entscheidung="annehmen")
    erledige(bearbeiter, v, "angaben_erfassen", anzahl_hunde=2, listenhund=listenhund)
    if listenhund == "true":
        erledige(bearbeiter, v, "wesenstest_pruefen", wesenstest_datum="2026-10-01")
    erledige(bearbeiter, v, "bescheid_versenden", hundemarke="2026-0815")
    assert v.status == "Abgeschlossen"
    return v


@pytest.fixture
def faelle(amt, verfahren):
    """Two finished Hundesteuer Vorgänge of dora's OE (one with a Listenhund) and one of another OE."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    kaemmerei = oe("Kämmerei", "197009", "31006")
    kurt = benutzer("kurt", "Kurt Kasse", ["sachbearbeitung"], [kaemmerei])
    db.session.commit()
    return [_abschliessen(sabine, amt), _abschliessen(sabine, amt, "true"), _abschliessen(kurt, kaemmerei)]


def _trockenlauf(client, xml: str) -> str:
    client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml})
    antwort = client.get("/werkstatt/verfahren/hundesteuer/trockenlauf")
    assert antwort.status_code == 200
    return antwort.get_data(as_text=True)


def test_unchanged_draft_behaves_like_every_recorded_case(app, client, dora, faelle):
    """The deployed model as draft: three cases, no difference; foreign cases without their number."""
    text = _trockenlauf(client, HUNDESTEUER)
    assert "3 Vorgänge geprüft, 0 mit Abweichungen." in text
    assert faelle[0].nummer in text and faelle[1].nummer in text
    assert faelle[2].nummer not in text and "(nicht sichtbar)" in text


def test_new_required_field_and_removed_task_are_reported(app, client, dora, faelle):
    """A new required field in the last task and a removed Wesenstest task show up per case and step."""
    pflicht = HUNDESTEUER.replace(
        '<camunda:formField id="hundemarke"',
        '<camunda:formField id="farbe" label="Farbe der Marke" type="string">'
        '<camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>'
        '<camunda:formField id="hundemarke"',
    )
    text = _trockenlauf(client, pflicht)
    assert "3 Vorgänge geprüft, 3 mit Abweichungen." in text
    assert "Feld „farbe“: „Farbe der Marke“ ist ein Pflichtfeld." in text

    ohne_wesenstest = HUNDESTEUER.replace('id="wesenstest_pruefen"', 'id="wesenstest_bewerten"').replace(
        'bpmnElement="wesenstest_pruefen"', 'bpmnElement="wesenstest_bewerten"'
    )
    ohne_wesenstest = ohne_wesenstest.replace('Ref="wesenstest_pruefen"', 'Ref="wesenstest_bewerten"')
    text = _trockenlauf(client, ohne_wesenstest)
    assert "3 Vorgänge geprüft, 1 mit Abweichungen." in text
    assert "Die Aufgabe „wesenstest_pruefen“ ist nicht offen." in text


def test_dry_run_changes_nothing(app, client, dora, faelle):
    """Replaying leaves the recorded instances as they were; no case without finished Vorgänge breaks the page."""
    vorher = db.session.scalars(select(ProzessInstanz.version).order_by(ProzessInstanz.id)).all()
    _trockenlauf(client, HUNDESTEUER)
    db.session.expire_all()
    assert db.session.scalars(select(ProzessInstanz.version).order_by(ProzessInstanz.id)).all() == vorher
    assert db.session.scalar(select(func.count()).select_from(ProzessInstanz)) == 3
    client.post("/werkstatt/neu", data={"key": "leer", "name": "Leer"})
    assert "noch keine abgeschlossenen" in client.get("/werkstatt/verfahren/leer/trockenlauf").get_data(as_text=True)
