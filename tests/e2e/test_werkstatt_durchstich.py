"""The whole way of issue 15 in a real Chromium (its "Proof"): a process designer builds a new procedure in the
browser — start → user task with two form fields → exclusive gateway → two ends — sees the live check mark a bad
condition and fixes it, saves the draft, previews the form, test-runs one branch, deploys and routes a form id to
it; an application for that form id arrives through the intake's HTTP endpoint (OZG-Cloud contract) and starts the
new procedure; a caseworker completes its task with the other decision and the instance ends at the other end
event. axe-core checks each workbench page it passes (the canvas excepted)."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect
from SpiffWorkflow.util.task import TaskState

from adapters.ozgcloud import ozgcloud_json_bauen
from app.config import ROOT
from app.engine import registry
from app.engine.models import ProzessInstanz
from app.engine.serialisierung import zustand_laden
from app.extensions import db
from app.intake.simulation import multipart_bauen
from app.intake.zugang import quelle_anlegen
from app.vorgaenge.models import Vorgang
from tests import factories
from tests.e2e.hilfen import anmelden, axe_pruefen

pytestmark = pytest.mark.browser

MODELER = ROOT / "app" / "static" / "vendor" / "werkstatt" / "modeler.js"

#: The decision field, added before the template's `bemerkung` field of the task `antrag_pruefen`.
_FELD_HINZUFUEGEN = """() => {
    const m = window.amtsflussModeler, fabrik = m.get('bpmnFactory');
    const aufgabe = m.get('elementRegistry').get('antrag_pruefen');
    const formData = aufgabe.businessObject.extensionElements.values.find((e) => e.$type === 'camunda:FormData');
    const feld = fabrik.create('camunda:FormField', {id: 'entscheidung', label: 'Entscheidung', type: 'enum'});
    feld.values = [['genehmigen', 'Genehmigen'], ['ablehnen', 'Ablehnen']].map(([id, name]) =>
        Object.assign(fabrik.create('camunda:Value', {id: id, name: name}), {$parent: feld}));
    feld.$parent = formData;
    m.get('modeling').updateModdleProperties(aufgabe, formData, {fields: [feld, ...formData.get('fields')]});
}"""

#: The template's end event gives way to a gateway with one end event per decision (ids and names set after).
_VERZWEIGUNG_BAUEN = """() => {
    const m = window.amtsflussModeler, r = m.get('elementRegistry'), modeling = m.get('modeling');
    const neu = (typ) => m.get('elementFactory').createShape({type: typ});
    modeling.removeElements([r.get('ende')]);
    const gateway = modeling.appendShape(r.get('antrag_pruefen'), neu('bpmn:ExclusiveGateway'), {x: 425, y: 120});
    modeling.updateProperties(gateway, {id: 'gw_entscheidung', name: 'Entscheidung?'});
    [['genehmigt', 'Genehmigt', 120], ['abgelehnt', 'Abgelehnt', 240]].forEach(([id, name, y]) => {
        const ende = modeling.appendShape(gateway, neu('bpmn:EndEvent'), {x: 540, y: y});
        modeling.updateProperties(ende, {id: id, name: name});
        modeling.updateProperties(ende.incoming[0], {id: 'f_' + id});
    });
}"""

#: A condition on a sequence flow, as the properties panel writes it (a bpmn:FormalExpression).
_BEDINGUNG_SETZEN = """([fluss, ausdruck]) => {
    const m = window.amtsflussModeler;
    const bedingung = m.get('moddle').create('bpmn:FormalExpression', {body: ausdruck});
    m.get('modeling').updateProperties(m.get('elementRegistry').get(fluss), {conditionExpression: bedingung});
}"""


@pytest.fixture
def welt(live_app):
    """An OE with the designer `dora` and the caseworker `sabine`, and an OZG-Cloud source; returns its token."""
    if not MODELER.exists():
        pytest.skip("Modeler-Bundle fehlt (make assets)")
    with live_app.app_context():
        amt = factories.oe("Ordnungsamt", "197008", "31005")
        factories.benutzer("dora", "Dora Design", ["verfahrensdesign"], [amt])
        factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
        _quelle, token = quelle_anlegen("amt24", "ozgcloud")
        db.session.commit()
        return token


def _antrag_senden(server, token: str) -> dict:
    """An application for the form id `sondernutzung-antrag` through POST /antrag, as a form service sends it."""
    form_data = ozgcloud_json_bauen(
        "tx-sondernutzung-1",
        {"antragsteller": {"vorname": "Erika", "nachname": "Mustermann"}, "flaeche": 12},
        zustaendige_stelle="197008",
        formular_id="sondernutzung-antrag",
        formular_name="Antrag auf Sondernutzung",
    )
    body, typ = multipart_bauen([("formData", None, "application/json", form_data)])
    anfrage = urllib.request.Request(
        server.url + "/antrag", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": typ}
    )
    with urllib.request.urlopen(anfrage, timeout=30) as antwort:  # noqa: S310 — the local test server
        assert antwort.status == 201
        return json.loads(antwort.read())


def _verfahren_bauen(page) -> None:
    """In the modeler: the decision field, the gateway with two ends; a wrong condition is marked, then fixed."""
    page.evaluate(_FELD_HINZUFUEGEN)
    page.evaluate(_VERZWEIGUNG_BAUEN)
    page.evaluate(_BEDINGUNG_SETZEN, ["f_genehmigt", "entscheidung = 'genehmigen'"])
    # a connection's group has no box of its own, so Playwright calls it hidden: count it, not its visibility
    expect(page.locator('.djs-element.werkstatt-fehler[data-element-id="f_genehmigt"]')).to_have_count(1)
    expect(page.locator("#werkstatt-pruefung")).to_contain_text("[f_genehmigt]")
    expect(page.locator("#werkstatt-pruefung")).to_contain_text("Bedingung:")
    page.evaluate(_BEDINGUNG_SETZEN, ["f_genehmigt", "entscheidung == 'genehmigen'"])
    page.evaluate(_BEDINGUNG_SETZEN, ["f_abgelehnt", "entscheidung == 'ablehnen'"])
    expect(page.locator(".djs-element.werkstatt-fehler")).to_have_count(0)
    expect(page.locator("#werkstatt-pruefung-stand")).to_contain_text("Keine Fehler")


def _erreichte_enden(live_app, vorgang_id: int) -> tuple[str, list[str]]:
    """The instance's state and the end events it completed, read from its stored workflow."""
    with live_app.app_context():
        instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang_id)).one()
        modell = registry.modell(instanz.modell_version)
        workflow = zustand_laden(instanz.zustand, modell.spec, modell.subprocess_specs)
        enden = [t.task_spec.name for t in workflow.get_tasks(state=TaskState.COMPLETED)]
        return instanz.zustand_art, [e for e in enden if e in ("genehmigt", "abgelehnt")]


