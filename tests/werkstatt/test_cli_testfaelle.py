"""`flask processes deploy` runs all test cases of a procedure before deploying it, like the browser deploy."""

import json
import shutil

from app import create_app
from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.registry import neueste_version
from app.extensions import db
from app.werkstatt import testfaelle
from app.werkstatt.models import WerkstattEreignis
from tests.conftest import TEST_CONFIG

PROCESSES = ROOT / "processes"
ANNEHMEN = {"element": "anmeldung_pruefen", "daten": {"entscheidung": "annehmen"}}
PFAD = ["start", "anmeldung_pruefen", "gw_annehmen", "angenommen"]


def _ordner(tmp_path):
    """A folder with the Hundesteuer procedure (and its table) and the Baumfällung procedure."""
    for name in ("hundesteuer.bpmn", "hundesteuer.dmn", "baumfaellung.bpmn"):
        shutil.copy(PROCESSES / name, tmp_path / name)
    return tmp_path


def _testfall(pfad, name: str, erwartet_pfad: list[str]) -> None:
    dokument = {"verfahren": "hundesteuer", "name": name, "startdaten": {}, "schritte": [ANNEHMEN]}
    dokument["erwartet"] = {"pfad": erwartet_pfad, "beendet": False}
    pfad.write_text(json.dumps(dokument), encoding="utf-8")


def test_passing_test_case_files_beside_the_bpmn_let_the_deploy_through(app, runner, tmp_path):
    """A test-case file `<key>.<name>.test.json` beside the .bpmn runs and passes: the procedure is deployed."""
    ordner = _ordner(tmp_path)
    _testfall(ordner / "hundesteuer.annahme.test.json", "Annahme", PFAD)
    ergebnis = runner.invoke(args=["processes", "deploy", str(ordner)])
    assert ergebnis.exit_code == 0, ergebnis.output
    assert neueste_version("hundesteuer").version == 1


def test_failing_test_case_stops_only_its_procedure_with_case_step_and_difference(app, runner, tmp_path):
    """A file whose expected path differs: Hundesteuer is not deployed, Baumfällung is; exit code 1."""
    ordner = _ordner(tmp_path)
    _testfall(ordner / "hundesteuer.annahme.test.json", "Annahme", [*PFAD[:3], "abgelehnt"])
    ergebnis = runner.invoke(args=["processes", "deploy", str(ordner)])
    assert ergebnis.exit_code == 1
    assert "Testfall „Annahme“: Pfad weicht bei Element 4 ab: erwartet „abgelehnt“, erreicht „angenommen“." in (
        ergebnis.output
    )
    assert neueste_version("hundesteuer") is None
    assert neueste_version("baumfaellung").version == 1


def test_saved_test_case_of_the_database_runs_too(app, runner, tmp_path, amt):
    """A test case saved in the workbench blocks a changed file whose task is no longer open at that step."""
    runner.invoke(args=["processes", "deploy", str(_ordner(tmp_path))])
    dora = db.session.scalars(db.select(Benutzer).filter_by(login="dora")).one()
    inhalt = {"startdaten": {}, "schritte": [ANNEHMEN], "erwartet": {"pfad": PFAD, "beendet": False}}
    testfaelle.testfall_speichern("hundesteuer", "Annahme", inhalt, dora)
    datei = tmp_path / "hundesteuer.bpmn"
    xml = datei.read_text(encoding="utf-8").replace('id="anmeldung_pruefen"', 'id="anmeldung_sichten"')
    datei.write_text(xml.replace('"anmeldung_pruefen"', '"anmeldung_sichten"'), encoding="utf-8")
    ergebnis = runner.invoke(args=["processes", "deploy", str(datei)])
    assert ergebnis.exit_code == 1
    assert "Testfall „Annahme“: Schritt 1: Die Aufgabe „anmeldung_pruefen“ ist nicht offen." in ergebnis.output
    assert neueste_version("hundesteuer").version == 1


def test_unreadable_test_case_file_is_named(app, runner, tmp_path):
    """A broken test-case file stops its procedure with the file's name and why."""
    ordner = _ordner(tmp_path)
    (ordner / "hundesteuer.kaputt.test.json").write_text("{", encoding="utf-8")
    ergebnis = runner.invoke(args=["processes", "deploy", str(ordner)])
    assert ergebnis.exit_code == 1
    assert "hundesteuer.kaputt.test.json: Testfall-Datei nicht lesbar: Die Testfall-Datei ist kein gültiges JSON." in (
        ergebnis.output
    )
    assert neueste_version("hundesteuer") is None


def test_shipped_test_case_guards_the_shipped_procedure(app, runner, tmp_path):
    """processes/ ships a test case for the Hundesteuer: a flipped Listenhund condition no longer passes it."""
    ordner = _ordner(tmp_path)
    shutil.copy(PROCESSES / "hundesteuer.listenhund.test.json", ordner)
    assert runner.invoke(args=["processes", "deploy", str(ordner)]).exit_code == 0
    datei = ordner / "hundesteuer.bpmn"
    xml = datei.read_text(encoding="utf-8").replace(">listenhund</bpmn:conditionExpression>", ">not listenhund<")
    datei.write_text(xml.replace(">not listenhund<", ">not listenhund</bpmn:conditionExpression>"), encoding="utf-8")
    ergebnis = runner.invoke(args=["processes", "deploy", str(ordner)])
    assert ergebnis.exit_code == 1
    assert "Testfall „Listenhund bis zum Bescheid“: Schritt 3: Die Aufgabe „wesenstest_pruefen“ ist nicht offen." in (
        ergebnis.output
    )
    assert neueste_version("hundesteuer").version == 1


