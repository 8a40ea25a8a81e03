"""Starting and completing save instance, open-task rows and Historie in the order things happened."""

import pytest
from sqlalchemy import select, update

from app.engine import runner, speicher
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessAufgabe, ProzessInstanz
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import HistorieEintrag
from tests.engine.conftest import neuer_vorgang
from tests.factories import vorgang


def test_historie_des_starts_steht_in_der_reihenfolge_des_geschehens(app, amt, verfahren):
    """What the caller logged before the start comes first, then „Verfahren gestartet“, then what the first
    steps did; the returned instance is a normal persistent object with its open task."""
    v = vorgang(amt, formular_id="unbekannt")
    protokolliere(v, "Antrag eingegangen")
    instanz = runner.start(v, "allgemeines_verfahren")
    db.session.commit()
    aktionen = db.session.scalars(
        select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == v.id).order_by(HistorieEintrag.id)
    ).all()
    assert aktionen[:3] == ["Vorgang angelegt", "Antrag eingegangen", "Verfahren gestartet"]
    assert aktionen.count("Verfahren gestartet") == 1
    geladen = db.session.scalars(select(ProzessInstanz).where(ProzessInstanz.vorgang_id == v.id)).one()
    assert geladen.id == instanz.id and geladen.version == 1 and geladen.zustand_art == "aktiv"
    assert geladen.modell_version.key == "allgemeines_verfahren"
    aufgaben = db.session.scalars(select(ProzessAufgabe).where(ProzessAufgabe.instanz_id == instanz.id)).all()
    assert [a.element_id for a in aufgaben] == [a.element_id for a in offene_aufgaben(vorgang=v)]
    assert aufgaben and all(a.kandidatengruppen for a in aufgaben)


def test_abschluss_schreibt_instanz_aufgaben_und_historie_einmal_in_der_reihenfolge_des_geschehens(
    app, amt, sabine, verfahren
):
    """Completing a task writes the instance once (version + 1), swaps the open-task rows, and logs „Aufgabe
    erledigt“ before what the run did (here the status change)."""
    v = neuer_vorgang(amt)
    [aufgabe] = offene_aufgaben(sabine)
    runner.abschliessen(aufgabe.task_id, {"entscheidung": "annehmen"}, sabine)
    instanz = db.session.scalars(select(ProzessInstanz).where(ProzessInstanz.vorgang_id == v.id)).one()
    assert instanz.version == 2
    offene = db.session.scalars(select(ProzessAufgabe.task_id).where(ProzessAufgabe.instanz_id == instanz.id)).all()
    assert aufgabe.task_id not in offene
    assert sorted(offene) == sorted(a.task_id for a in offene_aufgaben(vorgang=v))
    aktionen = db.session.scalars(
        select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == v.id).order_by(HistorieEintrag.id)
    ).all()
    erledigt = aktionen.index("Aufgabe erledigt")
    assert aktionen.count("Aufgabe erledigt") == 1 and "Status geändert" in aktionen[erledigt + 1 :]


def test_ein_abschluss_gegen_eine_veraltete_version_ist_ein_konflikt_und_schreibt_nichts(
    app, amt, sabine, verfahren, monkeypatch
):
    """If the instance row moved on between loading and writing (another completion won; on SQLite nothing locks
    the row), the version check finds no row: Konflikt, and neither Historie nor task rows were written."""
    v = neuer_vorgang(amt)
    [aufgabe] = offene_aufgaben(sabine)
    historie_vorher = db.session.query(HistorieEintrag).filter_by(vorgang_id=v.id).count()
    original = speicher.speichern

    def dazwischen(lauf):
        """Another writer bumps the version right before this completion writes."""
        db.session.execute(
            update(ProzessInstanz)
            .where(ProzessInstanz.id == lauf.instanz.id)
            .values(version=ProzessInstanz.version + 1)
            .execution_options(synchronize_session=False)
        )
        return original(lauf)

    monkeypatch.setattr(runner, "speichern", dazwischen)
    with pytest.raises(runner.Konflikt):
        runner.abschliessen(aufgabe.task_id, {"entscheidung": "annehmen"}, sabine)
    assert db.session.query(HistorieEintrag).filter_by(vorgang_id=v.id).count() == historie_vorher
    assert [a.task_id for a in offene_aufgaben(vorgang=v)] == [aufgabe.task_id]
