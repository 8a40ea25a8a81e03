"""Historie as written, Befund as a text area, a real help page (issue 17, defect 10)."""

from app.engine.formular import Formularfeld, formular
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from tests import factories


def test_historie_keeps_labels_as_written_umlauts_and_one_pair_of_quotes(app, client, auth, ordnungsamt):
    """No lower-casing of written labels, „Anhänge“ and „Transaktions-ID“, a quoted note quoted once."""
    v = factories.vorgang(ordnungsamt)
    protokolliere(v, "Aufgabe erledigt", nachher={"Datum des Ortstermins": "03.12.2026"}, notiz="„Ortstermin“")
    protokolliere(v, "Antrag eingegangen", nachher={"anhaenge": 2, "transaktions_id": "tx-1"})
    db.session.commit()
    auth.login()
    historie = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    historie = historie[historie.index('id="historie"') :]
    assert "Datum des Ortstermins: 03.12.2026" in historie and "Datum des ortstermins" not in historie
    assert "Anhänge: 2" in historie and "Transaktions-ID: tx-1" in historie
    assert "<q>Ortstermin</q>" in historie


def test_a_field_that_needs_at_least_ten_characters_is_a_text_area(app):
    """„Befund“ (minlength 10) is prose: a multi-line field."""
    form = formular([Formularfeld("befund", "Befund", "string", pflicht=True, minlength=10)])
    assert form["befund"]().startswith("<textarea")


def test_help_page_explains_the_caseworkers_day(app, client, auth, ordnungsamt):
    """The help page covers list, tasks, actions, Wiedervorlagen, status, dates and keyboard use."""
    auth.login()
    seite = client.get("/hilfe").get_data(as_text=True)
    for abschnitt in (
        "Die Vorgangsliste",
        "Meine Aufgaben",
        "Aktionen am Vorgang",
        "Wiedervorlagen und Benachrichtigungen",
        "Status eines Vorgangs",
        "TT.MM.JJJJ",
        "Tastatur und Barrierefreiheit",
        "Häufige Fragen",
    ):
        assert abschnitt in seite
