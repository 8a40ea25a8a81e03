"""The legal processing deadline of a procedure on the list and the Vorgang, with a warning (issue 17, item 15)."""

from datetime import date, timedelta

import pytest

from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.fristen.bearbeitungsfrist import berechnen
from app.vorgaenge import aktionen
from tests.aufgaben.conftest import vorgang_mit_verfahren


@pytest.fixture
def verfahren(app):
    """The shipped procedures, deployed."""
    _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
    assert fehler == []


def test_three_months_end_on_the_same_day_or_the_months_last():
    """30.11. + 3 months = 28.02. (clamped); the warning starts `warnen_tage` before."""
    regel = {"monate": 3, "genehmigungsfiktion": True, "warnen_tage": 14}
    frist = berechnen(date(2026, 11, 30), regel, date(2026, 12, 1))
    assert frist.ende == date(2027, 2, 28) and frist.tage_uebrig == 89 and not frist.warnen
    spaet = berechnen(date(2026, 11, 30), regel, date(2027, 2, 20))
    assert spaet.warnen and spaet.text == "28.02.2027 (noch 8 Tage)"
    vorbei = berechnen(date(2026, 11, 30), regel, date(2027, 3, 1))
    assert vorbei.abgelaufen and vorbei.text == "28.02.2027 (abgelaufen – Genehmigungsfiktion prüfen)"


def test_list_and_detail_warn_before_the_deadline_of_a_baumfaellung(uhr, app, client, auth, ordnungsamt, verfahren):
    """A Baumfällung received today: the detail page names the deadline; 80 days on the list warns."""
    v = vorgang_mit_verfahren(ordnungsamt, formular_id="baumfaellung", formular_name="Antrag auf Baumfällung")
    andere = vorgang_mit_verfahren(ordnungsamt)  # the general procedure has no legal deadline
    auth.login()
    detail = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Bearbeitungsfrist" in detail and "28.02.2027 (noch 90 Tage)" in detail
    assert "danach gilt der Antrag als genehmigt" in detail
    assert "Bearbeitungsfrist" not in client.get(f"/vorgang/{andere.nummer}").get_data(as_text=True)
    assert "Frist 28.02.2027" not in client.get("/").get_data(as_text=True)
    uhr.vorstellen(timedelta(days=80))
    assert client.get("/").get_data(as_text=True).count("Frist 28.02.2027") == 1
    uhr.vorstellen(timedelta(days=11))
    assert "Frist abgelaufen" in client.get("/").get_data(as_text=True)
    aktionen.verwerfen(v, aktionen.kollegen(v)[0], "zurückgezogen")
    db.session.commit()
    assert "Frist abgelaufen" not in client.get("/").get_data(as_text=True)  # closed: no deadline any more
