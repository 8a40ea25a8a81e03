"""End-to-end fixtures: a real server on a free port against a migrated SQLite file, and Debian's Chromium.

No pytest-playwright browser download: Chromium is `/usr/bin/chromium` (installed with apt). Without it the
tests skip — unless AMTSFLUSS_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import ROOT
from app.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
#: Keep Chromium off the (closed) network and out of sandboxes the container does not have.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=de-DE",
]
VENDOR = ROOT / "app" / "static" / "vendor" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"


def _browser_pruefen() -> None:
    """Skip (locally) or fail (CI) when the browser is missing."""
    if CHROMIUM.exists():
        return
    nachricht = f"{CHROMIUM} fehlt (apt-get install chromium)"
    if os.environ.get("AMTSFLUSS_REQUIRE_BROWSER") == "1":
        pytest.fail(nachricht)
    pytest.skip(nachricht)


class Server:
    """The app served by werkzeug in a background thread."""

    def __init__(self, app):
        """Bind to a free port on localhost."""
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "Server":
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._thread.join(timeout=5)


def _live_app_bauen(tmp_path):
    """A migrated SQLite database with the shipped procedures deployed; CSRF on, as in production."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'amtsfluss.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "SCHEDULER_ENABLED": False,
            "DEPLOY_PROCESSES_ON_START": False,
            "WTF_CSRF_ENABLED": True,
            "ARGON2_PROFILE": "CHEAPEST",
        }
    )
    with app.app_context():
        upgrade()
        from app.engine.registry import deploy_pfad

        _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
        assert fehler == []
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_app(tmp_path):
    """A migrated SQLite database with the shipped procedures deployed; CSRF on, as in production."""
    yield from _live_app_bauen(tmp_path)


@pytest.fixture(scope="module")
def live_app_modul(tmp_path_factory):
    """Like `live_app`, but shared by a module's tests (e.g. one page check per parameter)."""
    yield from _live_app_bauen(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def server_modul(live_app_modul):
    """The live server of `live_app_modul`."""
    s = Server(live_app_modul).start()
    yield s
    s.stop()


@pytest.fixture
def server(live_app):
    """The live server."""
    s = Server(live_app).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    _browser_pruefen()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page (own cookies) that records console errors, e.g. CSP violations."""
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    seite = context.new_page()
    seite.konsolenfehler = []
    # A 4xx of the page itself (e.g. 422 for a form with errors) is intended; anything else is a fault.
    seite.on(
        "console",
        lambda m: (
            seite.konsolenfehler.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    seite.on(
        "response",
        lambda r: (
            seite.konsolenfehler.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    seite.on("pageerror", lambda e: seite.konsolenfehler.append(str(e)))
    seite.set_default_timeout(15_000)
    yield seite
    context.close()
