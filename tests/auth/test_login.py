"""Login, logout, throttling, CSRF and cookie flags."""

import pytest

from app import create_app
from app.config import ConfigurationError
from app.extensions import db
from tests.conftest import TEST_CONFIG


def test_every_page_requires_login(app, client, ordnungsamt):
    """Anonymous requests are sent to the login page."""
    for pfad in ("/", "/vorgang/31005-ABCDEF", "/einstellungen", "/hilfe"):
        antwort = client.get(pfad)
        assert antwort.status_code == 302
        assert "/anmelden" in antwort.headers["Location"]


def test_login_and_logout(app, client, auth, ordnungsamt):
    """A correct login opens the Vorgangsliste; logout ends the session."""
    antwort = auth.login()
    assert antwort.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("login", "passwort"), [("sabine", "falsch"), ("niemand", "egal")])
def test_unknown_user_and_wrong_password_get_the_same_message(app, client, auth, ordnungsamt, login, passwort):
    """Nobody can tell from the answer whether a login exists."""
    antwort = auth.login(login, passwort)
    assert antwort.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in antwort.get_data(as_text=True)


def test_account_is_throttled_after_repeated_failures_even_with_right_password(app, client, auth, ordnungsamt):
    """After five failures the account is locked for the window."""
    for _ in range(5):
        assert auth.login("sabine", "falsch").status_code == 401
    antwort = auth.login("sabine")
    assert antwort.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldungen" in antwort.get_data(as_text=True)


def test_address_is_throttled_across_accounts(app, client, auth, ordnungsamt):
    """One address guessing many accounts is stopped too."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):
        auth.login(f"user{i}", "falsch")
    assert auth.login("sabine").status_code == 429


def test_session_cookie_is_httponly_and_samesite_lax(app, client, auth, ordnungsamt):
    """The session cookie cannot be read by scripts nor sent cross-site on POST."""
    antwort = auth.login()
    cookie = antwort.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_form_without_csrf_token_is_rejected(app, ordnungsamt):
    """With CSRF protection on (the default), a POST without token gets 400."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    antwort = client.post("/anmelden", data={"login": "sabine", "password": "x"})
    assert antwort.status_code == 400
    assert "Formular ist abgelaufen oder ungültig" in antwort.get_data(as_text=True)


def test_login_page_carries_a_csrf_token(app, ordnungsamt):
    """The rendered form includes the token that the POST needs."""
    app.config["WTF_CSRF_ENABLED"] = True
    assert 'name="csrf_token"' in app.test_client().get("/anmelden").get_data(as_text=True)


def test_missing_secret_key_outside_development_is_a_startup_error(monkeypatch, tmp_path):
    """No silent default key in production."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    config = {k: v for k, v in TEST_CONFIG.items() if k not in ("SECRET_KEY", "TESTING")}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({**config, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})


def test_open_redirect_after_login_is_prevented(app, client, ordnungsamt):
    """`next` may only point into this site."""
    antwort = client.post(
        "/anmelden?next=//evil.example/x", data={"login": "sabine", "password": "richtig-langes-passwort"}
    )
    assert antwort.headers["Location"] == "/"
    db.session.remove()


def test_a_hash_made_with_other_parameters_is_upgraded_at_the_next_login(app, client, auth, ordnungsamt):
    """Raising ARGON2_PROFILE takes effect for each user at their next successful login."""
    from argon2 import PasswordHasher, profiles

    from app.auth.models import Benutzer
    from tests.factories import PASSWORT

    sabine = db.session.query(Benutzer).filter_by(login="sabine").one()
    alt = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(PASSWORT)
    sabine.password_hash = alt
    db.session.commit()

    assert auth.login().status_code == 302
    db.session.refresh(sabine)
    assert sabine.password_hash != alt
    assert "m=8," in sabine.password_hash  # the CHEAPEST profile the tests configure
