"""One German date input everywhere: TT.MM.JJJJ text, messages that say what is wrong (issue 17, defect 9)."""

import pytest
from sqlalchemy import select

from app.engine.formular import Formularfeld, pruefen
from app.extensions import db
from app.vorgaenge.datum import datum_lesen
from app.wiedervorlagen.models import Wiedervorlage
from tests import factories


@pytest.mark.parametrize(
    ("text", "meldung"),
    [
        ("31.02.2026", "31.02.2026 ist kein gültiges Datum."),
        ("29.02.2027", "29.02.2027 ist kein gültiges Datum."),
        ("2026-02-31", "2026-02-31 ist kein gültiges Datum."),
        ("02/28/2026", "Bitte geben Sie ein Datum im Format TT.MM.JJJJ ein."),
        ("morgen", "Bitte geben Sie ein Datum im Format TT.MM.JJJJ ein."),
    ],
)
def test_an_impossible_date_is_named_as_such_a_wrong_format_as_a_format(text, meldung):
    """31.02. is not a format problem; 02/28/2026 is."""
    with pytest.raises(ValueError, match=meldung):
        datum_lesen(text)
    assert datum_lesen("29.02.2028").isoformat() == "2028-02-29" and datum_lesen(" 1.3.2026 ").day == 1


def test_task_forms_say_the_date_does_not_exist(app):
    """The task form's date field uses the same input and message."""
    _werte, fehler = pruefen([Formularfeld("termin", "Termin", "date")], {"termin": "31.02.2026"})
    assert fehler == {"termin": "31.02.2026 ist kein gültiges Datum."}


def test_list_filters_and_wiedervorlage_use_text_inputs_not_the_native_picker(app, client, auth, ordnungsamt):
    """No `type=date` anywhere a caseworker types a date; the list filter explains an impossible date."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    liste = client.get("/?von=31.02.2026").get_data(as_text=True)
    assert 'type="date"' not in liste and "31.02.2026 ist kein gültiges Datum." in liste
    assert 'value="31.02.2026"' in liste  # what was typed stays in the field
    gefiltert = client.get("/?von=01.11.2026&bis=30.11.2026").get_data(as_text=True)
    assert 'value="01.11.2026"' in gefiltert and "bis=30.11.2026" in gefiltert.replace("%2E", ".")
    formular = client.get(f"/wiedervorlagen/neu/{v.nummer}").get_data(as_text=True)
    assert 'type="date"' not in formular and "TT.MM.JJJJ" in formular


def test_a_past_wiedervorlage_date_is_questioned_then_accepted_when_confirmed(uhr, app, client, auth, ordnungsamt):
    """A Frist before today warns and asks; ticking the box stores it; today and later need no confirmation."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    url = f"/wiedervorlagen/neu/{v.nummer}"
    daten = {"betreff": "Rückruf", "frist": "27.11.2026", "zugewiesen_an": "0"}
    antwort = client.post(url, data=daten)
    text = antwort.get_data(as_text=True)
    assert antwort.status_code == 400
    assert "Die Frist 27.11.2026 liegt in der Vergangenheit" in text and 'name="vergangenheit"' in text
    assert db.session.scalars(select(Wiedervorlage)).all() == []
    assert client.post(url, data={**daten, "vergangenheit": "y"}).status_code == 302
    assert client.post(url, data={**daten, "frist": "30.11.2026"}).status_code == 302
    assert len(db.session.scalars(select(Wiedervorlage)).all()) == 2
    assert 'name="vergangenheit"' not in client.get(url).get_data(as_text=True)
