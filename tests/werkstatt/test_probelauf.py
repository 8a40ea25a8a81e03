"""Form preview and test runs in memory; test cases saved with the procedure and run before every deploy."""

import json

from sqlalchemy import func, select

from app.config import ROOT
from app.engine.registry import neueste_version
from app.extensions import db
from app.vorgaenge.models import Vorgang
from app.werkstatt import models, probelauf

HUNDESTEUER = (ROOT / "processes" / "hundesteuer.bpmn").read_bytes()
ANNEHMEN = {"element": "anmeldung_pruefen", "daten": {"entscheidung": "annehmen"}}
ERFASSEN = {"element": "angaben_erfassen", "daten": {"anzahl_hunde": "2", "listenhund": "false"}}


def _entwurf(client, xml: bytes = HUNDESTEUER) -> int:
    return client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml.decode()}).get_json()["id"]


def test_run_follows_the_path_records_effects_and_creates_no_vorgang(app, verfahren):
    """Scripts run with recording stand-ins: status and Aktenzeichen are listed, nothing is written."""
    ergebnis = probelauf.ausfuehren(HUNDESTEUER, {}, [ANNEHMEN, ERFASSEN])
    assert ergebnis.pfad[:5] == ["start", "anmeldung_pruefen", "gw_annehmen", "angenommen", "angaben_erfassen"]
    assert [o.element for o in ergebnis.offen] == ["bescheid_versenden"]
    assert ergebnis.variablen["anzahl_hunde"] == 2 and ergebnis.variablen["listenhund"] is False
    assert "Status: Angenommen" in ergebnis.protokoll
    assert any(z.startswith("Aktenzeichen: ") for z in ergebnis.protokoll)
    assert ergebnis.fehler is None and not ergebnis.beendet
    assert db.session.scalar(select(func.count()).select_from(Vorgang)) == 0


def test_run_checks_inputs_like_the_task_form(app, verfahren):
    """Invalid input stops the run at that step with the caseworker form's messages."""
    falsch = {"element": "angaben_erfassen", "daten": {"anzahl_hunde": "0"}}
    ergebnis = probelauf.ausfuehren(HUNDESTEUER, {}, [ANNEHMEN, falsch])
    assert ergebnis.feldfehler == {"anzahl_hunde": "Mindestens 1."}
    nicht_offen = probelauf.ausfuehren(HUNDESTEUER, {}, [ERFASSEN])
    assert nicht_offen.fehler["meldung"] == "Schritt 1: Die Aufgabe „angaben_erfassen“ ist nicht offen."


def test_script_error_is_reported_with_its_element(app, verfahren):
    """A failing script in the draft is an error of the run, with its element id."""
    xml = HUNDESTEUER.replace(b"<bpmn:script>", b"<bpmn:script>1/0\n", 1)
    ergebnis = probelauf.ausfuehren(xml, {}, [ANNEHMEN, ERFASSEN])
    assert ergebnis.fehler is not None and "ZeroDivisionError" in ergebnis.fehler["meldung"]
    assert ergebnis.fehler["element"]


def test_form_preview_renders_and_checks_the_caseworker_form(app, client, dora, verfahren):
    """Every user task's form with the caseworker's labels and rules; posting shows the same messages."""
    entwurf_id = _entwurf(client)
    seite = client.get("/werkstatt/verfahren/hundesteuer/vorschau").get_data(as_text=True)
    assert "Anzahl der Hunde im Haushalt (einschließlich dieses)" in seite
    assert 'id="angaben_erfassen-anzahl_hunde"' in seite and "(Pflichtfeld)" in seite
    antwort = client.post(
        "/werkstatt/verfahren/hundesteuer/vorschau",
        data={"_element": "angaben_erfassen", "_entwurf": entwurf_id, "anzahl_hunde": "99"},
    )
    assert "Höchstens 20." in antwort.get_data(as_text=True)
    gueltig = client.post(
        "/werkstatt/verfahren/hundesteuer/vorschau",
        data={"_element": "angaben_erfassen", "anzahl_hunde": "3", "listenhund": "false"},
    )
    assert "Die Eingaben sind gültig." in gueltig.get_data(as_text=True)


