"""Comparing versions and drafts: added, removed and changed elements with the changed properties."""

from app.config import ROOT
from app.werkstatt.vergleich import vergleichen

HUNDESTEUER = (ROOT / "processes" / "hundesteuer.bpmn").read_text(encoding="utf-8")
GEAENDERT = (
    HUNDESTEUER.replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    .replace('name="max" config="20"', 'name="max" config="30"')
    .replace(
        '<camunda:formField id="hundemarke"',
        '<camunda:formField id="farbe" label="Farbe" type="string" /><camunda:formField id="hundemarke"',
    )
)


def test_changes_are_listed_by_element_with_their_properties():
    """A renamed task, a changed constraint and a new form field; layout-only and identical files give nothing."""
    aenderungen = {a.element: a for a in vergleichen(HUNDESTEUER.encode(), GEAENDERT.encode())}
    assert set(aenderungen) == {"anmeldung_pruefen", "angaben_erfassen", "bescheid_versenden"}
    assert aenderungen["anmeldung_pruefen"].details == ["name: „Anmeldung prüfen“ → „Anmeldung sichten“"]
    assert (
        "neu: camunda:formData › camunda:formField „anzahl_hunde“ › camunda:validation › "
        "camunda:constraint (config=30, name=max)"
    ) in aenderungen["angaben_erfassen"].details
    assert any("camunda:formField (id=farbe" in d for d in aenderungen["bescheid_versenden"].details)
    verschoben = HUNDESTEUER.replace('<dc:Bounds x="', '<dc:Bounds x="1', 1)
    assert vergleichen(HUNDESTEUER.encode(), verschoben.encode()) == []


def test_added_and_removed_elements():
    """A renamed id is one element removed and one added."""
    umbenannt = HUNDESTEUER.replace('id="angenommen"', 'id="angenommen_neu"')
    arten = {(a.element, a.art) for a in vergleichen(HUNDESTEUER.encode(), umbenannt.encode())}
    assert ("angenommen_neu", "neu") in arten and ("angenommen", "entfernt") in arten


def test_comparison_page_and_diagram_data(app, client, dora, verfahren):
    """Newest version against the draft by default; the diagram data name new and changed ids; bad input is 404."""
    client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": GEAENDERT})
    seite = client.get("/werkstatt/verfahren/hundesteuer/vergleich").get_data(as_text=True)
    assert "Version 1 → Entwurf: 3 geänderte Elemente." in seite and "Anmeldung sichten" in seite
    daten = client.get("/werkstatt/verfahren/hundesteuer/vergleich.json").get_json()
    assert daten["neu"] == []
    assert set(daten["geaendert"]) == {"anmeldung_pruefen", "angaben_erfassen", "bescheid_versenden"}
    gleich = client.get("/werkstatt/verfahren/hundesteuer/vergleich?alt=1&neu=1").get_data(as_text=True)
    assert "Version 1 → Version 1: 0 geänderte Elemente." in gleich
    assert client.get("/werkstatt/verfahren/hundesteuer/vergleich?alt=7").status_code == 404
    assert client.get("/werkstatt/verfahren/hundesteuer/vergleich?alt=x").status_code == 404
