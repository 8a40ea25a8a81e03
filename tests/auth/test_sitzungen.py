"""Login sessions end on the server: logout and a new password revoke every cookie; idle and absolute limits."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from tests import factories
from tests.factories import PASSWORT

NEU = "Ein-ganz-anderes-Kennwort-7"


class Browser:
    """A test client whose every request runs in its own app context, as in production.

    The `app` fixture keeps one app context open, which would otherwise carry Flask-Login's cached user (in `g`)
    from one request to the next and hide what the user loader decides.
    """

    def __init__(self, app):
        """One cookie jar."""
        self.app, self.client = app, app.test_client()

    def get(self, *args, **kwargs):
        """GET in a fresh app context."""
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        """POST in a fresh app context."""
        with self.app.app_context():
            return self.client.post(*args, **kwargs)

    def anmelden(self, login="sabine", passwort=PASSWORT):
        """Log in through the form."""
        return self.post("/anmelden", data={"login": login, "password": passwort})


def test_a_copied_cookie_is_worthless_after_logout(app, ordnungsamt):
    """Logging out ends the session on the server, not only in this browser."""
    browser = Browser(app)
    browser.anmelden()
    kopie = browser.client.get_cookie("session").value
    browser.post("/abmelden")
    browser.client.set_cookie("session", kopie)
    assert browser.get("/").status_code == 302


def test_a_new_password_ends_the_other_sessions_but_keeps_this_one(app, ordnungsamt):
    """Changing the password logs out every other browser."""
    hier, dort = Browser(app), Browser(app)
    for browser in (hier, dort):
        assert browser.anmelden().status_code == 302
    antwort = hier.post("/einstellungen", data={"altes_passwort": PASSWORT, "neues_passwort": NEU})
    assert antwort.status_code == 302
    assert hier.get("/").status_code == 200
    assert dort.get("/").status_code == 302
    assert dort.anmelden(passwort=NEU).status_code == 302


def test_an_administrator_setting_a_password_ends_the_users_sessions(app, ordnungsamt):
    """A password reset by the administration revokes the user's open sessions."""
    factories.benutzer("anton", "Anton Richter", ["administration"], [ordnungsamt])
    db.session.commit()
    sabine_id = db.session.scalars(select(Benutzer.id).where(Benutzer.login == "sabine")).one()
    sabine, admin = Browser(app), Browser(app)
    sabine.anmelden()
    admin.anmelden("anton")
    antwort = admin.post(
        f"/admin/benutzer/{sabine_id}",
        data={
            "login": "sabine",
            "name": "Sabine Berger",
            "rollen": ["sachbearbeitung"],
            "oes": [str(ordnungsamt.id)],
            "aktiv": "y",
            "passwort": NEU,
        },
    )
    assert antwort.status_code == 302
    assert sabine.get("/").status_code == 302


def test_idle_session_ends_after_thirty_minutes(app, ordnungsamt, time_machine):
    """Thirty minutes without a request end the session; activity keeps it alive."""
    time_machine.move_to("2026-03-02 08:00:00+00:00", tick=False)
    browser = Browser(app)
    browser.anmelden()
    time_machine.shift(timedelta(minutes=29))
    assert browser.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=29))
    assert browser.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=30))
    assert browser.get("/").status_code == 302


def test_session_ends_after_ten_hours_even_when_active(app, ordnungsamt, time_machine):
    """The absolute lifetime: a working day, then a new login."""
    time_machine.move_to("2026-03-02 07:00:00+00:00", tick=False)
    browser = Browser(app)
    browser.anmelden()
    for _ in range(39):
        time_machine.shift(timedelta(minutes=15))
        assert browser.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=15))
    assert browser.get("/").status_code == 302


def test_limits_are_settings(app, ordnungsamt, time_machine):
    """SESSION_IDLE_MINUTES and SESSION_MAX_HOURS configure both limits."""
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    time_machine.move_to("2026-03-02 07:00:00+00:00", tick=False)
    browser = Browser(app)
    browser.anmelden()
    time_machine.shift(timedelta(minutes=6))
    assert browser.get("/").status_code == 302


def test_no_remember_me_cookie_is_set(app, ordnungsamt):
    """Only the browser-session cookie exists; nothing outlives the rules above."""
    antwort = Browser(app).anmelden()
    cookies = " ".join(antwort.headers.getlist("Set-Cookie"))
    assert "remember_token" not in cookies
    assert "Expires" not in cookies
