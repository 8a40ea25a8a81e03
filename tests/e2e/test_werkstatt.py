"""The designer workbench in a real Chromium: build a procedure in the modeler, see the server's check mark an
element, fix it, save the draft and deploy it; a shipped procedure makes the round trip through bpmn-js with its
Camunda extension elements and layout; axe-core finds no serious or critical violation (the canvas excepted)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.config import ROOT
from app.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

MODELER = ROOT / "app" / "static" / "vendor" / "werkstatt" / "modeler.js"


@pytest.fixture(scope="module")
def designer(live_app_modul):
    """An OE with the process designer `dora`."""
    if not MODELER.exists():
        pytest.skip("Modeler-Bundle fehlt (make assets)")
    from tests.engine.conftest import erledige, neuer_vorgang

    with live_app_modul.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        sabine = factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        db.session.commit()
        v = neuer_vorgang(amt, formular_id="hundesteuer")
        erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
        erledige(sabine, v, "angaben_erfassen", anzahl_hunde=1, listenhund="false")
        erledige(sabine, v, "bescheid_versenden", hundemarke="2026-0815")
        return v.nummer


def _axe(page, name: str, ohne: list | None = None) -> None:
    """Fail on serious or critical accessibility violations (optionally excluding selectors)."""
    kontext = {"exclude": [[s] for s in ohne]} if ohne else None
    ergebnis = Axe().run(page, context=kontext)
    schwer = [v for v in ergebnis.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert schwer == [], f"{name}: " + "; ".join(f"{v['id']}: {v['help']}" for v in schwer)


def _anmelden(page, server) -> None:
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill("dora")
    page.locator("input[name=password]").fill(factories.PASSWORT)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$|.*/\?.*"))


def _geladen(page) -> None:
    page.wait_for_selector("#werkstatt.geladen")
    expect(page.locator("#werkstatt-pruefung-stand")).not_to_have_text("Noch nicht geprüft.")


def _setzen(page, element: str, eigenschaften: dict) -> None:
    """Change an element's properties through the modeler (one undoable command, like the properties panel)."""
    page.evaluate(
        """([id, werte]) => { const m = window.amtsflussModeler;
            m.get('modeling').updateProperties(m.get('elementRegistry').get(id), werte); }""",
        [element, eigenschaften],
    )


def test_designer_builds_checks_saves_and_deploys_a_procedure(server_modul, designer, page):
    """New procedure → marker for an unknown role → undo fixes it → rename → save draft → deploy version 1."""
    _anmelden(page, server_modul)
    page.get_by_role("link", name="Verfahren", exact=True).click()
    _axe(page, "Verfahrensübersicht")
    page.get_by_role("link", name="Neues Verfahren").click()
    _axe(page, "Neues Verfahren")
    page.get_by_label("Name").fill("Sondernutzung")
    page.get_by_label("Prozess-ID").fill("sondernutzung")
    page.get_by_role("button", name="Anlegen und im Modeler öffnen").click()
    _geladen(page)
    assert page.locator(".djs-properties-panel, .bio-properties-panel").count() > 0
    assert page.locator(".djs-minimap").count() == 1
    stand = page.locator("#werkstatt-pruefung-stand")
    assert "Keine Fehler" in stand.text_content()
    _axe(page, "Modeler", ohne=["#werkstatt-canvas"])
    page.evaluate(
        "() => { const m = window.amtsflussModeler; "
        "m.get('selection').select(m.get('elementRegistry').get('antrag_pruefen')); }"
    )
    page.get_by_text("Formularfelder", exact=True).first.wait_for()  # the panel speaks German
    _axe(page, "Modeler mit Eigenschaften einer Aufgabe", ohne=["#werkstatt-canvas"])
    assert page.konsolenfehler == []

    _setzen(page, "antrag_pruefen", {"camunda:dueDate": "${frist +}"})
    marker = page.locator('.djs-element.werkstatt-fehler[data-element-id="antrag_pruefen"]')
    marker.wait_for()
    assert "camunda:dueDate: Kein gültiger Python-Ausdruck" in page.locator("#werkstatt-pruefung").text_content()
    assert page.locator(".werkstatt-marke").count() == 1

    page.get_by_role("button", name="Rückgängig").click()
    expect(page.locator(".djs-element.werkstatt-fehler")).to_have_count(0)
    _setzen(page, "antrag_pruefen", {"name": "Antrag sichten"})
    page.get_by_label("Kommentar zum Entwurf").fill("Erster Entwurf")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator("#werkstatt-status")).to_contain_text("Entwurf gespeichert (Nr.")
    page.get_by_role("button", name="Gespeicherten Entwurf bereitstellen").click()
    page.wait_for_url(re.compile(r".*/werkstatt/verfahren/sondernutzung$"))
    assert "Version 1 von „Sondernutzung“ ist bereitgestellt." in page.content()
    _axe(page, "Verfahren")
    assert page.konsolenfehler == []

    page.get_by_role("link", name="Formularvorschau").click()
    assert page.get_by_label("Bemerkung").count() == 1
    _axe(page, "Formularvorschau")
    page.get_by_role("link", name="Probelauf").click()
    page.get_by_role("button", name="Probelauf starten").click()
    page.get_by_label("Bemerkung").fill("alles da")
    page.get_by_role("button", name="„Antrag sichten“ erledigen").click()
    assert "Das Verfahren ist beendet." in page.locator("#probelauf-zustand").text_content()
    page.wait_for_selector("#diagramm.geladen")
    assert page.locator("#diagramm .djs-element.erledigt").count() >= 3
    _axe(page, "Probelauf", ohne=["#diagramm"])
    page.get_by_label("Name des Testfalls").fill("Mit Bemerkung")
    page.get_by_role("button", name="Testfall speichern").click()
    assert "Testfall „Mit Bemerkung“ gespeichert." in page.content()
    page.wait_for_selector("#diagramm.geladen")
    _axe(page, "Verfahren mit Testfall", ohne=["#diagramm"])
    assert page.konsolenfehler == []


