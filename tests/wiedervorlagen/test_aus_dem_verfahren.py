"""Wiedervorlagen set by a procedure reach the Bearbeiter, follow reassignment and close with their step or the
Vorgang (issue 17, defect 2)."""

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.timeutil import heute
from app.vorgaenge import aktionen
from app.vorgaenge.models import HistorieEintrag
from app.wiedervorlagen.models import Wiedervorlage
from app.wiedervorlagen.service import wiedervorlage_anlegen
from tests.engine.conftest import PROCESSES, erledige, neuer_vorgang
from tests.factories import benutzer, vorgang


@pytest.fixture
def verfahren(app):
    """The shipped procedures, deployed."""
    _ergebnisse, fehler = deploy_pfad(PROCESSES)
    assert fehler == []


def _wiedervorlagen(vorgang) -> list[Wiedervorlage]:
    """The Vorgang's Wiedervorlagen, read fresh."""
    db.session.expire_all()
    return list(db.session.scalars(select(Wiedervorlage).where(Wiedervorlage.vorgang_id == vorgang.id)))


def _personen(ordnungsamt):
    """sabine (caseworker), paul (caseworker), lars (Leitung)."""
    paul = benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    lars = benutzer("lars", "Lars Hoffmann", ["leitung"], [ordnungsamt])
    db.session.commit()
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    return sabine, paul, lars


def test_procedure_wiedervorlage_goes_to_the_bearbeiter_follows_reassignment_and_closes_with_its_step(
    app, ordnungsamt, verfahren
):
    """`bearbeiten` has camunda:followUpDate: its Wiedervorlage follows the Bearbeiter and ends with the step."""
    sabine, paul, lars = _personen(ordnungsamt)
    v = neuer_vorgang(ordnungsamt)
    aktionen.zuweisen(v, sabine, sabine)
    db.session.commit()
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    [wv] = _wiedervorlagen(v)
    assert wv.herkunft == "prozess" and wv.status == "offen" and wv.zugewiesen_an_id == sabine.id

    aktionen.zuweisen(v, lars, paul)
    db.session.commit()
    [wv] = _wiedervorlagen(v)
    assert wv.zugewiesen_an_id == paul.id

    erledige(paul, v, "bearbeiten", ergebnis="stattgeben", vermerk="passt")
    [wv] = _wiedervorlagen(v)
    assert wv.status == "erledigt" and wv.erinnerung_faellig_am is None
    notizen = db.session.scalars(
        select(HistorieEintrag.notiz).where(
            HistorieEintrag.vorgang_id == v.id, HistorieEintrag.aktion.like("Wiedervorlage%")
        )
    ).all()
    assert "folgt der Zuweisung" in notizen and "Verfahrensschritt erledigt" in notizen


def test_unassigned_procedure_wiedervorlage_is_taken_along_when_someone_takes_the_vorgang(app, ordnungsamt, verfahren):
    """Set while nobody works the Vorgang, the Wiedervorlage goes to whoever takes it on; one of a third person
    stays theirs."""
    sabine, paul, _lars = _personen(ordnungsamt)
    v = neuer_vorgang(ordnungsamt)
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")

    fremde = wiedervorlage_anlegen(v, "Rückruf Paul", heute(), zugewiesen_an=paul, herkunft="manuell")
    db.session.commit()
    aktionen.zuweisen(v, sabine, sabine)
    db.session.commit()
    nach_betreff = {wv.betreff: wv.zugewiesen_an_id for wv in _wiedervorlagen(v)}
    assert nach_betreff == {"Wiedervorlage: Antrag bearbeiten": sabine.id, "Rückruf Paul": paul.id}
    assert fremde.id


def test_open_wiedervorlagen_close_when_the_vorgang_is_verworfen(app, ordnungsamt, verfahren):
    """A Vorgang that is no longer open keeps no open Wiedervorlage (manual ones included)."""
    sabine, _paul, _lars = _personen(ordnungsamt)
    v = neuer_vorgang(ordnungsamt)
    aktionen.zuweisen(v, sabine, sabine)
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")

    wiedervorlage_anlegen(v, "Unterlagen prüfen", heute(), erstellt_von=sabine, herkunft="manuell")
    db.session.commit()
    aktionen.verwerfen(v, sabine, "Antrag zurückgezogen")
    db.session.commit()
    assert {wv.status for wv in _wiedervorlagen(v)} == {"erledigt"}


def test_a_new_wiedervorlage_defaults_to_me(client, auth, app, ordnungsamt):
    """The form preselects the person who opens it, not the (absent) Bearbeiter."""

    v = vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    seite = client.get(f"/wiedervorlagen/neu/{v.nummer}").get_data(as_text=True)
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    assert f'<option selected value="{sabine.id}">' in seite or f'value="{sabine.id}" selected' in seite
