"""„Meine Aufgaben“: mine and open for my roles, sorted by due date, paged (issue 17, defect 8)."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge import aktionen
from tests import factories
from tests.aufgaben.conftest import vorgang_mit_verfahren


def _person(login: str) -> Benutzer:
    """A user by login."""
    return db.session.scalars(select(Benutzer).filter_by(login=login)).one()


def _nummern(seite: str) -> list[str]:
    """Vorgangsnummern in the order the page lists them."""
    return re.findall(r'data-label="Vorgang"><a href="/vorgang/([^"]+)"', seite)


def test_inbox_splits_mine_from_open_for_my_roles_and_hides_colleagues_cases(app, client, auth, ordnungsamt, verfahren):
    """A task on my Vorgang is mine; on an unassigned one it is open for my role; on Paul's it is Paul's."""
    paul = factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    sabine = _person("sabine")
    meiner, offener, pauls = (vorgang_mit_verfahren(ordnungsamt) for _ in range(3))
    aktionen.zuweisen(meiner, sabine, sabine)
    aktionen.zuweisen(pauls, paul, paul)
    db.session.commit()
    auth.login()
    meine = client.get("/aufgaben").get_data(as_text=True)
    assert _nummern(meine) == [meiner.nummer]
    assert re.search(r"Mir zugewiesen <span class=\"anzahl\">1</span>", meine)
    assert re.search(r"Für meine Rollen offen <span class=\"anzahl\">1</span>", meine)
    assert _nummern(client.get("/aufgaben?teil=offen").get_data(as_text=True)) == [offener.nummer]


def test_inbox_pages_and_sorts_by_due_date(uhr, app, client, auth, ordnungsamt, verfahren):
    """Five open tasks with due dates a day apart: pages of two, earliest first or latest first; overdue marked."""
    app.config["PAGE_SIZE"] = 2
    vorgaenge = []
    for _ in range(5):
        vorgaenge.append(vorgang_mit_verfahren(ordnungsamt))
        uhr.vorstellen(timedelta(days=1))
    uhr.vorstellen(timedelta(days=1))  # the first task (due after 3 days) is now overdue
    auth.login()
    erste = client.get("/aufgaben?teil=offen").get_data(as_text=True)
    assert _nummern(erste) == [v.nummer for v in vorgaenge[:2]]
    assert "Seite 1 von 3" in erste and "überfällig" in erste
    zweite = client.get("/aufgaben?teil=offen&seite=2").get_data(as_text=True)
    assert _nummern(zweite) == [v.nummer for v in vorgaenge[2:4]]
    spaeteste = client.get("/aufgaben?teil=offen&sortierung=faellig_ab").get_data(as_text=True)
    assert _nummern(spaeteste) == [vorgaenge[4].nummer, vorgaenge[3].nummer]
    for kaputt in ("seite=99", "seite=-3", "seite=x", "sortierung=%27;drop", "teil=alle"):
        assert client.get(f"/aufgaben?teil=offen&{kaputt}").status_code == 200
