"""Starting a procedure writes instance, open tasks and Historie in few statements — in the right order."""

from sqlalchemy import select

from app.engine import runner
from app.engine.models import ProzessAufgabe, ProzessInstanz
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import HistorieEintrag
from tests.factories import vorgang


def test_historie_des_starts_steht_in_der_reihenfolge_des_geschehens(app, amt, verfahren):
    """What the caller logged before the start comes first, then „Verfahren gestartet“, then what the first
    steps did; the returned instance is a normal persistent object with its open task."""
    v = vorgang(amt, formular_id="unbekannt")
    protokolliere(v, "Antrag eingegangen")
    instanz = runner.start(v, "allgemeines_verfahren")
    instanz.vorfall_text = None  # changeable through the ORM like any loaded instance
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
    assert [a.element_id for a in aufgaben] == [a.element_id for a in runner.offene_aufgaben(vorgang=v)]
    assert aufgaben and all(a.kandidatengruppen for a in aufgaben)
