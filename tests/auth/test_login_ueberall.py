"""Every page needs a login; only the login page and the intake endpoints (own credentials) are public."""

import re

from app import create_app
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORT

#: Endpoints reachable without a session, and why.
OEFFENTLICH = {
    "static",  # CSS, JS
    "auth.login",
    "gesundheit.pruefen",  # load balancers; answers only {"status": …}
    "intake.ozg_antrag",  # per-source credentials
    "intake.intelliform_deposit",
    *("extern.abholen", "extern.abschliessen", "extern.fehlschlag", "extern.nachricht", "extern.signal"),  # tokens
}


def _alle_regeln():
    """Every URL rule of the app with placeholder arguments filled in."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    for regel in app.url_map.iter_rules():
        werte = {name: "1" for name in regel.arguments}
        yield regel.endpoint, regel.build(werte, append_unknown=False)[1], sorted(regel.methods - {"HEAD", "OPTIONS"})


def test_every_non_public_endpoint_redirects_anonymous_users_to_the_login(app, client, ordnungsamt):
    """A new page that forgets the login check fails here, whatever its method."""
    oeffentliche = set()
    for endpoint, pfad, methoden in _alle_regeln():
        if endpoint in OEFFENTLICH:
            oeffentliche.add(endpoint)
            continue
        for methode in methoden:
            antwort = client.open(pfad, method=methode)
            assert antwort.status_code == 302, (endpoint, methode, antwort.status_code)
            assert "/anmelden" in antwort.headers["Location"], (endpoint, methode)
    assert oeffentliche == OEFFENTLICH


def test_every_form_post_without_csrf_token_is_refused_for_a_logged_in_user(app, ordnungsamt):
    """CSRF protection covers every state-changing endpoint except the machine-to-machine intake."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    seite = client.get("/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', seite)
    assert token, "login form carries a CSRF token"
    anmeldung = client.post("/anmelden", data={"login": "sabine", "password": PASSWORT, "csrf_token": token[1]})
    assert anmeldung.status_code == 302
    geprueft = 0
    for endpoint, pfad, methoden in _alle_regeln():
        if endpoint in OEFFENTLICH or "POST" not in methoden:
            continue
        antwort = client.post(pfad, data={})
        assert antwort.status_code == 400, (endpoint, antwort.status_code)
        assert "Formular ist abgelaufen oder ungültig" in antwort.get_data(as_text=True), endpoint
        geprueft += 1
    assert geprueft > 20