def _geflippt(xml: str) -> str:
    """The Hundesteuer with the Listenhund condition turned round (the shipped test case no longer passes)."""
    xml = xml.replace(">listenhund</bpmn:conditionExpression>", ">not listenhund<")
    return xml.replace(">not listenhund<", ">not listenhund</bpmn:conditionExpression>")


def test_cli_deploy_stores_file_test_cases_and_the_browser_deploy_runs_them(app, runner, tmp_path, dora, client):
    """After `processes deploy` the file's test case is one of the procedure's: a browser draft that breaks it is
    refused with the case, step and reason; a draft that keeps it is deployed."""
    ordner = _ordner(tmp_path)
    shutil.copy(PROCESSES / "hundesteuer.listenhund.test.json", ordner)
    assert runner.invoke(args=["processes", "deploy", str(ordner), "--von", "ci"]).exit_code == 0
    [testfall] = testfaelle.testfaelle("hundesteuer")
    assert (testfall.name, testfall.geaendert_von) == ("Listenhund bis zum Bescheid", "ci")
    ereignis = db.session.scalars(db.select(WerkstattEreignis).filter_by(aktion="Testfall aus Datei übernommen")).one()
    assert (ereignis.key, ereignis.benutzer, ereignis.details) == ("hundesteuer", "ci", {"name": testfall.name})

    xml = (ordner / "hundesteuer.bpmn").read_text(encoding="utf-8")
    assert client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": _geflippt(xml)}).status_code == 200
    seite = client.post("/werkstatt/verfahren/hundesteuer/deployen", follow_redirects=True).get_data(as_text=True)
    assert "Nicht bereitgestellt: Testfall „Listenhund bis zum Bescheid“: Schritt 3: Die Aufgabe" in seite
    assert neueste_version("hundesteuer").version == 1

    umbenannt = xml.replace('name="Anmeldung prüfen"', 'name="Anmeldung sichten"')
    assert umbenannt != xml
    client.post("/werkstatt/verfahren/hundesteuer/entwurf", json={"xml": umbenannt})
    client.post("/werkstatt/verfahren/hundesteuer/deployen")
    assert neueste_version("hundesteuer").version == 2


def test_cli_deploy_of_an_unchanged_file_runs_and_stores_a_new_test_case_file(app, runner, tmp_path):
    """A test-case file added later is run against the unchanged procedure and stored; a failing one is refused."""
    ordner = _ordner(tmp_path)
    assert runner.invoke(args=["processes", "deploy", str(ordner)]).exit_code == 0
    _testfall(ordner / "hundesteuer.falsch.test.json", "Falsch", [*PFAD[:3], "abgelehnt"])
    falsch = runner.invoke(args=["processes", "deploy", str(ordner)])
    assert falsch.exit_code == 1 and "Testfall „Falsch“: Pfad weicht bei Element 4 ab" in falsch.output
    assert testfaelle.testfaelle("hundesteuer") == []
    (ordner / "hundesteuer.falsch.test.json").unlink()
    _testfall(ordner / "hundesteuer.annahme.test.json", "Annahme", PFAD)
    assert runner.invoke(args=["processes", "deploy", str(ordner)]).exit_code == 0
    assert [t.name for t in testfaelle.testfaelle("hundesteuer")] == ["Annahme"]
    assert neueste_version("hundesteuer").version == 1


def _start(app) -> None:
    """Create the app again with the start-up deploy of processes/ (a start or restart)."""
    konfiguration = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "DEPLOY_PROCESSES_ON_START": True,
    }
    create_app(konfiguration)
    db.session.remove()


def test_start_up_deploy_of_a_new_procedure_stores_its_test_case_files(app):
    """The shipped Hundesteuer comes with its test case: the first start stores it for the browser deploy."""
    _start(app)
    [testfall] = testfaelle.testfaelle("hundesteuer")
    assert (testfall.name, testfall.geaendert_von) == ("Listenhund bis zum Bescheid", "Start")


def test_start_up_never_stores_over_a_designers_test_case(app, amt):
    """A test case of the same name saved by a designer stays as it is; a restart does not bring back a deleted
    one (the procedure is in the database, so its file is not deployed again)."""
    dora = db.session.scalars(db.select(Benutzer).filter_by(login="dora")).one()
    eigener = {"startdaten": {}, "schritte": [ANNEHMEN], "erwartet": {"pfad": PFAD, "beendet": False}}
    testfaelle.testfall_speichern("hundesteuer", "Listenhund bis zum Bescheid", eigener, dora)
    _start(app)
    db.session.remove()
    [testfall] = testfaelle.testfaelle("hundesteuer")
    assert (testfall.inhalt, testfall.geaendert_von) == (eigener, "dora")
    assert neueste_version("hundesteuer").version == 1
    db.session.delete(testfall)
    db.session.commit()
    _start(app)
    assert testfaelle.testfaelle("hundesteuer") == []
