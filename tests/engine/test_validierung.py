"""Deploy-time validation: every error kind, with file, line or element id, all errors at once, CLI exit code."""

import pytest

from app.engine.registry import modell_parsen
from app.engine.skriptpruefung import HINWEIS_DOLLAR
from app.engine.validierung import ModellUngueltig, datei_pruefen

KOPF = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">\n'
    '<bpmn:process id="p" name="Test" isExecutable="true">\n'
)
FUSS = "\n</bpmn:process>\n</bpmn:definitions>\n"
LINEAR = (
    '<bpmn:startEvent id="s"/>{mitte}<bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
)


def bpmn(inhalt: str) -> bytes:
    """A BPMN document around process content."""
    return (KOPF + inhalt + FUSS).encode()


def fehler_von(xml: bytes) -> list:
    """The errors of a model that must be invalid."""
    with pytest.raises(ModellUngueltig) as info:
        modell_parsen(xml, "test.bpmn")
    return info.value.fehler


def usertask(attribute: str = "", felder: str = "") -> bytes:
    """A linear process around one user task `t`."""
    form = f"<bpmn:extensionElements><camunda:formData>{felder}</camunda:formData></bpmn:extensionElements>"
    return bpmn(LINEAR.format(mitte=f'<bpmn:userTask id="t" name="T" {attribute}>{form}</bpmn:userTask>'))


def skripttask(code: str) -> bytes:
    """A linear process around one script task `t`."""
    return bpmn(LINEAR.format(mitte=f'<bpmn:scriptTask id="t"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'))


def test_gueltiges_modell_wird_geparst():
    """A minimal valid model parses and yields key and name."""
    key, name, spec, _ = modell_parsen(usertask('camunda:candidateGroups="leitung"'), "test.bpmn")
    assert (key, name) == ("p", "Test")
    assert spec.task_specs["t"].extensions["candidateGroups"] == "leitung"


def test_kaputtes_xml_meldet_die_zeile():
    """Not well-formed XML: one error with its line."""
    [fehler] = fehler_von(KOPF.encode() + b"<bpmn:startEvent id='s'>\n</bpmn:process>")
    assert fehler.zeile == 5 and "wohlgeformt" in fehler.meldung
    assert str(fehler).startswith("test.bpmn:5:")


def test_schemafehler_alle_mit_zeile():
    """Every XML-schema error is reported, each with its line."""
    fehler = fehler_von(bpmn('<bpmn:startEvent id="s" foo="1"/>\n<bpmn:flurp id="x"/>'))
    assert len(fehler) == 2
    assert [f.zeile for f in fehler] == [4, 5]
    assert all(f.meldung.startswith("BPMN-Schema") for f in fehler)
    assert "Attribut „foo“ ist nicht erlaubt" in fehler[0].meldung  # lxml's English explained in German
    assert "Element „flurp“ ist hier nicht erlaubt" in fehler[1].meldung


