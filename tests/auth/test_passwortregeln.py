"""One password policy for the CLI, the own settings page and the administration form."""

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.auth.passwortregeln import HAEUFIGE_PASSWOERTER, verstoesse
from app.extensions import db
from tests import factories
from tests.factories import PASSWORT

#: Passwords every entry point refuses, with the start of the German reason (user: sabine / Sabine Berger).
SCHLECHT = [
    ("x", "mindestens 12 Zeichen"),
    ("aaaaaaaaaaaa", "einzigen wiederholten Zeichen"),
    ("passwort1234", "zu verbreitet"),
    ("Sommer2024!!", "zu verbreitet"),
    ("123456789012", "zu verbreitet"),
    ("SabineSabine12", "Benutzernamen noch den Namen"),
    ("mein-berger-passwort", "Benutzernamen noch den Namen"),
]


def test_the_common_password_list_ships_with_the_package(app):
    """A few thousand entries, lower-case, in the package."""
    eintraege = HAEUFIGE_PASSWOERTER.read_text(encoding="utf-8").split()
    assert len(eintraege) > 3000
    assert all(e == e.lower() for e in eintraege)


@pytest.mark.parametrize(("passwort", "grund"), SCHLECHT)
def test_policy_refuses(app, passwort, grund):
    """Each rule on its own."""
    assert any(grund in fehler for fehler in verstoesse(passwort, "sabine", "Sabine Berger"))


def test_policy_accepts_a_long_unusual_password(app):
    """The test password itself is fine."""
    assert verstoesse(PASSWORT, "sabine", "Sabine Berger") == []
    assert verstoesse("Kaffeetasse-Fahrrad-Wolke", "sabine", "Sabine Berger") == []


def test_minimum_length_is_a_setting(app):
    """PASSWORD_MIN_LENGTH raises the bar."""
    app.config["PASSWORD_MIN_LENGTH"] = 30
    assert any("mindestens 30 Zeichen" in f for f in verstoesse(PASSWORT, "sabine", "Sabine Berger"))


@pytest.mark.parametrize(("passwort", "grund"), SCHLECHT)
def test_cli_create_user_refuses(app, runner, ordnungsamt, passwort, grund):
    """`flask create-user` says why and creates nobody."""
    ergebnis = runner.invoke(
        args=["create-user", "--login", "sabine2", "--name", "Sabine Berger", "--rolle", "sachbearbeitung"]
        + ["--oe", "197008", "--password", passwort.replace("sabine", "sabine2").replace("Sabine", "Sabine2")]
    )
    assert ergebnis.exit_code != 0
    assert grund in ergebnis.output
    assert db.session.scalars(select(Benutzer).where(Benutzer.login == "sabine2")).first() is None


@pytest.mark.parametrize(("passwort", "grund"), SCHLECHT)
def test_own_password_change_refuses(app, client, auth, ordnungsamt, passwort, grund):
    """The settings page shows the reason and keeps the old password."""
    auth.login()
    antwort = client.post("/einstellungen", data={"altes_passwort": PASSWORT, "neues_passwort": passwort})
    assert antwort.status_code == 400
    assert grund in antwort.get_data(as_text=True)
    auth.logout()
    assert auth.login().status_code == 302


@pytest.mark.parametrize(("passwort", "grund"), SCHLECHT)
def test_administration_form_refuses(app, client, auth, ordnungsamt, passwort, grund):
    """Creating a user in the administration applies the same rules."""
    factories.benutzer("anton", "Anton Richter", ["administration"], [ordnungsamt])
    db.session.commit()
    auth.login("anton")
    daten = {"login": "sabine2", "name": "Sabine Berger", "rollen": ["sachbearbeitung"], "oes": [str(ordnungsamt.id)]}
    antwort = client.post("/admin/benutzer/neu", data={**daten, "passwort": passwort})
    assert antwort.status_code == 400
    assert grund in antwort.get_data(as_text=True)
    assert db.session.scalars(select(Benutzer).where(Benutzer.login == "sabine2")).first() is None