def test_preview_of_an_invalid_draft_lists_its_errors(app, client, dora, verfahren):
    """An invalid draft has no preview, but its errors."""
    _entwurf(client, HUNDESTEUER.replace(b'type="long"', b'type="zahl"', 1))
    antwort = client.get("/werkstatt/verfahren/hundesteuer/vorschau")
    assert antwort.status_code == 422 and "unbekannter Typ „zahl“" in antwort.get_data(as_text=True)


def test_test_run_page_steps_through_and_saves_a_test_case(app, client, dora, verfahren):
    """Start, complete a task in the panel, save as test case, export it as JSON."""
    entwurf_id = _entwurf(client)
    seite = client.post("/werkstatt/verfahren/hundesteuer/probelauf", data={"_aktion": "starten", "_startdaten": ""})
    assert "Offen: Anmeldung prüfen." in seite.get_data(as_text=True)
    weiter = client.post(
        "/werkstatt/verfahren/hundesteuer/probelauf",
        data={
            "_aktion": "schritt",
            "_element": "anmeldung_pruefen",
            "_schritte": "[]",
            "_entwurf": str(entwurf_id),
            "csrf_token": "t",
            "entscheidung": "annehmen",
        },
    ).get_data(as_text=True)
    assert "Offen: Steuerpflicht erfassen." in weiter and "Status: Angenommen" in weiter
    # the step keeps only the form's own fields, not the page's control fields
    assert """value='[{"daten": {"entscheidung": "annehmen"}, "element": "anmeldung_pruefen"}]'""" in weiter
    fehlerhaft = client.post(
        "/werkstatt/verfahren/hundesteuer/probelauf",
        data={"_aktion": "schritt", "_element": "angaben_erfassen", "_schritte": json.dumps([ANNEHMEN])},
    ).get_data(as_text=True)
    assert "ist ein Pflichtfeld" in fehlerhaft and "Offen: Steuerpflicht erfassen." in fehlerhaft

    client.post(
        "/werkstatt/verfahren/hundesteuer/testfaelle",
        data={"name": "Annahme", "_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])},
    )
    testfall = db.session.scalars(select(models.Testfall)).one()
    assert testfall.inhalt["erwartet"]["pfad"] == ["start", "anmeldung_pruefen", "gw_annehmen", "angenommen"]
    export = client.get(f"/werkstatt/verfahren/hundesteuer/testfaelle/{testfall.id}.json").get_json()
    assert export["verfahren"] == "hundesteuer" and export["schritte"] == [ANNEHMEN]
    assert db.session.scalar(select(func.count()).select_from(Vorgang)) == 0


def test_bad_test_data_gets_a_message_not_a_500(app, client, dora, verfahren):
    """Broken JSON in the start data or the step list is explained."""
    _entwurf(client)
    antwort = client.post("/werkstatt/verfahren/hundesteuer/probelauf", data={"_aktion": "starten", "_startdaten": "{"})
    assert antwort.status_code == 400 and "kein gültiges JSON" in antwort.get_data(as_text=True)
    antwort = client.post("/werkstatt/verfahren/hundesteuer/probelauf", data={"_startdaten": "[1]"})
    assert antwort.status_code == 400 and "JSON-Objekt" in antwort.get_data(as_text=True)
    antwort = client.post("/werkstatt/verfahren/hundesteuer/probelauf", data={"_aktion": "schritt", "_schritte": "[1]"})
    assert antwort.status_code == 400
    leer = client.post("/werkstatt/verfahren/hundesteuer/testfaelle", data={"name": ""})
    assert leer.status_code == 302


def test_failing_test_case_blocks_deploy(app, client, dora, verfahren):
    """A draft that takes another path than a saved test case expects is not deployed; fixed, it is."""
    _entwurf(client)
    client.post(
        "/werkstatt/verfahren/hundesteuer/testfaelle",
        data={"name": "Annahme", "_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])},
    )
    umgeleitet = HUNDESTEUER.replace(b'id="angenommen" name="Angenommen"', b'id="angenommen2" name="Angenommen"', 1)
    umgeleitet = umgeleitet.replace(b'bpmnElement="angenommen"', b'bpmnElement="angenommen2"')
    umgeleitet = umgeleitet.replace(b'targetRef="angenommen"', b'targetRef="angenommen2"')
    umgeleitet = umgeleitet.replace(b'sourceRef="angenommen"', b'sourceRef="angenommen2"')
    _entwurf(client, umgeleitet)
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={})
    assert neueste_version("hundesteuer").version == 1
    seite = client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    assert "Testfall „Annahme“: Pfad weicht bei Element 4 ab: erwartet „angenommen“, erreicht „angenommen2“." in seite
    _entwurf(client, HUNDESTEUER.replace('name="Anmeldung prüfen"'.encode(), b'name="Anmeldung sichten"'))
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={})
    assert neueste_version("hundesteuer").version == 2


