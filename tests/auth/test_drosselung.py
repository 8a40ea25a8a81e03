"""Login throttling: per account+address, per account, per address (far higher), race-free, behind proxies."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app import create_app
from app.auth.models import LoginFehlversuch
from app.extensions import db
from tests import factories
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORT


def _anmelden(client, login: str, passwort: str, adresse: str = "127.0.0.1"):
    """Post the login form from a given client address."""
    return client.post("/anmelden", data={"login": login, "password": passwort}, environ_base={"REMOTE_ADDR": adresse})


def test_one_user_guessing_does_not_lock_out_the_office_behind_the_same_address(app, client, ordnungsamt):
    """Twenty failures of several colleagues behind one NAT leave every other account usable."""
    for i in range(20):
        _anmelden(client, f"kollege{i % 4}", "falsch")
    assert _anmelden(client, "sabine", PASSWORT).status_code == 302


def test_address_wide_limit_is_configurable_and_far_higher(app, client, ordnungsamt):
    """The address limit defaults to 200 and still stops one address from trying many accounts."""
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 200
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 30
    for i in range(30):
        _anmelden(client, f"konto{i}", "falsch")
    assert _anmelden(client, "sabine", PASSWORT).status_code == 429


def test_account_from_one_address_is_locked_but_not_from_another(app, client, ordnungsamt):
    """Five failures lock the account for that address; the owner elsewhere can still log in."""
    for _ in range(5):
        assert _anmelden(client, "sabine", "falsch", "10.0.0.1").status_code == 401
    assert _anmelden(client, "sabine", PASSWORT, "10.0.0.1").status_code == 429
    assert _anmelden(client, "sabine", PASSWORT, "10.0.0.2").status_code == 302


def test_account_guessed_from_many_addresses_is_locked_everywhere(app, client, ordnungsamt):
    """A distributed guess against one account hits the per-account limit."""
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 6
    for i in range(6):
        assert _anmelden(client, "sabine", "falsch", f"10.0.1.{i}").status_code == 401
    assert _anmelden(client, "sabine", PASSWORT, "10.0.2.1").status_code == 429


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(app, ordnungsamt):
    """32 simultaneous guesses: at most five are checked (401), the rest refused (429); never more in total.

    An attempt in flight counts against the others, so a burst may lock a little early, never late.
    """

    def versuch(_i):
        return _anmelden(app.test_client(), "sabine", "falsch").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(versuch, range(32)))
    assert 1 <= codes.count(401) <= 5, codes
    assert codes.count(401) + codes.count(429) == 32, codes
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(LoginFehlversuch)) == codes.count(401)
    danach = [versuch(i) for i in range(6)]
    assert codes.count(401) + danach.count(401) == 5, (codes, danach)
    assert _anmelden(app.test_client(), "sabine", PASSWORT).status_code == 429


def test_refused_and_successful_attempts_leave_no_rows(app, client, ordnungsamt):
    """Only checked failures count; a lock does not grow while it is being hit."""
    for _ in range(5):
        _anmelden(client, "sabine", "falsch")
    for _ in range(3):
        assert _anmelden(client, "sabine", PASSWORT).status_code == 429
    assert db.session.scalar(select(func.count()).select_from(LoginFehlversuch)) == 5
    factories.benutzer("lars", "Lars Hoffmann", ["leitung"], [ordnungsamt])
    db.session.commit()
    assert _anmelden(client, "lars", PASSWORT).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginFehlversuch)) == 5


def test_trusted_proxy_count_takes_the_client_address_from_x_forwarded_for(app, ordnungsamt):
    """With PROXY_COUNT=1 the address behind the proxy is throttled, not the proxy's."""
    hinter_proxy = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "PROXY_COUNT": 1,
        }
    )
    client = hinter_proxy.test_client()

    def anmelden(passwort, weitergeleitet_fuer):
        return client.post(
            "/anmelden",
            data={"login": "sabine", "password": passwort},
            headers={"X-Forwarded-For": weitergeleitet_fuer},
        ).status_code

    for _ in range(5):
        assert anmelden("falsch", "192.0.2.7") == 401
    assert set(db.session.scalars(select(LoginFehlversuch.adresse))) == {"192.0.2.7"}
    assert anmelden(PASSWORT, "192.0.2.7") == 429
    assert anmelden(PASSWORT, "192.0.2.8") == 302
    with hinter_proxy.app_context():
        db.engine.dispose()


def test_overlong_forwarded_address_is_no_server_error(app, ordnungsamt):
    """A forged, very long X-Forwarded-For is cut, not a 500."""
    hinter_proxy = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "PROXY_COUNT": 1,
        }
    )
    antwort = hinter_proxy.test_client().post(
        "/anmelden", data={"login": "x" * 300, "password": "falsch"}, headers={"X-Forwarded-For": "a" * 500}
    )
    assert antwort.status_code == 401
    with hinter_proxy.app_context():
        db.engine.dispose()
