"""HSTS, no caching of logged-in pages, the health endpoint, and 503 when the database connection is lost."""

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app import signale
from app.extensions import db


def test_hsts_only_when_cookies_are_secure(app, client, ordnungsamt):
    """Behind HTTPS (secure cookies) browsers are told to stay on HTTPS."""
    assert "Strict-Transport-Security" not in client.get("/anmelden").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/anmelden").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_logged_in_pages_are_not_stored(app, client, auth, ordnungsamt):
    """Pages of a logged-in session carry Cache-Control: no-store; the public login page does not need it."""
    assert "no-store" not in client.get("/anmelden").headers.get("Cache-Control", "")
    auth.login()
    for pfad in ("/", "/einstellungen", "/hilfe"):
        assert client.get(pfad).headers["Cache-Control"] == "no-store", pfad


def test_health_endpoint_answers_without_login_and_reveals_nothing(app, client):
    """200 {"status": "ok"} when the database answers and no scheduler runs in this process."""
    antwort = client.get("/gesundheit")
    assert antwort.status_code == 200
    assert antwort.get_json() == {"status": "ok"}


class _Scheduler:
    """Stands in for the APScheduler of this process: only `running` is read."""

    running = True


def test_health_endpoint_watches_the_scheduler(app, client, time_machine):
    """A running scheduler must have ticked recently; a stopped one is a 503."""
    time_machine.move_to("2026-03-02 08:00:00+00:00", tick=False)
    app.extensions["amtsfluss_scheduler"] = _Scheduler()
    try:
        signale.scheduler_getickt.send(app)
        assert client.get("/gesundheit").status_code == 200
        time_machine.shift(app.config["HEALTH_SCHEDULER_MAX_SECONDS"] + 1)
        antwort = client.get("/gesundheit")
        assert antwort.status_code == 503
        assert antwort.get_json() == {"status": "gestoert"}
        signale.scheduler_getickt.send(app)
        assert client.get("/gesundheit").status_code == 200
        _Scheduler.running = False
        assert client.get("/gesundheit").status_code == 503
    finally:
        _Scheduler.running = True
        app.extensions["amtsfluss_scheduler"] = None


def _verbindung_verloren(*_args, **_kwargs):
    """Behave like a server that closed the connection."""
    raise OperationalError("SELECT", {}, Exception("server closed the connection"), connection_invalidated=True)


def test_health_endpoint_is_503_when_the_database_is_gone(app, client):
    """No answer to SELECT 1 is a 503."""
    event.listen(db.engine, "before_cursor_execute", _verbindung_verloren)
    try:
        assert client.get("/gesundheit").status_code == 503
    finally:
        event.remove(db.engine, "before_cursor_execute", _verbindung_verloren)


def test_lost_database_during_authentication_is_503_with_retry_after(app, client, auth, ordnungsamt):
    """The login page and a logged-in page answer 503 with Retry-After, not 500."""
    auth.login()
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", _verbindung_verloren)
    try:
        antworten = []
        for anfrage in (
            lambda: client.get("/"),
            lambda: client.post("/anmelden", data={"login": "s", "password": "x"}),
        ):
            with app.app_context():  # a fresh request context, as in production (no user cached in `g`)
                antworten.append(anfrage())
        for antwort in antworten:
            assert antwort.status_code == 503
            assert antwort.headers["Retry-After"].isdigit()
            assert "nicht erreichbar" in antwort.get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", _verbindung_verloren)


def test_pool_pre_ping_is_on_by_default(app):
    """A connection the server dropped is replaced before use."""
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_killed_database_connections_are_replaced_without_an_error(app, client, auth, ordnungsamt):
    """PostgreSQL: after the server ends every connection of the app, the next page still works."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server that could drop a connection")
    auth.login()
    assert client.get("/").status_code == 200
    db.session.remove()
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    assert client.get("/").status_code == 200
