"""The Vorgangsliste in daily use: one form per name, surname order, only caseworkers offered (issue 17, defect 5)."""

import re

from app.extensions import db
from app.vorgaenge.models import sortierschluessel
from tests import factories


def _optionen(seite: str, select_id: str) -> list[str]:
    """The option texts of one <select>."""
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', seite, re.S).group(1)
    return [t.strip() for t in re.findall(r"<option[^>]*>([^<]*)</option>", block)]


def test_one_form_name_is_offered_once_and_finds_the_cases_of_every_form_id(app, client, auth, ordnungsamt):
    """„Hundesteuer-Anmeldung“ from two form services (two ids) is one choice and lists both Vorgänge."""
    a = factories.vorgang(ordnungsamt, "Hundesteuer-Anmeldung", formular_id="hundesteuer-anmeldung")
    b = factories.vorgang(ordnungsamt, "Hundesteuer-Anmeldung", formular_id="21/hundesteuer")
    c = factories.vorgang(ordnungsamt, "Gewerbeanmeldung", formular_id="gewerbeanmeldung")
    db.session.commit()
    auth.login()
    seite = client.get("/").get_data(as_text=True)
    assert _optionen(seite, "filter-formular") == ["alle", "Gewerbeanmeldung", "Hundesteuer-Anmeldung"]
    gefiltert = client.get("/?formular=Hundesteuer-Anmeldung").get_data(as_text=True)
    assert a.nummer in gefiltert and b.nummer in gefiltert and c.nummer not in gefiltert
    assert client.get("/?formular=21/hundesteuer").get_data(as_text=True).count(b.nummer) >= 1  # older links


def test_sorting_by_applicant_goes_by_surname_with_umlauts_as_their_base_letter(app, client, auth, ordnungsamt):
    """Anna Zander after Zoe Abel; Ömer Özdemir between Anna Nowak and Paul Schulz (DIN 5007)."""
    namen = ["Anna Zander", "Zoe Abel", "Paul Schulz", "Ömer Özdemir", "Anna Nowak"]
    nummern = {n: factories.vorgang(ordnungsamt, antragsteller_name=n).nummer for n in namen}
    db.session.commit()
    auth.login()
    seite = client.get("/?sortierung=antragsteller").get_data(as_text=True)
    reihenfolge = sorted(namen, key=lambda n: seite.index(nummern[n]))
    assert reihenfolge == ["Zoe Abel", "Anna Nowak", "Ömer Özdemir", "Paul Schulz", "Anna Zander"]


def test_sort_key_prefers_the_record_and_keeps_companies_whole():
    """The structured record wins over splitting the display name; a company sorts by its name."""
    assert sortierschluessel("Karl Theodor zu Guttenberg", {"vorname": "Karl", "nachname": "Zu Guttenberg"}) == (
        "zu guttenberg karl"
    )
    assert sortierschluessel("Bäckerei Müller GmbH", {"art": "organisation"}) == "backerei muller gmbh"
    assert sortierschluessel("", None) == ""


def test_person_choices_offer_only_people_who_work_on_cases(app, client, auth, ordnungsamt):
    """Administrators and process designers are not in the Sachbearbeitung filter nor the Wiedervorlage assignees."""
    factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt])
    factories.benutzer("ada", "Ada Admin", ["administration"], [ordnungsamt])
    factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [ordnungsamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    assert _optionen(client.get("/").get_data(as_text=True), "filter-bearbeiter") == [
        "alle",
        "Lea Leitung",
        "Sabine Berger",
    ]
    formular = client.get(f"/wiedervorlagen/neu/{v.nummer}").get_data(as_text=True)
    assert "Ada Admin" not in formular and "Dora Design" not in formular and "Lea Leitung" in formular
