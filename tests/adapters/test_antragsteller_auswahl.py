"""Applicant mapping (issue 13 item 10): choices are not values; company names from their usual field names."""

import pytest

from adapters.antrag import Feld
from adapters.antragsteller import antragsteller_aus_feldern


def _felder(**werte) -> list[Feld]:
    return [Feld(name=name, label=name, wert=wert) for name, wert in werte.items()]


def test_a_selector_is_not_the_company_name_and_geschaeftsbezeichnung_is():
    a = antragsteller_aus_feldern(
        _felder(person_oder_firma="firma", geschaeftsbezeichnung="Bäckerei Krume GmbH", vorname="Eva", nachname="Krume")
    )
    assert a.firmenname == "Bäckerei Krume GmbH"
    assert a.art == "organisation" and (a.vorname, a.nachname) == ("Eva", "Krume")


@pytest.mark.parametrize("feld", ["Firmenname", "Geschäftsbezeichnung", "Betriebsname", "antragsteller.betriebsname"])
def test_company_names_come_from_the_usual_fields(feld):
    a = antragsteller_aus_feldern([Feld(name=feld, label=feld, wert="Hofladen Sonnenschein")])
    assert a.firmenname == "Hofladen Sonnenschein" and a.art == "organisation"


def test_a_selector_choosing_a_person_keeps_a_person():
    a = antragsteller_aus_feldern(_felder(person_oder_firma="person", vorname="Erika", nachname="Mustermann"))
    assert a.art == "person" and a.firmenname is None


@pytest.mark.parametrize(
    "feld",
    [
        Feld(name="antragsteller_art", label="Art", wert="Firma"),
        Feld(name="auswahl_firma", label="Firma?", wert="ja"),
        Feld(name="unternehmen", label="Unternehmen", wert="1", anzeigewert="Unternehmen"),
        Feld(name="firma", label="Firma", wert="firma"),
    ],
)
def test_choice_fields_never_give_a_name(feld):
    a = antragsteller_aus_feldern([feld, Feld(name="nachname", label="Nachname", wert="Krume")])
    assert a.firmenname is None and a.nachname == "Krume"
