"""The Verfahren area: only designers and administrators; procedures with versions, instances, incidents, routing."""

from pathlib import Path

from app.engine.registry import deploy_xml
from app.extensions import db
from app.werkstatt import verfahren as verfahren_service
from tests.engine.conftest import erledige, neuer_vorgang

ENGINE_BEISPIELE = Path(__file__).parents[1] / "engine" / "bpmn"


def test_caseworker_gets_403_designer_and_admin_get_the_area(app, client, auth, amt, verfahren):
    """Sachbearbeitung may not open the workbench; Verfahrensdesign and Administration may, with a menu link."""
    auth.login("sabine")
    assert client.get("/werkstatt/").status_code == 403
    assert client.get("/werkstatt/verfahren/hundesteuer/modeler").status_code == 403
    assert client.post("/werkstatt/pruefen", data=b"<x/>").status_code == 403
    for seite in ("probelauf", "trockenlauf", "vergleich", "vorschau", "abdeckung"):  # the nested blueprint too
        assert client.get(f"/werkstatt/verfahren/hundesteuer/{seite}").status_code == 403, seite
    assert "/werkstatt/" not in client.get("/vorgaenge/").get_data(as_text=True)
    auth.logout()
    for login in ("dora", "anton"):
        auth.login(login)
        seite = client.get("/werkstatt/")
        assert seite.status_code == 200
        assert 'href="/werkstatt/"' in seite.get_data(as_text=True)
        auth.logout()


def test_overview_lists_versions_instances_incidents_and_routing(app, client, amt, dora, verfahren):
    """Running instances and incidents are counted per version; forms and LeiKa ids routing there are named."""
    from app.auth.models import Benutzer

    sabine = db.session.scalars(db.select(Benutzer).filter_by(login="sabine")).one()
    neuer_vorgang(amt, formular_id="hundesteuer")
    deploy_xml((ENGINE_BEISPIELE / "timer_kaputt.bpmn").read_bytes(), "timer_kaputt.bpmn", von="dirk")
    db.session.commit()
    kaputt = neuer_vorgang(amt, verfahren_key="timer_kaputt")
    erledige(sabine, kaputt, "eingabe", termin="")

    zeilen = {v.key: v for v in verfahren_service.uebersicht()}
    assert zeilen["hundesteuer"].laufend == 1 and zeilen["hundesteuer"].vorfaelle == 0
    assert zeilen["hundesteuer"].routing.formulare == ["hundesteuer", "hundesteuer-anmeldung"]
    assert zeilen["hundesteuer"].routing.leika == ["99107004001000"]
    assert zeilen["allgemeines_verfahren"].routing.standard
    assert zeilen["timer_kaputt"].vorfaelle == 1 and zeilen["timer_kaputt"].deployed_von == "dirk"

    text = client.get("/werkstatt/").get_data(as_text=True)
    assert "Hundesteuer-Anmeldung" in text and "hundesteuer-anmeldung" in text
    detail = client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    assert "99107004001000" in detail and "Version 1 herunterladen" in detail and "CLI" in detail


def test_unknown_or_malformed_procedure_is_404(app, client, dora, verfahren):
    """No page of an unknown procedure, and no 500 for odd keys."""
    assert client.get("/werkstatt/verfahren/gibtsnicht").status_code == 404
    assert client.get("/werkstatt/verfahren/gibtsnicht/modeler").status_code == 404
    assert client.get("/werkstatt/verfahren/%20%3C/xml").status_code == 404
    assert client.get("/werkstatt/verfahren/hundesteuer/versionen/9.bpmn").status_code == 404
    assert client.get("/werkstatt/verfahren/hundesteuer/vorschau").status_code == 404  # no draft yet


def test_downloaded_version_is_the_deployed_file(app, client, dora, verfahren):
    """A deployed version downloads byte for byte as it was deployed."""
    antwort = client.get("/werkstatt/verfahren/hundesteuer/versionen/1.bpmn")
    assert antwort.status_code == 200
    assert antwort.data == (Path(app.root_path).parent / "processes" / "hundesteuer.bpmn").read_bytes()
    assert "attachment" in antwort.headers["Content-Disposition"]


def test_modeler_page_allows_only_the_panels_two_inline_styles(app, client, dora, verfahren):
    """The modeler page widens the CSP by two style hashes and nothing else; other pages keep the strict one."""
    modeler = client.get("/werkstatt/verfahren/hundesteuer/modeler")
    csp = modeler.headers["Content-Security-Policy"]
    assert "'unsafe-hashes'" in csp and csp.count("'sha256-") == 2 and "unsafe-inline" not in csp
    assert "script-src 'self';" in csp
    assert "unsafe-hashes" not in client.get("/werkstatt/").headers["Content-Security-Policy"]


def test_no_workbench_url_answers_500_to_odd_input(app, client, dora, verfahren):
    """Every route of the area, GET and POST, with odd path values, query and form data: never a 500."""
    client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": "<kaputt"})
    latin1 = b'<?xml version="1.0" encoding="ISO-8859-1"?><bpmn:definitions/>' + b"\xe4"
    geprueft = 0
    for regel in app.url_map.iter_rules():
        if not regel.rule.startswith("/werkstatt"):
            continue
        for werte in ({"key": "hundesteuer"}, {"key": "x y"}):
            werte = {name: werte.get(name, "7") for name in regel.arguments}
            pfad = regel.build(werte, append_unknown=False)[1]
            for methode in sorted(regel.methods & {"GET", "POST"}):
                for daten in (None, {"_startdaten": "[", "_schritte": "{", "_entwurf": "x", "entwurf": "-1"}, latin1):
                    antwort = client.open(
                        pfad + "?version=x&entwurf=y&alt=z&neu=entwurf&anzahl=q", method=methode, data=daten
                    )
                    assert antwort.status_code < 500, (regel.endpoint, methode, daten, antwort.status_code)
                    geprueft += 1
    assert geprueft > 100
