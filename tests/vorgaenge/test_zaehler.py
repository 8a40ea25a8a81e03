"""The dashboard's running counts: written with every change, folded by the scheduler, rebuilt from the Vorgänge;
all three agree (issue 17, item 14)."""

import statistics
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.auth.models import Benutzer
from app.extensions import db
from app.scheduler import tick
from app.uebersicht import service as uebersicht
from app.vorgaenge import aktionen
from app.vorgaenge.models import Vorgang
from app.vorgaenge.zaehler import DAUER, VorgangZaehler, dauer_zehntel, neu_aufbauen, verdichten
from tests import factories
from tests.conftest import TEST_CONFIG, UHR_START


def _stand() -> dict:
    """Every count with a non-zero sum."""
    zeilen = db.session.execute(
        select(
            VorgangZaehler.art,
            VorgangZaehler.oe_id,
            VorgangZaehler.merkmal,
            VorgangZaehler.wert,
            func.sum(VorgangZaehler.anzahl),
        ).group_by(VorgangZaehler.art, VorgangZaehler.oe_id, VorgangZaehler.merkmal, VorgangZaehler.wert)
    ).all()
    return {tuple(z[:4]): z[4] for z in zeilen if z[4]}


@pytest.fixture
def betrieb(uhr, app, ordnungsamt):
    """Two OEs and a month of work: creation, assignment, status changes, forwarding, deletion, a rolled-back
    savepoint and a Core-free bulk of changes in one flush."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    lea = factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt, bauamt])
    db.session.commit()
    vorgaenge = []
    for tag in range(30):
        uhr.jetzt = UHR_START - timedelta(days=40 - tag, hours=tag % 5)
        amt = ordnungsamt if tag % 3 else bauamt
        v = factories.vorgang(amt, "Hundesteuer-Anmeldung" if tag % 2 else "Gewerbeanmeldung")
        if tag % 2:
            v.formular_id = "hundesteuer"
        vorgaenge.append(v)
        db.session.commit()
    uhr.jetzt = UHR_START - timedelta(days=5)
    for v in vorgaenge[:20]:
        aktionen.zuweisen(v, lea, sabine if v.oe_id == ordnungsamt.id else lea)
        aktionen.annehmen(v, lea)
    db.session.commit()
    uhr.jetzt = UHR_START - timedelta(days=1, hours=7)
    for v in vorgaenge[:12]:
        for _ in range(3):
            aktionen.weiter(v, lea, aufgabe_offen=False)
    aktionen.verwerfen(vorgaenge[25], lea, "Doppelt eingereicht")
    aktionen.weiterleiten(vorgaenge[21], lea, bauamt if vorgaenge[21].oe_id == ordnungsamt.id else ordnungsamt)
    db.session.commit()
    uhr.jetzt = UHR_START
    aktionen.loeschen_beantragen(vorgaenge[5], lea, "Testdaten")
    db.session.commit()
    aktionen.loeschung_bestaetigen(vorgaenge[5], sabine)
    with db.session.begin_nested() as savepoint:  # undone: its counts must go with it
        factories.vorgang(bauamt, "Baumfällung", formular_id="baum")
        savepoint.rollback()
    db.session.commit()
    return ordnungsamt, bauamt, lea


def test_counts_written_with_each_change_equal_the_rebuild_and_survive_folding(betrieb):
    """Incremental rows, folded rows and a rebuild from the Vorgang table give the same counts."""
    inkrementell = _stand()
    assert inkrementell and all(n > 0 for n in inkrementell.values())
    assert verdichten() > 0
    assert _stand() == inkrementell
    assert db.session.scalar(select(func.count()).where(VorgangZaehler.verdichtet.is_(False))) == 0
    neu_aufbauen()
    db.session.commit()
    assert _stand() == inkrementell
    assert "Baumfällung" not in {m for _a, _o, m, _w in inkrementell}


def test_the_scheduler_folds_and_the_cli_rebuilds(betrieb, runner):
    """`vorgangszaehler` in the tick folds the change rows; `rebuild-counts` replaces all rows."""
    vorher = _stand()
    assert tick(nur=["vorgangszaehler"])["vorgangszaehler"] > 0
    assert _stand() == vorher
    db.session.execute(VorgangZaehler.__table__.delete())
    db.session.commit()
    ergebnis = runner.invoke(args=["rebuild-counts"])
    assert "neu aufgebaut" in ergebnis.output
    assert _stand() == vorher


def test_dashboard_figures_equal_those_computed_from_the_vorgaenge(betrieb):
    """The Leitung over both OEs sees what counting the Vorgang rows directly gives."""
    ordnungsamt, bauamt, lea = betrieb
    u = uebersicht.berechnen(lea)
    vorgaenge = list(db.session.scalars(select(Vorgang)))
    assert sum(sum(z) for _n, z in u.eingang) == len(vorgaenge)
    offen = {s.value: sum(z) for s, z in u.offen}
    assert offen == {s: sum(1 for v in vorgaenge if v.status == s) for s in offen}
    assert offen["Neu"] and offen["Angenommen"]
    lasten = {b.login: sum(z) for b, z in u.last}
    assert lasten["sabine"] == sum(
        1 for v in vorgaenge if v.bearbeiter and v.bearbeiter.login == "sabine" and v.status in offen
    )
    geschlossen = [v for v in vorgaenge if v.status == "Abgeschlossen"]
    [(name, n, median, p90)] = [d for d in u.dauer if d[0] == "Gewerbeanmeldung"]
    tage = sorted(dauer_zehntel(v.status_seit - v.eingangsdatum) / 10 for v in geschlossen if v.formular_name == name)
    assert n == len(tage)
    assert median == pytest.approx(statistics.median(tage))
    assert p90 == pytest.approx(statistics.quantiles(tage, n=10, method="inclusive")[-1])
    nur_bauamt = uebersicht.berechnen(factories.benutzer("bo", "Bo Bau", ["sachbearbeitung"], [bauamt]))
    assert sum(sum(z) for _n, z in nur_bauamt.eingang) == sum(1 for v in vorgaenge if v.oe_id == bauamt.id)


@pytest.mark.parametrize(
    ("dauer", "zehntel"),
    [
        (timedelta(hours=3), 1),
        (timedelta(days=9, hours=23), 100),
        (timedelta(days=20, hours=11), 200),
        (timedelta(days=21, hours=1), 220),
        (timedelta(days=400), 3900),
        (timedelta(days=104), 1000),
        (timedelta(days=106), 1100),
        (timedelta(seconds=-5), 0),
    ],
)
def test_lead_time_precision(dauer, zehntel):
    """0.1 day below 2 days, then about 5 % (docs/performance.md)."""
    assert dauer_zehntel(dauer) == zehntel


def test_lead_time_of_one_form_is_exact_over_the_rounded_days(uhr, app, ordnungsamt):
    """Median and p90 from the day histogram match statistics over the same (rounded) lead times."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    dauern = [1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    for tage in dauern:
        uhr.jetzt = UHR_START - timedelta(days=tage)
        v = factories.vorgang(ordnungsamt)
        db.session.commit()
        uhr.jetzt = UHR_START
        aktionen.zuweisen(v, sabine, sabine)
        aktionen.annehmen(v, sabine)
        for _ in range(3):
            aktionen.weiter(v, sabine, aufgabe_offen=False)
        db.session.commit()
    [(name, n, median, p90)] = uebersicht.berechnen(sabine).dauer
    assert (name, n, median) == ("Gewerbeanmeldung", 11, 8.0)
    assert p90 == pytest.approx(statistics.quantiles(dauern, n=10, method="inclusive")[-1])
    assert db.session.scalar(select(func.count()).where(VorgangZaehler.art == DAUER)) == 11


def test_parallel_folding_while_vorgaenge_change_keeps_every_count(betrieb, app):
    """Two processes fold in small batches while a third keeps creating Vorgänge: the counts stay exact."""
    ordnungsamt, _bauamt, _lea = betrieb
    konfig = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    konfig["INSTANCE_PATH"] = app.instance_path
    fehler: list[BaseException] = []

    def falten():
        with create_app(konfig).app_context():
            try:
                for _ in range(30):
                    verdichten(limit=3)
                    db.session.commit()
            except BaseException as e:  # noqa: BLE001 — reported by the test thread
                fehler.append(e)
            finally:
                db.session.remove()

    faeden = [threading.Thread(target=falten) for _ in range(2)]
    for f in faeden:
        f.start()
    for _ in range(15):
        factories.vorgang(db.session.merge(ordnungsamt), "Gewerbeanmeldung")
        db.session.commit()
    for f in faeden:
        f.join()
    assert fehler == []
    vorher = _stand()
    neu_aufbauen()
    db.session.commit()
    assert _stand() == vorher
