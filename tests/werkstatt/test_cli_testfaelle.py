"""`flask processes deploy` runs all test cases of a procedure before deploying it, like the browser deploy."""

import json
import shutil

from app.auth.models import Benutzer
from app.config import ROOT
from app.engine.registry import neueste_version
from app.extensions import db
from app.werkstatt import testfaelle

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