def test_diagram_data_of_a_run_and_of_test_case_coverage(app, client, dora, verfahren):
    """The viewer gets the path as done and the open task as active; coverage marks what test cases pass."""
    entwurf_id = _entwurf(client)
    daten = client.get(
        "/werkstatt/verfahren/hundesteuer/probelauf/diagramm",
        query_string={"entwurf": entwurf_id, "_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])},
    ).get_json()
    assert daten["erledigt"] == ["start", "anmeldung_pruefen", "gw_annehmen", "angenommen"]
    assert daten["aktiv"] == ["angaben_erfassen"] and daten["xml"].startswith("<?xml")
    assert client.get("/werkstatt/verfahren/hundesteuer/probelauf/diagramm?_schritte=%7B").status_code == 400
    leer = client.get("/werkstatt/verfahren/hundesteuer/abdeckung").get_json()
    assert leer["erledigt"] == [] and leer["anteil"] == 0 and leer["elemente_gesamt"] > 10
    client.post(
        "/werkstatt/verfahren/hundesteuer/testfaelle",
        data={"name": "Annahme", "_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])},
    )
    abdeckung = client.get("/werkstatt/verfahren/hundesteuer/abdeckung").get_json()
    assert abdeckung["elemente"] == ["start", "anmeldung_pruefen", "gw_annehmen", "angenommen"]
    assert abdeckung["fluesse"] == ["f_start", "f_pruefen", "f_annehmen"]
    assert abdeckung["erledigt"] == abdeckung["elemente"] + abdeckung["fluesse"]
    gesamt = abdeckung["elemente_gesamt"] + abdeckung["fluesse_gesamt"]
    assert abdeckung["anteil"] == round(100 * 7 / gesamt)
    assert abdeckung["hinweis"].startswith(f"Abgedeckt: 4 von {abdeckung['elemente_gesamt']} Elementen und 3 von")
    assert 'data-quelle="/werkstatt/verfahren/hundesteuer/abdeckung"' in client.get(
        "/werkstatt/verfahren/hundesteuer"
    ).get_data(as_text=True)


def test_exported_test_case_imports_again_and_bad_files_are_refused(app, client, dora, verfahren):
    """Export → delete → import gives the same test case; foreign, broken or malformed files get a message."""
    import io

    _entwurf(client)
    client.post(
        "/werkstatt/verfahren/hundesteuer/testfaelle",
        data={"name": "Annahme", "_startdaten": "{}", "_schritte": json.dumps([ANNEHMEN])},
    )
    testfall = db.session.scalars(select(models.Testfall)).one()
    export = client.get(f"/werkstatt/verfahren/hundesteuer/testfaelle/{testfall.id}.json").data
    inhalt = dict(testfall.inhalt)
    client.post(f"/werkstatt/verfahren/hundesteuer/testfaelle/{testfall.id}/loeschen")
    assert db.session.scalar(select(func.count()).select_from(models.Testfall)) == 0

    def hochladen(daten: bytes):
        return client.post(
            "/werkstatt/verfahren/hundesteuer/testfaelle/hochladen",
            data={"datei": (io.BytesIO(daten), "annahme.test.json")},
            content_type="multipart/form-data",
        )

    assert hochladen(export).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(models.Testfall)).one().inhalt == inhalt
    for daten, text in (
        (b"{", "kein gültiges JSON"),
        (b"[]", "JSON-Objekt"),
        (json.dumps({"verfahren": "gewerbeanmeldung", "name": "x"}).encode(), "gehört zum Verfahren"),
        (json.dumps({"name": "x", "schritte": [1]}).encode(), "Erwartet: name"),
    ):
        hochladen(daten)
        assert text in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True), text
