"""Allgemeines Verfahren: every path, with the Vorgang's status following the procedure."""

from datetime import timedelta

from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessInstanz
from app.extensions import db
from app.timeutil import utcnow
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def instanz(vorgang) -> ProzessInstanz:
    """The process instance of a Vorgang."""
    return db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()


def test_unbekanntes_formular_laeuft_im_allgemeinen_verfahren_bis_abgeschlossen(amt, sabine, verfahren):
    """Annehmen → bearbeiten → bescheiden → abschließen; the status goes Neu → … → Abgeschlossen."""
    v = neuer_vorgang(amt)
    assert instanz(v).modell_version.key == "allgemeines_verfahren"
    assert v.status == "Neu"
    assert offene_ids(v) == ["antrag_pruefen"]
    [aufgabe] = offene_aufgaben(sabine)
    assert aufgabe.titel == "Antrag prüfen" and aufgabe.kandidatengruppen == ["sachbearbeitung"]
    assert aufgabe.faellig is not None and aufgabe.faellig > utcnow() + timedelta(days=2)
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    assert v.status == "Angenommen"
    assert instanz(v).next_timer_due is not None
    erledige(sabine, v, "bearbeiten", ergebnis="stattgeben", vermerk="passt")
    assert v.status == "In Bearbeitung"
    erledige(sabine, v, "bescheiden", bescheid_datum="24.12.2026", bescheid_text="Dem Antrag wird stattgegeben.")
    assert v.status == "Beschieden"
    erledige(sabine, v, "abschliessen", zugestellt="on")
    assert v.status == "Abgeschlossen"
    assert instanz(v).zustand_art == "beendet"
    assert offene_ids(v) == []


def test_verworfener_antrag_endet_mit_status_verworfen(amt, sabine, verfahren):
    """Verwerfen ends the procedure and sets Verworfen."""
    v = neuer_vorgang(amt)
    erledige(sabine, v, "antrag_pruefen", entscheidung="verwerfen", begruendung="nicht zuständig")
    assert v.status == "Verworfen"
    assert instanz(v).zustand_art == "beendet"


def test_pflichtfelder_und_typen_werden_geprueft_und_nichts_gespeichert(amt, sabine, verfahren):
    """Invalid form data: per-field German errors, the task stays open, the status unchanged."""
    v = neuer_vorgang(amt)
    [aufgabe] = offene_aufgaben(sabine)
    try:
        runner.abschliessen(aufgabe.task_id, {"entscheidung": "vielleicht"}, sabine)
    except runner.FormularFehler as error:
        assert "entscheidung" in error.fehler
    else:
        raise AssertionError("FormularFehler erwartet")
    db.session.rollback()
    assert offene_ids(v) == ["antrag_pruefen"]
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    [aufgabe] = offene_aufgaben(sabine)
    try:
        runner.abschliessen(aufgabe.task_id, {"ergebnis": "stattgeben"}, sabine)
        [aufgabe] = offene_aufgaben(sabine)
        runner.abschliessen(aufgabe.task_id, {"bescheid_datum": "32.13.2026", "bescheid_text": "kurz"}, sabine)
    except runner.FormularFehler as error:
        assert set(error.fehler) == {"bescheid_datum", "bescheid_text"}
    else:
        raise AssertionError("FormularFehler erwartet")


def test_erledigte_aufgabe_ist_kein_zweites_mal_abschliessbar(amt, sabine, verfahren):
    """Completing a task that is no longer open is a Konflikt."""
    v = neuer_vorgang(amt)
    [aufgabe] = offene_aufgaben(sabine)
    runner.abschliessen(aufgabe.task_id, {"entscheidung": "annehmen"}, sabine)
    try:
        runner.abschliessen(aufgabe.task_id, {"entscheidung": "annehmen"}, sabine)
    except runner.Konflikt:
        pass
    else:
        raise AssertionError("Konflikt erwartet")
    assert v.status == "Angenommen"


def test_leitung_ohne_kandidatenrolle_darf_nicht_abschliessen(amt, lars, verfahren):
    """A user without the candidate role gets KeineBerechtigung and sees no task."""
    neuer_vorgang(amt)
    assert offene_aufgaben(lars) == []
    [aufgabe] = offene_aufgaben()
    try:
        runner.abschliessen(aufgabe.task_id, {"entscheidung": "annehmen"}, lars)
    except runner.KeineBerechtigung:
        pass
    else:
        raise AssertionError("KeineBerechtigung erwartet")


def test_zugewiesene_aufgabe_sieht_die_zugewiesene_person_auch_ohne_rolle(amt, sabine, lars):
    """camunda:assignee: lars (leitung) sees and completes a task for role verfahrensdesign; sabine does not;
    a user of another OE never sees it."""
    from app.engine.registry import deploy_xml
    from tests.engine.conftest import BEISPIELE
    from tests.factories import benutzer, oe

    deploy_xml((BEISPIELE / "zuweisung.bpmn").read_bytes(), "zuweisung.bpmn")
    fremd = benutzer("lars2", "Lars Fremd", ["leitung", "verfahrensdesign"], [oe("Bauamt", "197009", "31006")])
    db.session.commit()
    v = neuer_vorgang(amt, verfahren_key="zuweisung")
    erledige(sabine, v, "eingabe", zahl=2)
    assert [a.element_id for a in offene_aufgaben(lars)] == ["fertig"]
    assert offene_aufgaben(lars)[0].zugewiesen_an == "lars"
    assert offene_aufgaben(sabine) == []
    assert offene_aufgaben(fremd) == []
    assert len(offene_aufgaben(lars, limit=0)) == 0
    erledige(lars, v, "fertig")
    assert instanz(v).zustand_art == "beendet"
