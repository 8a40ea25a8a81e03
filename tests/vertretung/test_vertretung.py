"""Vertretung: while Sabine is away, Paul sees and gets her Vorgänge, tasks, Wiedervorlagen and notifications
(issue 17, item 16)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.timeutil import heute
from app.vorgaenge import aktionen
from app.wiedervorlagen.models import Benachrichtigung
from app.wiedervorlagen.service import wiedervorlage_anlegen
from tests import factories
from tests.aufgaben.conftest import vorgang_mit_verfahren


@pytest.fixture
def team(app, ordnungsamt) -> dict[str, Benutzer]:
    """sabine and paul (caseworkers), lea (Leitung), bernd in another OE; procedures deployed."""
    _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
    assert fehler == []
    factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt])
    factories.benutzer("bernd", "Bernd Bau", ["sachbearbeitung"], [factories.oe("Bauamt", "197009", "31006")])
    db.session.commit()
    return {b.login: b for b in db.session.scalars(select(Benutzer))}


def _abwesend(client, auth, von: str, bis: str, vertreter: Benutzer, login: str = "sabine"):
    """Enter an absence on the settings page; returns the page after the redirect."""
    auth.login(login)
    antwort = client.post(
        "/einstellungen/vertretung", data={"von": von, "bis": bis, "vertreter": vertreter.id}, follow_redirects=True
    )
    auth.logout()
    return antwort.get_data(as_text=True)


def test_deputy_sees_and_gets_everything_of_the_absent_colleague_for_that_time(uhr, team, ordnungsamt, client, auth):
    """Vorgänge, tasks, Wiedervorlagen under „Meine …“, and her notifications — only from von to bis."""
    sabine, paul = team["sabine"], team["paul"]
    v = vorgang_mit_verfahren(ordnungsamt)
    aktionen.zuweisen(v, sabine, sabine)
    wiedervorlage_anlegen(v, "Rückruf Bauherr", heute() + timedelta(days=1), zugewiesen_an=sabine, herkunft="manuell")
    db.session.commit()
    seite = _abwesend(client, auth, "30.11.2026", "04.12.2026", paul)
    assert "Paul Weber vertritt Sie" in seite
    auth.login("paul")
    assert v.nummer in client.get("/?ansicht=meine").get_data(as_text=True)
    assert v.nummer in client.get("/aufgaben").get_data(as_text=True)
    assert "Rückruf Bauherr" in client.get("/wiedervorlagen").get_data(as_text=True)
    assert "Sie vertreten heute: Sabine Berger" in client.get("/einstellungen").get_data(as_text=True)
    w = factories.vorgang(ordnungsamt)
    aktionen.zuweisen(w, team["lea"], sabine)
    db.session.commit()
    titel_paul = db.session.scalars(select(Benachrichtigung.titel).where(Benachrichtigung.empfaenger_id == paul.id))
    assert "Vorgang zugewiesen" in list(titel_paul)
    uhr.vorstellen(timedelta(days=5))  # 05.12.: Sabine is back
    assert v.nummer not in client.get("/?ansicht=meine").get_data(as_text=True)
    assert v.nummer not in client.get("/aufgaben").get_data(as_text=True)


def test_absences_are_checked(uhr, team, client, auth):
    """Deputy from another OE, end before start, overlap, impossible date: a message, nothing stored."""
    assert "Organisationseinheit" in _abwesend(client, auth, "01.12.2026", "02.12.2026", team["bernd"])
    assert "vor ihrem Anfang" in _abwesend(client, auth, "05.12.2026", "02.12.2026", team["paul"])
    assert "Paul Weber vertritt Sie" in _abwesend(client, auth, "01.12.2026", "10.12.2026", team["paul"])
    assert "schon eine Abwesenheit" in _abwesend(client, auth, "09.12.2026", "12.12.2026", team["lea"])
    assert "kein gültiges Datum" in _abwesend(client, auth, "31.02.2027", "02.03.2027", team["paul"])
    auth.login()
    seite = client.get("/einstellungen").get_data(as_text=True)
    assert seite.count("Vertretung: Paul Weber") == 1
    ansicht = seite[seite.index("/einstellungen/vertretung/") :].split("/")[3]
    client.post(f"/einstellungen/vertretung/{ansicht}/loeschen")
    assert "Vertretung: Paul Weber" not in client.get("/einstellungen").get_data(as_text=True)
