"""Command-line tools for administrators."""

from sqlalchemy import func, select

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import Status


def test_seed_demo_creates_users_for_every_role_and_vorgaenge_in_every_status(runner):
    """Demo data for a first look: passwords printed once, every status present."""
    ergebnis = runner.invoke(args=["seed-demo"])
    assert ergebnis.exit_code == 0, ergebnis.output
    for login in ("sabine", "lars", "vera", "anton", "sina"):
        assert login in ergebnis.output
    assert db.session.scalar(select(func.count()).select_from(Benutzer)) == 5
    statuse = set(db.session.scalars(select(Vorgang.status)))
    assert statuse == {s.value for s in Status}
    assert db.session.scalar(select(func.count()).select_from(Vorgang)) >= 25
    assert "bereits vorhanden" in runner.invoke(args=["seed-demo"]).output


def test_create_oe_and_user(runner):
    """An administrator sets up an installation from the command line."""
    assert (
        runner.invoke(args=["create-oe", "--name", "Bauamt", "--kennung", "197009", "--prefix", "31006"]).exit_code == 0
    )
    ergebnis = runner.invoke(
        args=[
            "create-user",
            "--login",
            "bernd",
            "--name",
            "Bernd Bauer",
            "--rolle",
            "sachbearbeitung",
            "--oe",
            "197009",
            "--password",
            "ein-langes-passwort",
        ]
    )
    assert ergebnis.exit_code == 0, ergebnis.output
    assert db.session.scalars(select(Benutzer).where(Benutzer.login == "bernd")).one().oes[0].kennung == "197009"


def test_create_oe_rejects_bad_prefix(runner):
    """The prefix must be five digits; the error says so."""
    ergebnis = runner.invoke(args=["create-oe", "--name", "X", "--kennung", "1", "--prefix", "ABC"])
    assert ergebnis.exit_code != 0
    assert "fünf Ziffern" in ergebnis.output
