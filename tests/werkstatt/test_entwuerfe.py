"""Drafts: new from the template, upload/download, saving from the modeler, who else edits, deploy with audit."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from app.config import ROOT
from app.engine.models import ProzessInstanz, ProzessModellVersion
from app.engine.registry import neueste_version
from app.extensions import db
from app.werkstatt import entwuerfe
from app.werkstatt.models import Entwurf, WerkstattEreignis
from tests.engine.conftest import neuer_vorgang

HUNDESTEUER = (ROOT / "processes" / "hundesteuer.bpmn").read_bytes()


def _hochladen(client, daten: bytes, name: str = "hundesteuer.bpmn"):
    return client.post(
        "/werkstatt/hochladen", data={"datei": (io.BytesIO(daten), name)}, content_type="multipart/form-data"
    )


def test_new_procedure_from_template_opens_in_the_modeler(app, client, dora):
    """The template gets the key and name; the modeler page loads it from the xml endpoint."""
    antwort = client.post("/werkstatt/neu", data={"key": "sondernutzung", "name": "Sondernutzung"})
    assert antwort.status_code == 302 and antwort.location.endswith("/werkstatt/verfahren/sondernutzung/modeler")
    seite = client.get("/werkstatt/verfahren/sondernutzung/modeler").get_data(as_text=True)
    assert 'data-quelle="/werkstatt/verfahren/sondernutzung/xml"' in seite
    xml = client.get("/werkstatt/verfahren/sondernutzung/xml").get_data(as_text=True)
    assert 'id="sondernutzung" name="Sondernutzung"' in xml and 'bpmnElement="sondernutzung"' in xml
    assert client.post("/werkstatt/pruefen", data=xml).get_json() == {"fehler": []}
    # the same key again, and a key that is no process id, are refused
    assert client.post("/werkstatt/neu", data={"key": "sondernutzung", "name": "X"}).status_code == 400
    assert "Prozess-ID" in client.post("/werkstatt/neu", data={"key": "1 x", "name": "X"}).get_data(as_text=True)


def test_upload_keeps_the_file_byte_for_byte(app, client, dora, verfahren):
    """A file from Camunda Modeler is stored as is: extension elements and diagram layout kept."""
    antwort = _hochladen(client, HUNDESTEUER)
    assert antwort.status_code == 302
    entwurf = entwuerfe.neuester_entwurf("hundesteuer")
    assert entwurf.basis_version == 1 and entwurf.autor == "dora"
    download = client.get(f"/werkstatt/verfahren/hundesteuer/entwuerfe/{entwurf.id}.bpmn")
    assert download.data == HUNDESTEUER
    # a draft never changes what runs
    assert neueste_version("hundesteuer").version == 1


def test_upload_refuses_dtd_oversize_and_non_bpmn_without_500(app, client, dora):
    """Hardened: no DOCTYPE/entities, a size limit, only BPMN documents; each with a German message."""
    bombe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    app.config["WERKSTATT_MAX_BPMN_BYTES"] = 1000
    for daten, text in (
        (bombe, "DOCTYPE"),
        (b"x" * 2000, "größer als 1 KB"),
        (b"kein xml", "Kein wohlgeformtes XML"),
        (b"<root/>", "keine BPMN-2.0-Datei"),
        (b"", "Die Datei ist leer"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><a>ä</a>'.encode("latin-1"), "UTF-8-kodiert"),
    ):
        antwort = _hochladen(client, daten)
        assert antwort.status_code == 302
        assert text in client.get("/werkstatt/").get_data(as_text=True), text
    assert db.session.scalar(select(func.count()).select_from(Entwurf)) == 0


def test_save_from_modeler_returns_check_and_other_editors(app, client, auth, dora, verfahren, uhr):
    """Saving adds a draft; the answer names the others who opened the procedure in the last half hour."""
    auth.logout()
    auth.login("dirk")
    client.get("/werkstatt/verfahren/hundesteuer/modeler")
    auth.logout()
    auth.login("dora")
    xml = HUNDESTEUER.decode().replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    antwort = client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml, "kommentar": "Titel"})
    assert antwort.status_code == 200
    daten = antwort.get_json()
    assert daten["andere"] == ["dirk"] and daten["pruefung"] == []
    assert entwuerfe.neuester_entwurf("hundesteuer").kommentar == "Titel"
    assert "Gerade in Bearbeitung von: dirk" in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    uhr.vorstellen(timedelta(hours=1))
    assert client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml}).get_json()["andere"] == []


def test_save_refuses_other_process_id_and_bad_json(app, client, dora, verfahren):
    """The modeler saves into its procedure only; malformed requests get 400/422, never 500."""
    fremd = HUNDESTEUER.decode()
    antwort = client.post("/werkstatt/verfahren/gewerbeanmeldung/entwurf", json={"xml": fremd})
    assert antwort.status_code == 422 and "passt nicht" in antwort.get_json()["fehler"]
    assert client.post("/werkstatt/verfahren/hundesteuer/entwurf", data="x").status_code == 400
    assert client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": 5}).status_code == 400


def test_check_names_elements_in_german(app, client, dora, verfahren):
    """The validator of `processes deploy` answers with element ids, lines and German messages."""
    xml = HUNDESTEUER.replace(b">listenhund</bpmn:conditionExpression>", b">listenhund ==</bpmn:conditionExpression>")
    fehler = client.post("/werkstatt/pruefen", data=xml, content_type="application/xml").get_json()["fehler"]
    assert fehler == [
        {
            "element": "f_listenhund",
            "zeile": 143,
            "meldung": "Bedingung: Kein gültiger Python-Ausdruck (Zeile 1): invalid syntax.",
        }
    ]
    nicht_xml = client.post("/werkstatt/pruefen", data=b"<").get_json()["fehler"]
    assert "Kein wohlgeformtes XML" in nicht_xml[0]["meldung"]
    app.config["WERKSTATT_MAX_BPMN_BYTES"] = 10
    assert client.post("/werkstatt/pruefen", data=xml).status_code == 413


def test_deploy_creates_next_version_and_leaves_running_cases(app, client, amt, dora, verfahren):
    """Deploying a draft makes version 2 (by dora, in the audit log); a running Vorgang stays on version 1."""
    laufend = neuer_vorgang(amt, formular_id="hundesteuer")
    xml = HUNDESTEUER.decode().replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    entwurf_id = client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml}).get_json()["id"]
    antwort = client.post("/werkstatt/verfahren/hundesteuer/deployen", data={"entwurf": entwurf_id})
    assert antwort.status_code == 302
    version = neueste_version("hundesteuer")
    assert (version.version, version.deployed_von) == (2, "dora")
    instanz = db.session.scalars(select(ProzessInstanz).filter_by(vorgang_id=laufend.id)).one()
    assert instanz.modell_version.version == 1
    aktionen = db.session.scalars(select(WerkstattEreignis.aktion).filter_by(key="hundesteuer")).all()
    assert "deployt" in aktionen
    text = client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    assert "Version 2 von „Hundesteuer-Anmeldung“ ist bereitgestellt." in text


def test_invalid_draft_is_not_deployed(app, client, dora, verfahren):
    """A draft with errors can be saved but not deployed; the page says why."""
    xml = HUNDESTEUER.decode().replace('type="long"', 'type="zahl"', 1)
    client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml})
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={})
    assert db.session.scalar(select(func.count()).select_from(ProzessModellVersion).filter_by(key="hundesteuer")) == 1
    assert "unbekannter Typ „zahl“" in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    assert client.post("/werkstatt/verfahren/hundesteuer/deployen", data={"entwurf": "x"}).status_code == 404


def test_start_up_deploys_only_procedures_the_database_lacks(app, client, dora, verfahren):
    """A restart never undoes a designer's version; a new shipped procedure is still deployed."""
    from app import create_app
    from tests.conftest import TEST_CONFIG

    xml = HUNDESTEUER.decode().replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    entwurf_id = client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml}).get_json()["id"]
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={"entwurf": entwurf_id})
    db.session.execute(db.delete(ProzessModellVersion).filter_by(key="baumfaellung"))
    db.session.commit()
    create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "DEPLOY_PROCESSES_ON_START": True,
        }
    )
    db.session.remove()
    assert neueste_version("hundesteuer").version == 2 and neueste_version("hundesteuer").deployed_von == "dora"
    assert neueste_version("baumfaellung").deployed_von == "Start"


def test_approval_by_a_second_person_when_configured(app, client, auth, dora, verfahren):
    """With WERKSTATT_FREIGABE the author cannot approve; after dirk's approval dora may deploy."""
    app.config["WERKSTATT_FREIGABE"] = True
    xml = HUNDESTEUER.decode().replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    entwurf_id = client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": xml}).get_json()["id"]
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={"entwurf": entwurf_id})
    assert neueste_version("hundesteuer").version == 1
    seite = client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    assert "braucht vor dem Bereitstellen die Freigabe einer zweiten Person" in seite
    client.post("/werkstatt/verfahren/hundesteuer/freigeben", data={"entwurf": entwurf_id})
    assert "muss eine zweite Person freigeben" in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    auth.logout()
    auth.login("dirk")
    assert "Entwurf freigeben" in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    client.post("/werkstatt/verfahren/hundesteuer/freigeben", data={"entwurf": entwurf_id})
    auth.logout()
    auth.login("dora")
    assert "Freigegeben von dirk" in client.get("/werkstatt/verfahren/hundesteuer").get_data(as_text=True)
    client.post("/werkstatt/verfahren/hundesteuer/deployen", data={"entwurf": entwurf_id})
    assert neueste_version("hundesteuer").version == 2