def test_designer_builds_tries_deploys_and_a_caseworker_completes_an_application(live_app, server, welt, page, browser):
    """Build with a fixed check error → save → preview → test run (genehmigt) → deploy → route → intake → task
    completed with the other decision → the instance ends at `abgelehnt`."""
    anmelden(page, server, "dora")
    page.goto(server.url + "/werkstatt/")
    page.get_by_role("link", name="Neues Verfahren").click()
    page.get_by_label("Name").fill("Sondernutzung")
    page.get_by_label("Prozess-ID").fill("sondernutzung")
    page.get_by_role("button", name="Anlegen und im Modeler öffnen").click()
    page.wait_for_selector("#werkstatt.geladen")
    expect(page.locator("#werkstatt-pruefung-stand")).to_contain_text("Keine Fehler")
    _verfahren_bauen(page)
    axe_pruefen(page, "Modeler mit Verzweigung", ohne=["#werkstatt-canvas"])
    page.get_by_label("Kommentar zum Entwurf").fill("Entscheidung mit zwei Enden")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator("#werkstatt-status")).to_contain_text("Entwurf gespeichert (Nr.")

    # the caseworker's form, previewed: both fields
    page.get_by_role("link", name="Formularvorschau").click()
    expect(page.get_by_label("Entscheidung")).to_have_count(1)
    expect(page.get_by_label("Bemerkung")).to_have_count(1)
    axe_pruefen(page, "Formularvorschau")

    # a test run takes the approving branch and ends
    page.get_by_role("link", name="Probelauf").click()
    page.get_by_role("button", name="Probelauf starten").click()
    page.get_by_label("Entscheidung").select_option("genehmigen")
    page.get_by_label("Bemerkung").fill("Fläche passt")
    page.get_by_role("button", name="„Antrag prüfen“ erledigen").click()
    expect(page.locator("#probelauf-zustand")).to_have_text("Das Verfahren ist beendet.")
    expect(page.locator("#probelauf-pfad")).to_contain_text("genehmigt")
    expect(page.locator("#probelauf-pfad")).not_to_contain_text("abgelehnt")
    page.wait_for_selector("#diagramm.geladen")
    axe_pruefen(page, "Probelauf", ohne=["#diagramm"])

    # deploy the saved draft
    page.goto(server.url + "/werkstatt/verfahren/sondernutzung")
    page.get_by_role("button", name="Als nächste Version bereitstellen").click()
    expect(page.locator("body")).to_contain_text("Version 1 von „Sondernutzung“ ist bereitgestellt.")
    axe_pruefen(page, "Verfahren")
    assert page.konsolenfehler == []

    # route the form id to the new procedure, in the browser
    page.goto(server.url + "/werkstatt/")
    page.get_by_role("link", name="Routing der Anträge").click()
    axe_pruefen(page, "Routing")
    page.get_by_label("Art").select_option("formular")
    page.get_by_label("Formular-ID oder LeiKa-ID").fill("sondernutzung-antrag")
    page.get_by_label("Verfahren (Prozess-ID)").fill("sondernutzung")
    page.get_by_role("button", name="Zuordnen").click()
    expect(page.locator("body")).to_contain_text("Die Zuordnung gilt für Anträge, die ab jetzt eingehen.")
    expect(page.locator("table")).to_contain_text("sondernutzung-antrag")
    expect(page.locator(".historie")).to_contain_text("dora: Zuordnung angelegt „Formular-ID sondernutzung-antrag“")
    axe_pruefen(page, "Routing mit Eintrag")
    for link, name in (("Rollenzuordnung", "Rollenzuordnung"), ("Beschriftungen der Formulare", "Beschriftungen")):
        page.goto(server.url + "/werkstatt/")
        page.get_by_role("link", name=link).click()
        axe_pruefen(page, name)
    page.get_by_role("link", name="hundesteuer-anmeldung", exact=True).click()
    axe_pruefen(page, "Beschriftungen eines Formulars")
    assert page.konsolenfehler == []

    # the application arrives through the intake endpoint and runs the new procedure
    antwort = _antrag_senden(server, welt)
    nummer = antwort["vorgang"]["vorgangNummer"]
    with live_app.app_context():
        vorgang = db.session.scalars(db.select(Vorgang).filter_by(nummer=nummer)).one()
        instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()
        assert instanz.modell_version.key == "sondernutzung"

    # the caseworker finds the task in her inbox and rejects: the other branch
    kontext = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    sachbearbeitung = kontext.new_page()
    try:
        anmelden(sachbearbeitung, server, "sabine")
        sachbearbeitung.goto(server.url + "/aufgaben")
        sachbearbeitung.get_by_role("link", name=re.compile("Für meine Rollen offen")).click()
        expect(sachbearbeitung.locator("main")).to_contain_text(nummer)
        sachbearbeitung.get_by_role("link", name="Antrag prüfen").first.click()
        sachbearbeitung.get_by_label("Entscheidung").select_option("ablehnen")
        sachbearbeitung.get_by_label("Bemerkung").fill("Gehweg zu schmal")
        sachbearbeitung.get_by_role("button", name=re.compile("Aufgabe erledigen")).click()
        sachbearbeitung.wait_for_url(f"**/vorgang/{nummer}**")
        expect(sachbearbeitung.locator("#historie")).to_contain_text("Aufgabe erledigt")
    finally:
        kontext.close()
    assert _erreichte_enden(live_app, vorgang.id) == ("beendet", ["abgelehnt"])
