"""Every path of the shipped procedures Gewerbeanmeldung, Hundesteuer-Anmeldung and Antrag auf Baumfällung,
and the Frist timer of the Allgemeines Verfahren, with the Vorgang's status following the procedure."""

from datetime import timedelta

from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessInstanz
from app.engine.timers import faellige_timer_ausfuehren, timer_tick
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def instanz(vorgang) -> ProzessInstanz:
    """The process instance of a Vorgang."""
    return db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()


def historie(vorgang) -> list[str]:
    """Actions in the Vorgang's Historie, oldest first."""
    query = db.select(HistorieEintrag).filter_by(vorgang_id=vorgang.id).order_by(HistorieEintrag.id)
    return [h.aktion + ("" if not h.notiz else f": {h.notiz}") for h in db.session.scalars(query)]


# ------------------------------------------------------------------------------------------ Gewerbeanmeldung


def test_gewerbeanmeldung_ohne_erlaubnispflicht(amt, sabine, verfahren):
    """Annehmen vergibt ein Aktenzeichen; nicht erlaubnispflichtig → Bescheinigung → Abgeschlossen."""
    v = neuer_vorgang(amt, formular_id="gewerbeanmeldung")
    assert instanz(v).modell_version.key == "gewerbeanmeldung"
    erledige(sabine, v, "anzeige_pruefen", entscheidung="annehmen")
    assert v.status == "Angenommen"
    assert v.aktenzeichen.startswith("GA-") and v.nummer in v.aktenzeichen
    erledige(sabine, v, "eintragen", betriebsnummer="GR-4711", erlaubnispflichtig="")
    assert v.status == "In Bearbeitung"
    assert offene_ids(v) == ["bescheinigung"]
    erledige(sabine, v, "bescheinigung", versanddatum="2026-12-01")
    assert v.status == "Abgeschlossen"
    assert any("Finanzamt" in h for h in historie(v))


def test_gewerbeanmeldung_erlaubnispflichtig_geht_ueber_die_leitung(amt, sabine, lars, verfahren):
    """Erlaubnispflichtig → the Leitung checks the permit (only the Leitung sees that task)."""
    v = neuer_vorgang(amt, formular_id="x", leika_ids=["99050012104000"])
    erledige(sabine, v, "anzeige_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "eintragen", betriebsnummer="GR-1", erlaubnispflichtig="on")
    assert offene_ids(v) == ["erlaubnis_pruefen"]
    assert offene_aufgaben(sabine) == []
    for erlaubnis in ("liegt_vor",):
        erledige(lars, v, "erlaubnis_pruefen", erlaubnis=erlaubnis)
    erledige(sabine, v, "bescheinigung", versanddatum="01.12.2026")
    assert v.status == "Abgeschlossen"


def test_gewerbeanmeldung_erlaubnis_fehlt_und_verwerfen(amt, sabine, lars, verfahren):
    """The other two branches: permit missing (still a Bescheinigung) and verwerfen."""
    v = neuer_vorgang(amt, formular_id="gewerbeanmeldung")
    erledige(sabine, v, "anzeige_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "eintragen", betriebsnummer="GR-2", erlaubnispflichtig="ja")
    erledige(lars, v, "erlaubnis_pruefen", erlaubnis="fehlt")
    erledige(sabine, v, "bescheinigung", versanddatum="2026-12-02")
    assert v.status == "Abgeschlossen"
    w = neuer_vorgang(amt, formular_id="gewerbeanmeldung")
    erledige(sabine, w, "anzeige_pruefen", entscheidung="verwerfen")
    assert w.status == "Verworfen" and instanz(w).zustand_art == "beendet"


# ------------------------------------------------------------------------------------------ Hundesteuer


def test_hundesteuer_ein_hund(amt, sabine, verfahren):
    """One ordinary dog: 90 € a year, Aktenzeichen HS-…, Abgeschlossen."""
    v = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
    assert v.status == "Angenommen"
    erledige(sabine, v, "angaben_erfassen", anzahl_hunde=1, listenhund="")
    assert v.status == "In Bearbeitung"
    assert offene_ids(v) == ["bescheid_versenden"]
    assert v.aktenzeichen.startswith("HS-")
    erledige(sabine, v, "bescheid_versenden", hundemarke="2026-0815")
    assert v.status == "Abgeschlossen"
    from app.engine.diagramm import diagramm_daten

    assert "steuer_berechnen" in diagramm_daten(v)["erledigt"]


def test_hundesteuer_listenhund_braucht_wesenstest_und_zweithund(amt, sabine, verfahren):
    """A Listenhund goes through the Wesenstest task; the tax is computed by the script."""
    v = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "angaben_erfassen", anzahl_hunde=2, listenhund="true")
    assert offene_ids(v) == ["wesenstest_pruefen"]
    erledige(sabine, v, "wesenstest_pruefen", wesenstest_datum="2026-10-01")
    erledige(sabine, v, "bescheid_versenden", hundemarke="2026-0816")
    assert v.status == "Abgeschlossen"
    w = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, w, "anmeldung_pruefen", entscheidung="annehmen")
    erledige(sabine, w, "angaben_erfassen", anzahl_hunde=2, listenhund="false")
    erledige(sabine, w, "bescheid_versenden", hundemarke="2026-0817")
    assert w.status == "Abgeschlossen"