def test_shipped_procedure_round_trips_through_the_modeler(server_modul, designer, page):
    """Opened and saved by bpmn-js, a shipped file keeps every Camunda form field, property and diagram shape."""
    original = (ROOT / "processes" / "hundesteuer.bpmn").read_text(encoding="utf-8")
    _anmelden(page, server_modul)
    page.goto(server_modul.url + "/werkstatt/verfahren/hundesteuer/modeler?version=1")
    _geladen(page)
    assert "Keine Fehler" in page.locator("#werkstatt-pruefung-stand").text_content()
    gespeichert = page.evaluate("window.amtsflussModeler.saveXML({format: true}).then(r => r.xml)")
    # keyboard shortcuts work on the focused canvas: Ctrl+Z undoes a change
    _setzen(page, "anmeldung_pruefen", {"name": "Geändert"})
    page.locator("#werkstatt-canvas .djs-container > svg").first.focus()
    page.keyboard.press("Control+z")
    name = "window.amtsflussModeler.get('elementRegistry').get('anmeldung_pruefen').businessObject.name"
    assert page.evaluate(name) == "Anmeldung prüfen"
    for zeichen in ("camunda:formField", "camunda:property ", "camunda:constraint", "bpmndi:BPMNShape", "di:waypoint"):
        assert gespeichert.count(f"<{zeichen}") == original.count(f"<{zeichen}"), zeichen
    assert page.konsolenfehler == []


def test_uploaded_procedure_changed_in_modeler_shows_dry_run_and_diff(server_modul, designer, page):
    """Upload the shipped file, rename a task's id in the modeler, save: the dry run on the finished Vorgang and
    the comparison with version 1 both report it."""
    _anmelden(page, server_modul)
    page.goto(server_modul.url + "/werkstatt/")
    page.get_by_label("BPMN-Datei hochladen (z. B. aus dem Camunda Modeler)").set_input_files(
        str(ROOT / "processes" / "hundesteuer.bpmn")
    )
    page.get_by_role("button", name="Hochladen", exact=True).click()
    _geladen(page)
    _setzen(page, "bescheid_versenden", {"id": "bescheid_senden"})
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator("#werkstatt-status")).to_contain_text("Entwurf gespeichert (Nr.")

    page.get_by_role("link", name="Trockenlauf").click()
    expect(page.locator("#trockenlauf-summe")).to_have_text("1 Vorgänge geprüft, 1 mit Abweichungen.")
    assert designer in page.content() and "„bescheid_versenden“ ist nicht offen" in page.content()
    _axe(page, "Trockenlauf")

    page.get_by_role("link", name="Vergleich").click()
    page.wait_for_selector("#vergleich-diagramm.geladen")
    assert page.locator("#vergleich-diagramm .djs-element.werkstatt-neu").count() == 1
    assert "entfernt" in page.content()
    _axe(page, "Vergleich", ohne=["#vergleich-diagramm"])
    assert page.konsolenfehler == []


def test_file_without_layout_is_laid_out_and_opens(server_modul, designer, page):
    """The 20-task reference model has no diagram interchange; the modeler lays it out and checks it."""
    _anmelden(page, server_modul)
    page.goto(server_modul.url + "/werkstatt/")
    page.get_by_label("BPMN-Datei hochladen (z. B. aus dem Camunda Modeler)").set_input_files(
        str(ROOT / "bench" / "reference-20-tasks.bpmn")
    )
    page.get_by_role("button", name="Hochladen", exact=True).click()
    _geladen(page)
    assert "automatisch angeordnet" in page.locator("#werkstatt-status").text_content()
    assert page.locator("#werkstatt-canvas .djs-shape").count() >= 20
    assert page.konsolenfehler == []
