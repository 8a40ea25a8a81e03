"""Every page needs a login; only the login page and the intake endpoints (own credentials) are public."""

from app import create_app
from tests.conftest import TEST_CONFIG

#: Endpoints reachable without a session, and why.
OEFFENTLICH = {
    "static",  # CSS, JS
    "auth.login",
    "intake.ozg_antrag",  # per-source credentials
    "intake.intelliform_deposit",
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
    assert oeffentliche == {"static", "auth.login", "intake.ozg_antrag", "intake.intelliform_deposit"}
