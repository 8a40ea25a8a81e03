"""Who is told about what, in the app and (by choice) by e-mail (issue 17, item 11)."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.benachrichtigungen.service import mail_arten_setzen
from app.config import ROOT
from app.engine.registry import deploy_pfad
from app.extensions import db
from app.vorgaenge import aktionen
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang
from tests import factories
from tests.aufgaben.conftest import vorgang_mit_verfahren
from tests.engine.conftest import erledige


@pytest.fixture
def team(app, ordnungsamt) -> dict[str, Benutzer]:
    """sabine and paul (caseworkers), lea (Leitung), ada (administration); procedures deployed."""
    _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
    assert fehler == []
    factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt])
    factories.benutzer("ada", "Ada Admin", ["administration"], [ordnungsamt])
    db.session.commit()
    return {b.login: b for b in db.session.scalars(select(Benutzer))}


def _titel(benutzer: Benutzer) -> list[str]:
    """The titles of a user's notifications, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Benachrichtigung.titel)
            .where(Benachrichtigung.empfaenger_id == benutzer.id)
            .order_by(Benachrichtigung.id)
        )
    )


def test_a_new_application_is_counted_for_the_caseworkers_of_the_oe_only(team, ordnungsamt, client, auth):
    """Its first task waits for Sachbearbeitung: sabine's and paul's Aufgaben badge counts it, no row per person;
    Leitung and Administration see no badge."""
    vorgang_mit_verfahren(ordnungsamt)
    assert all(_titel(b) == [] for b in team.values())
    auth.login("paul")
    assert re.search(r'Aufgaben\s*<span class="badge" title="für Ihre Rollen offen">1<', client.get("/").get_data(True))
    auth.logout()
    auth.login("lea")
    assert 'title="für Ihre Rollen offen"' not in client.get("/").get_data(as_text=True)


def test_a_task_for_a_role_is_mailed_to_those_who_chose_it(team, ordnungsamt):
    """Paul wants „Aufgabe wartet“ by e-mail: he gets one mail, sabine (who did not choose it) none."""
    mail_arten_setzen(team["paul"], {"aufgabe"})
    db.session.commit()
    v = vorgang_mit_verfahren(ordnungsamt)
    mails = db.session.scalars(select(Mailausgang)).all()
    assert [(m.empfaenger_id, m.betreff) for m in mails] == [
        (team["paul"].id, f"Aufgabe wartet: Antrag prüfen – Vorgang {v.nummer}")
    ]


def test_assignment_and_next_steps_go_to_the_bearbeiter_not_to_the_one_who_acted(team, ordnungsamt):
    """Lea gives the Vorgang to Paul: Paul is told; Paul's own next step does not notify Paul again."""
    v = vorgang_mit_verfahren(ordnungsamt)
    aktionen.zuweisen(v, team["lea"], team["paul"])
    db.session.commit()
    assert _titel(team["paul"])[-1] == "Vorgang zugewiesen"
    vorher = len(_titel(team["sabine"]))
    erledige(team["paul"], v, "antrag_pruefen", entscheidung="annehmen")
    db.session.commit()
    assert _titel(team["paul"])[-1] == "Vorgang zugewiesen"  # nothing new for his own step
    assert len(_titel(team["sabine"])) == vorher  # the next step is Paul's, not the whole team's


def test_deletion_request_and_applicant_reply_reach_the_right_people(team, ordnungsamt):
    """A deletion request reaches everyone else who may confirm; a reply reaches the Bearbeiter."""
    v = factories.vorgang(ordnungsamt)
    aktionen.zuweisen(v, team["sabine"], team["sabine"])
    aktionen.verwerfen(v, team["sabine"], "doppelt")
    aktionen.loeschen_beantragen(v, team["sabine"], "Dublette")
    db.session.commit()
    assert "Löschung zu bestätigen" in _titel(team["paul"]) and "Löschung zu bestätigen" in _titel(team["lea"])
    assert "Löschung zu bestätigen" not in _titel(team["sabine"]) + _titel(team["ada"])
    w = factories.vorgang(ordnungsamt)
    aktionen.zuweisen(w, team["paul"], team["paul"])
    aktionen.nachricht_als_ungelesen_markieren(w)
    db.session.commit()
    assert _titel(team["paul"])[-1] == "Nachricht vom Antragsteller"
    assert "Nachricht vom Antragsteller" not in _titel(team["sabine"])


def test_email_only_for_the_kinds_a_user_chose(team, ordnungsamt, client, auth):
    """Sabine ticks „Vorgang zugewiesen“ in the settings: that kind comes by mail too, others stay in the app."""
    auth.login()
    seite = client.get("/einstellungen").get_data(as_text=True)
    assert "Benachrichtigungen per E-Mail" in seite
    antwort = client.post("/einstellungen/benachrichtigungen", data={"art": ["zuweisung", "unsinn"]})
    assert antwort.status_code == 302
    assert 'value="zuweisung" checked' in client.get("/einstellungen").get_data(as_text=True)
    v = vorgang_mit_verfahren(ordnungsamt)  # "Aufgabe wartet" – in the app only
    aktionen.zuweisen(v, team["lea"], team["sabine"])
    db.session.commit()
    mails = db.session.scalars(select(Mailausgang).where(Mailausgang.empfaenger_id == team["sabine"].id)).all()
    assert [m.betreff for m in mails] == [f"Vorgang zugewiesen – Vorgang {v.nummer}"]
    assert f"/vorgang/{v.nummer}" in mails[0].text and mails[0].status == "wartend"


def test_header_counts_unread_notifications(team, ordnungsamt, client, auth):
    """The menu shows how many notifications are unread."""
    for _ in range(2):
        v = factories.vorgang(ordnungsamt)
        aktionen.zuweisen(v, team["lea"], team["sabine"])
    db.session.commit()
    auth.login()
    kopf = client.get("/").get_data(as_text=True)
    assert re.search(r'Benachrichtigungen\s*<span class="badge">2<span class="visually-hidden"> ungelesen', kopf)