def test_haengender_sequenzfluss_nennt_element_und_ziel():
    """A sequence flow to a missing element: clear message with the flow's id (not SpiffWorkflow's)."""
    [fehler] = fehler_von(bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="weg"/>'))
    assert fehler.element == "f1"
    assert "„weg“" in fehler.meldung and "in der Luft" in fehler.meldung


def test_strukturfehler_von_spiffworkflow_mit_element_id():
    """Two outgoing flows from a task: the element id and a German explanation."""
    inhalt = (
        '<bpmn:startEvent id="s"/><bpmn:userTask id="u"/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" '
        'targetRef="e1"/><bpmn:sequenceFlow id="f3" sourceRef="u" targetRef="e2"/>'
    )
    [fehler] = fehler_von(bpmn(inhalt))
    assert fehler.element == "u" and "Gateway" in fehler.meldung


def test_gateway_flow_without_condition_is_explained_in_german():
    """A flow out of an exclusive gateway without condition and not the default: a German explanation."""
    inhalt = (
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e1"><bpmn:conditionExpression>True'
        '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e2"/>'
    )
    fehler = fehler_von(bpmn(inhalt))
    assert any("keine Bedingung" in f.meldung and "Standardfluss" in f.meldung for f in fehler), fehler


def test_juel_ausserhalb_der_teilmenge_wird_mit_grund_abgelehnt():
    """`${approved}` is translated; a method call in JUEL is rejected naming the expression and why."""
    inhalt = (
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f3"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>${bean.pruefen()}'
        '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e"/>'
    )
    [fehler] = fehler_von(bpmn(inhalt))
    assert fehler.element == "f2" and "JUEL" in fehler.meldung and "${bean.pruefen()}" in fehler.meldung
    assert "Methodenaufrufe" in fehler.meldung
    modell_parsen(bpmn(inhalt.replace("${bean.pruefen()}", "${approved}")), "ok.bpmn")


def test_dollar_im_skript_wird_mit_hinweis_abgelehnt():
    """Scripts stay Python: `${…}` in a script task gets the hint."""
    inhalt = (
        '<bpmn:startEvent id="s"/><bpmn:scriptTask id="t"><bpmn:script>x = ${a}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )
    [fehler] = fehler_von(bpmn(inhalt))
    assert fehler.element == "t" and HINWEIS_DOLLAR in fehler.meldung


def test_python_syntaxfehler_in_bedingung_skript_und_timer():
    """Conditions, scripts, timers and date expressions are parsed as Python; all errors at once."""
    inhalt = (
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f3"/>'
        '<bpmn:scriptTask id="t"><bpmn:script>x = = 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>"vierzehn Tage"'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:userTask id="u" camunda:dueDate="heute( + 1"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="t"><bpmn:conditionExpression>betrag &gt;'
        '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="w"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="e"/><bpmn:sequenceFlow id="f5" sourceRef="w" '
        'targetRef="u"/><bpmn:sequenceFlow id="f6" sourceRef="u" targetRef="e"/>'
    )
    fehler = fehler_von(bpmn(inhalt))
    nach_element = {f.element: f.meldung for f in fehler}
    assert set(nach_element) == {"f2", "t", "w", "u"}
    assert nach_element["f2"].startswith("Bedingung: Kein gültiger Python-Ausdruck")
    assert nach_element["t"].startswith("Skript: Kein gültiger Python-Ausdruck")
    assert "kein ISO-8601-Datum" in nach_element["w"]
    assert "camunda:dueDate" in nach_element["u"]


@pytest.mark.parametrize(
    ("code", "teil"),
    [
        ("import os", "importieren"),
        ("from os import system", "importieren"),
        ("x = ().__class__.__bases__", "__bases__"),
        ("g = (i for i in []).gi_frame", "gi_frame"),
        ("__builtins__", "__builtins__"),
    ],
)
def test_skripte_ohne_import_und_ohne_dunder(code, teil):
    """Scripts that import or reach for dunder/frame attributes never deploy."""
    [fehler] = fehler_von(skripttask(code))
    assert fehler.element == "t" and teil in fehler.meldung


def test_unbekannte_feldtypen_rollen_und_status():
    """Unknown form field type, constraint and status value are errors; an unknown group is only a warning."""
    felder = (
        '<camunda:formField id="a" label="A" type="text"/>'
        '<camunda:formField id="b" label="B" type="long"><camunda:validation>'
        '<camunda:constraint name="regex" config="x"/><camunda:constraint name="max" config="viel"/>'
        "</camunda:validation></camunda:formField>"
        '<camunda:formField id="c" label="C" type="enum"/>'
    )
    attribute = 'camunda:candidateGroups="sachbearbeitung, hausmeister"'
    xml = usertask(attribute, felder).replace(
        b'<bpmn:endEvent id="e"/>',
        b'<bpmn:endEvent id="e"><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="status" value="Erledigt"/></camunda:properties></bpmn:extensionElements>'
        b"</bpmn:endEvent>",
    )
    meldungen = [f.meldung for f in fehler_von(xml)]
    assert any("unbekannter Typ „text“" in m for m in meldungen)
    assert any("unbekannte Regel „regex“" in m for m in meldungen)
    assert any("„max“ braucht eine Zahl" in m for m in meldungen)
    assert any("enum-Feld braucht" in m for m in meldungen)
    assert any("Unbekannter Status „Erledigt“" in m for m in meldungen)
    assert len(meldungen) == 5
    [warnung] = [f for f in datei_pruefen(xml, "test.bpmn")[0] if f.warnung]
    assert "Unbekannte Gruppe „hausmeister“" in warnung.meldung


def test_unbekannte_lane_ist_eine_warnung():
    """Without candidateGroups the lane names the group; an unknown lane name is a warning, not an error."""
    xml = bpmn(
        '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="Poststelle"><bpmn:flowNodeRef>t</bpmn:flowNodeRef>'
        "</bpmn:lane></bpmn:laneSet>" + LINEAR.format(mitte='<bpmn:userTask id="t" name="T"/>')
    )
    [warnung] = datei_pruefen(xml, "test.bpmn")[0]
    assert warnung.warnung and warnung.element == "t" and "Lane „Poststelle“" in warnung.meldung
    modell_parsen(xml, "test.bpmn")


def test_cli_deploy_gibt_alle_fehler_aus_und_endet_mit_fehlercode(runner, tmp_path):
    """`processes deploy PATH` prints every error of every invalid file and exits non-zero."""
    (tmp_path / "a.bpmn").write_bytes(skripttask("import os"))
    (tmp_path / "b.bpmn").write_bytes(bpmn('<bpmn:startEvent id="s" foo="1"/>\n<bpmn:flurp id="x"/>'))
    (tmp_path / "c.bpmn").write_bytes(usertask('camunda:candidateGroups="leitung"'))
    ergebnis = runner.invoke(args=["processes", "deploy", str(tmp_path)])
    assert ergebnis.exit_code == 1
    assert "3 Fehler" in ergebnis.output
    assert "a.bpmn:4: [t] Skript" in ergebnis.output
    assert ergebnis.output.count("b.bpmn:") == 2
    assert "p: Version 1 (neu deployt)" in ergebnis.output


def test_cli_deploy_der_mitgelieferten_verfahren(runner):
    """The shipped procedures are valid; a second deploy changes nothing."""
    erste = runner.invoke(args=["processes", "deploy"])
    assert erste.exit_code == 0, erste.output
    assert erste.output.count("neu deployt") == 5  # four procedures and the Hundesteuer table
    zweite = runner.invoke(args=["processes", "deploy"])
    assert zweite.exit_code == 0 and zweite.output.count("unverändert") == 5


def test_deployment_beim_start_ist_idempotent(app):
    """DEPLOY_PROCESSES_ON_START deploys processes/ when the app is created; a second start adds nothing."""
    from app import create_app
    from app.engine.models import ProzessModellVersion
    from app.extensions import db
    from tests.conftest import TEST_CONFIG

    konfiguration = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "DEPLOY_PROCESSES_ON_START": True,
    }
    create_app(konfiguration)
    create_app(konfiguration)
    db.session.remove()
    versionen = db.session.scalars(db.select(ProzessModellVersion)).all()
    assert sorted(v.key for v in versionen) == [
        "allgemeines_verfahren",
        "baumfaellung",
        "dmn:hundesteuer_satz",
        "gewerbeanmeldung",
        "hundesteuer",
    ]
    assert {v.deployed_von for v in versionen} == {"Start"}


def test_routing_ziele_muessen_bereitgestellt_sein(app, tmp_path):
    """The routing check names every target that is not a deployed procedure, and TOML syntax errors."""
    from app.engine.routing import routing_pruefen

    datei = tmp_path / "routing.toml"
    datei.write_text('standard = "allgemeines_verfahren"\n[formulare]\nhund = "hundsteuer"\n', encoding="utf-8")
    app.config["PROCESS_ROUTING_FILE"] = str(datei)
    assert routing_pruefen({"allgemeines_verfahren", "hundesteuer"}) == [
        f"{datei}: [formulare.hund] Verfahren „hundsteuer“ ist nicht bereitgestellt."
    ]
    kaputt = tmp_path / "kaputt.toml"
    kaputt.write_text("standard = \n", encoding="utf-8")
    app.config["PROCESS_ROUTING_FILE"] = str(kaputt)
    [fehler] = routing_pruefen(set())
    assert "Kein gültiges TOML" in fehler


def test_mitgelieferte_verfahren_haben_ein_vollstaendiges_diagramm():
    """Every flow node has a shape and every sequence flow an edge, so bpmn-js and Camunda Modeler draw them."""
    from lxml import etree

    from tests.engine.conftest import PROCESSES

    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "di": "http://www.omg.org/spec/BPMN/20100524/DI"}
    for datei in sorted(PROCESSES.glob("*.bpmn")):
        baum = etree.parse(str(datei))
        knoten = set(baum.xpath("//bpmn:process/*[@id][not(self::bpmn:sequenceFlow)]/@id", namespaces=ns))
        fluesse = set(baum.xpath("//bpmn:sequenceFlow/@id", namespaces=ns))
        assert knoten <= set(baum.xpath("//di:BPMNShape/@bpmnElement", namespaces=ns)), datei.name
        assert fluesse <= set(baum.xpath("//di:BPMNEdge/@bpmnElement", namespaces=ns)), datei.name
