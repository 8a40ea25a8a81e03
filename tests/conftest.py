"""Fixtures shared by all tests: `app` on every configured database, `client`, `runner`, `auth`.

Every test that uses `app` runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.
The schema is built once per session through the real migrations; each SQLite test gets a copy of
that file, each PostgreSQL test a truncated database.
"""

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import PASSWORT, benutzer, oe

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test",
    "WTF_CSRF_ENABLED": False,
    "SCHEDULER_ENABLED": False,
    "DEPLOY_PROCESSES_ON_START": False,
    "ARGON2_PROFILE": "CHEAPEST",
}


def _migrate(uri: str, instance: Path) -> None:
    """Run the linear migration chain against an empty database."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.fail("TEST_DATABASE_URL is not set but a PostgreSQL test was requested")
    name = f"amtsfluss_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    _migrate(url, Path("/tmp"))
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all() -> None:
    """Empty every table except Alembic's bookkeeping (PostgreSQL)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def app(request, tmp_path):
    """The application on one database, with a clean, migrated schema."""
    if request.param == "sqlite":
        path = tmp_path / "amtsfluss.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        uri = f"sqlite:///{path}"
    else:
        uri = request.getfixturevalue("postgres_url")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        yield app
        db.session.remove()
        if request.param == "postgresql":
            _truncate_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client that speaks real HTTP semantics to the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask --app wsgi …` commands."""
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        """Bind to one test client."""
        self._client = client

    def login(self, login: str = "sabine", password: str = PASSWORT):
        """Post the login form."""
        return self._client.post("/anmelden", data={"login": login, "password": password})

    def logout(self):
        """Post the logout form."""
        return self._client.post("/abmelden")


@pytest.fixture
def auth(client):
    """Login helper for the test client."""
    return AuthActions(client)


@pytest.fixture
def ordnungsamt(app):
    """An OE with one caseworker `sabine` (password `PASSWORT`)."""
    amt = oe("Ordnungsamt", "197008", "31005")
    benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
    db.session.commit()
    return amt


# --- the test clock ---------------------------------------------------------------------------------------

#: Where the `uhr` fixture stands at the start of a test: 30.11.2026 06:00 UTC, 07:00 in Berlin — the moment a
#: date-only Frist of that day falls due (SCHEDULER_ERINNERUNG_UHRZEIT).
UHR_START = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


class Uhr:
    """The stopped clock of one test: read or set `jetzt`, or move it on with `vorstellen`."""

    def __init__(self, maschine: time_machine.TimeMachineFixture):
        """Steer time-machine's fixture."""
        self._maschine = maschine

    @property
    def jetzt(self) -> datetime:
        """The current (stopped) time, as the app reads it."""
        return utcnow()

    @jetzt.setter
    def jetzt(self, wert: datetime) -> None:
        self._maschine.move_to(wert)

    def vorstellen(self, dauer: timedelta) -> datetime:
        """Move the clock on by `dauer`; returns the new time."""
        self._maschine.shift(dauer)
        return self.jetzt


@pytest.fixture
def uhr(time_machine) -> Uhr:
    """Stop every clock of the process (datetime, date, time.time; not time.monotonic) at UHR_START.

    Request it before the fixtures that create data (`def test_x(uhr, app, akte)`), so rows get the test's time.
    """
    time_machine.move_to(UHR_START, tick=False)
    return Uhr(time_machine)
