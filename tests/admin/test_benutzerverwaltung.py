"""Administrators manage users and Organisationseinheiten in the browser."""

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from tests import factories


@pytest.fixture
def admin(app, ordnungsamt):
    """An administrator `anton` of the Ordnungsamt."""
    factories.benutzer("anton", "Anton Richter", ["administration"], [ordnungsamt])
    db.session.commit()
    return ordnungsamt


def test_caseworker_cannot_open_administration(app, client, auth, ordnungsamt):
    """Administration pages are forbidden without the role."""
    auth.login()
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/benutzer").status_code == 403
    assert client.post("/admin/oes/neu", data={"name": "X"}).status_code == 403


def test_administrator_creates_user_who_can_log_in(app, client, auth, admin):
    """A new colleague gets an account with roles and OE and logs in."""
    auth.login("anton")
    antwort = client.post(
        "/admin/benutzer/neu",
        data={
            "login": "lars",
            "name": "Lars Hoffmann",
            "email": "lars@example.org",
            "rollen": ["leitung"],
            "oes": [str(admin.id)],
            "aktiv": "y",
            "passwort": "ein-sehr-langes-passwort",
        },
    )
    assert antwort.status_code == 302
    assert "Lars Hoffmann" in client.get("/admin/benutzer").get_data(as_text=True)
    auth.logout()
    assert auth.login("lars", "ein-sehr-langes-passwort").status_code == 302


def test_new_user_needs_password_and_unique_login(app, client, auth, admin):
    """Missing password and a taken login get field errors, nothing is saved."""
    auth.login("anton")
    antwort = client.post("/admin/benutzer/neu", data={"login": "sabine", "name": "Doppelt", "rollen": ["leitung"]})
    assert antwort.status_code == 400
    assert "Anfangspasswort" in antwort.get_data(as_text=True)
    antwort = client.post(
        "/admin/benutzer/neu",
        data={
            "login": "sabine",
            "name": "Doppelt",
            "rollen": ["leitung"],
            "oes": [str(admin.id)],
            "passwort": "ein-sehr-langes-passwort",
        },
    )
    assert "Diesen Benutzernamen gibt es schon." in antwort.get_data(as_text=True)


def test_deactivated_user_can_no_longer_log_in(app, client, auth, admin):
    """Deactivating an account locks it out."""
    sabine = db.session.scalars(select(Benutzer).where(Benutzer.login == "sabine")).one()
    auth.login("anton")
    client.post(
        f"/admin/benutzer/{sabine.id}",
        data={"login": "sabine", "name": "Sabine Berger", "rollen": ["sachbearbeitung"], "oes": [str(admin.id)]},
    )
    auth.logout()
    assert auth.login("sabine").status_code == 401


def test_system_administrator_creates_oe_with_valid_prefix_only(app, client, auth, admin):
    """Only system administration creates OEs; the prefix of Vorgangsnummern must be five digits."""
    assert auth.login("anton").status_code == 302
    assert client.get("/admin/oes/neu").status_code == 403
    auth.logout()
    factories.benutzer("sina", "Sina Vogt", ["systemadministration"], [])
    db.session.commit()
    auth.login("sina")
    schlecht = client.post(
        "/admin/oes/neu",
        data={
            "name": "Bauamt",
            "kennung": "197009",
            "nummer_prefix": "31",
            "aktenzeichen_muster": "{OE}-{JAHR}-{LAUFNR}",
        },
    )
    assert schlecht.status_code == 400
    assert "Genau fünf Ziffern." in schlecht.get_data(as_text=True)
    gut = client.post(
        "/admin/oes/neu",
        data={
            "name": "Bauamt",
            "kennung": "197009",
            "nummer_prefix": "31006",
            "aktenzeichen_muster": "BA-{JAHR}-{LAUFNR}",
        },
    )
    assert gut.status_code == 302
    assert "Bauamt" in client.get("/admin/oes").get_data(as_text=True)


def test_administrator_sees_only_users_and_oes_of_his_oes(app, client, auth, admin):
    """The lists of an OE administrator leave out other OEs and their people."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    factories.benutzer("bernd", "Bernd Krause", ["sachbearbeitung"], [bauamt])
    db.session.commit()
    auth.login("anton")
    benutzerliste = client.get("/admin/benutzer").get_data(as_text=True)
    assert "Sabine Berger" in benutzerliste
    assert "Bernd Krause" not in benutzerliste
    oeliste = client.get("/admin/oes").get_data(as_text=True)
    assert "Ordnungsamt" in oeliste
    assert "Bauamt" not in oeliste


def test_only_system_administration_gives_system_administration(app, client, auth, admin):
    """An OE administrator cannot create a system administrator (the choice is not offered)."""
    auth.login("anton")
    antwort = client.post(
        "/admin/benutzer/neu",
        data={
            "login": "mallory",
            "name": "Mallory Mahler",
            "rollen": ["systemadministration"],
            "oes": [str(admin.id)],
            "aktiv": "y",
            "passwort": "Kaffeetasse-Fahrrad-Wolke",
        },
    )
    assert antwort.status_code == 400
    assert db.session.scalars(select(Benutzer).where(Benutzer.login == "mallory")).first() is None
