"""Conformance of the Camunda 7 layer: JUEL expressions, unquoted ISO 8601 timers, repeating cycles and cron."""

from datetime import UTC, datetime, timedelta

from app.engine.aufgaben import offene_aufgaben
from app.engine.models import BEENDET
from app.engine.timers import faellige_timer_ausfuehren
from app.extensions import db
from app.timeutil import ZEITZONE
from app.vorgaenge.models import HistorieEintrag
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def test_juel_bedingung_und_faelligkeit(uhr, amt, sabine, lars, modell):
    """`${betrag gt 1000 && !eilig and not empty name}` routes to the Leitung, whose due date is `${frist_bis}`."""
    key = modell("juel.bpmn")
    for daten, ziel in (
        ({"betrag": 5000, "eilig": "false", "name": "Muster"}, "leitung"),
        ({"betrag": 5000, "eilig": "false", "name": ""}, "normal"),
        ({"betrag": 10, "eilig": "false", "name": "Muster"}, "normal"),
    ):
        v = neuer_vorgang(amt, verfahren_key=key)
        erledige(sabine, v, "erfassen", **daten)
        assert offene_ids(v) == [ziel]
        if ziel == "leitung":
            [aufgabe] = offene_aufgaben(vorgang=v)
            assert aufgabe.faellig.astimezone(ZEITZONE).date().isoformat() == "2026-12-24"
        erledige(lars if ziel == "leitung" else sabine, v, ziel)
        assert instanz(v).zustand_art == BEENDET


def test_iso_timer_ohne_anfuehrungszeichen_zyklus_und_cron(uhr, amt, sabine, modell):
    """PT1H, R2/PT10M (fires twice), an unquoted timeDate and a Quartz cron (daily 9:00) all run."""
    v = neuer_vorgang(amt, verfahren_key=modell("timer_iso.bpmn"))
    assert instanz(v).next_timer_due == uhr.jetzt + timedelta(hours=1)
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(hours=1, minutes=1))) == 1
    assert instanz(v).vorfall_text is None, instanz(v).vorfall_text
    assert offene_ids(v) == ["bearbeiten"]
    for _ in range(3):
        faellige_timer_ausfuehren(uhr.vorstellen(timedelta(minutes=10)))
    notizen = db.session.scalars(db.select(HistorieEintrag.notiz).filter_by(vorgang_id=v.id)).all()
    assert notizen.count("Erinnerung") == 2
    erledige(sabine, v, "bearbeiten")
    assert instanz(v).next_timer_due == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=30))) == 1
    assert offene_ids(v) == ["montags"]
    naechster = instanz(v).next_timer_due
    assert (naechster.hour, naechster.minute) == (8, 0)  # 9:00 in Berlin (winter)
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(hours=1))) == 1
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=1))) == 1
    notizen = db.session.scalars(db.select(HistorieEintrag.notiz).filter_by(vorgang_id=v.id)).all()
    assert notizen.count("Cron") == 2
    erledige(sabine, v, "montags")
    assert instanz(v).zustand_art == BEENDET