def test_hundesteuer_verwerfen_und_anzahl_wird_geprueft(amt, sabine, verfahren):
    """min/max of a long field; verwerfen ends with Verworfen."""
    v = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
    [aufgabe] = offene_aufgaben(vorgang=v)
    try:
        runner.abschliessen(aufgabe.task_id, {"anzahl_hunde": "0"}, sabine)
    except runner.FormularFehler as error:
        assert error.fehler == {"anzahl_hunde": "Mindestens 1."}
    else:
        raise AssertionError("FormularFehler erwartet")
    w = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, w, "anmeldung_pruefen", entscheidung="verwerfen")
    assert w.status == "Verworfen"


# ------------------------------------------------------------------------------------------ Baumfällung


def _bis_zur_leitung(v, sabine):
    """Annehmen and do the Ortstermin."""
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    assert v.status == "Angenommen"
    erledige(sabine, v, "ortstermin", ortstermin_datum="2026-12-03", befund="Stamm morsch, Bruchgefahr.")
    assert v.status == "In Bearbeitung"


def test_baumfaellung_genehmigt_nach_ortstermin_und_leitung(amt, sabine, lars, verfahren):
    """Ortstermin → Leitung genehmigt → Bescheid → Beschieden → (Wiedervorlage) → Abgeschlossen."""
    v = neuer_vorgang(amt, formular_id="baumfaellung")
    _bis_zur_leitung(v, sabine)
    assert offene_ids(v) == ["genehmigung_leitung"]
    erledige(lars, v, "genehmigung_leitung", leitung_entscheidung="genehmigen")
    erledige(sabine, v, "bescheid", bescheid_datum="2026-12-04")
    assert v.status == "Beschieden"
    assert any(h.startswith("Wiedervorlage") for h in historie(v))
    erledige(sabine, v, "abschliessen", widerspruch="")
    assert v.status == "Abgeschlossen"


def test_baumfaellung_leitung_gibt_zurueck_dann_abgelehnt(amt, sabine, lars, verfahren):
    """Zurück an die Sachbearbeitung loops to the Ortstermin; a rejection still ends with a Bescheid."""
    v = neuer_vorgang(amt, formular_id="baumfaellung")
    _bis_zur_leitung(v, sabine)
    erledige(lars, v, "genehmigung_leitung", leitung_entscheidung="zurueck", leitung_hinweis="Fotos fehlen")
    assert offene_ids(v) == ["ortstermin"]
    erledige(sabine, v, "ortstermin", ortstermin_datum="2026-12-05", befund="Fotos nachgereicht, morsch.")
    erledige(lars, v, "genehmigung_leitung", leitung_entscheidung="ablehnen")
    erledige(sabine, v, "bescheid", bescheid_datum="2026-12-06")
    erledige(sabine, v, "abschliessen", widerspruch="on")
    assert v.status == "Abgeschlossen"


def test_baumfaellung_nachforderung_unterlagen_kommen_per_nachricht(amt, sabine, verfahren):
    """Nachfordern waits for a message or the Frist; the message resumes the instance at Antrag prüfen."""
    v = neuer_vorgang(amt, formular_id="baumfaellung")
    erledige(sabine, v, "antrag_pruefen", entscheidung="nachfordern")
    erledige(sabine, v, "nachfordern", fehlende_unterlagen="Lageplan", frist_tage=14)
    assert offene_ids(v) == []
    assert instanz(v).next_timer_due is not None
    assert runner.nachricht(v, "Etwas anderes", {}) is False
    assert runner.nachricht(v, "Unterlagen eingegangen", {"dateien": ["lageplan.pdf"]}) is True
    db.session.commit()
    assert offene_ids(v) == ["antrag_pruefen"]
    assert instanz(v).next_timer_due is None
    erledige(sabine, v, "antrag_pruefen", entscheidung="verwerfen")
    assert v.status == "Verworfen"


def test_baumfaellung_frist_laeuft_ab_und_verwirft(uhr, amt, sabine, verfahren):
    """Without documents the Frist timer fires (controlled clock) and the Vorgang is Verworfen."""
    v = neuer_vorgang(amt, formular_id="baumfaellung")
    erledige(sabine, v, "antrag_pruefen", entscheidung="nachfordern")
    erledige(sabine, v, "nachfordern", fehlende_unterlagen="Fotos", frist_tage=10)
    faellig = instanz(v).next_timer_due
    assert faellig - uhr.jetzt == timedelta(days=10)
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=9))) == 0
    assert faellige_timer_ausfuehren(uhr.vorstellen(timedelta(days=1, minutes=1))) == 1
    db.session.refresh(v)
    assert v.status == "Verworfen"
    assert instanz(v).zustand_art == "beendet"
    assert runner.nachricht(v, "Unterlagen eingegangen", {}) is False


# ------------------------------------------------------------------------------------------ Allgemeines Verfahren


def test_allgemeines_verfahren_erinnert_nach_14_tagen_und_laeuft_weiter(uhr, amt, sabine, verfahren):
    """The non-interrupting 14-day timer writes a reminder; the task stays open and the case goes on."""
    v = neuer_vorgang(amt)
    erledige(sabine, v, "antrag_pruefen", entscheidung="annehmen")
    spaeter = uhr.vorstellen(timedelta(days=15))
    assert timer_tick(spaeter) == 1
    db.session.refresh(v)
    assert any("Bearbeitungsfrist" in h for h in historie(v))
    assert offene_ids(v) == ["bearbeiten"]
    assert instanz(v).next_timer_due is None
    erledige(sabine, v, "bearbeiten", ergebnis="ablehnen")
    erledige(sabine, v, "bescheiden", bescheid_datum="2026-12-24", bescheid_text="Der Antrag wird abgelehnt.")
    erledige(sabine, v, "abschliessen", zugestellt="on")
    assert v.status == "Abgeschlossen" and instanz(v).zustand_art == "beendet"
