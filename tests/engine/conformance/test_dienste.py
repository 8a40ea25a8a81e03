"""Conformance: service tasks with built-in handlers, send and receive tasks; deploying folders with broken
files and the file names picked up."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from SpiffWorkflow.util.task import TaskState

from app.engine import runner
from app.engine.models import BEENDET
from app.engine.registry import deploy_pfad, deploy_xml
from app.engine.registry import modell as modell_laden
from app.engine.serialisierung import zustand_laden
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.wiedervorlagen.models import Mailausgang
from app.wiedervorlagen.service import wiedervorlagen_fuer_vorgang
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang

KOPF = (
    '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)


def _prozess(key: str, element: str) -> bytes:
    """A process start → element (id `x`) → end."""
    return (
        f'{KOPF}<bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="s" />'
        f'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x" />{element}'
        '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e" /><bpmn:endEvent id="e" /></bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


def test_dienst_sende_und_empfangsaufgabe_laufen_durch(amt, modell):
    """Status and Wiedervorlage by built-in services, a send task, then a receive task a message completes."""
    v = neuer_vorgang(amt, verfahren_key=modell("dienst.bpmn"))
    assert v.status == "Angenommen"
    assert [w.betreff for w in wiedervorlagen_fuer_vorgang(v)] == ["Nachfassen"]
    assert instanz(v).zustand_art == "aktiv"
    assert runner.nachricht(v, "Antwort", {"ok": True})
    db.session.commit()
    assert instanz(v).zustand_art == BEENDET


def test_dienstaufgabe_ohne_implementierung_wird_abgelehnt(app):
    """No TypeError, no traceback: a German message naming the element."""
    try:
        deploy_xml(_prozess("k_ohne", '<bpmn:serviceTask id="x" name="Rechnen" />'), "ohne.bpmn")
    except ModellUngueltig as fehler:
        [f] = fehler.fehler
        assert f.element == "x" and f.zeile and "ohne Implementierung" in f.meldung
    else:
        raise AssertionError("kein Fehler")
    try:
        deploy_xml(_prozess("k_java", '<bpmn:serviceTask id="x" camunda:class="org.example.Rechner" />'), "j.bpmn")
    except ModellUngueltig as fehler:
        assert "Unbekannter Dienst „org.example.Rechner“" in fehler.fehler[0].meldung
    else:
        raise AssertionError("kein Fehler")


def test_ordner_deploy_bricht_bei_einer_kaputten_datei_nicht_ab(app, tmp_path):
    """The broken file is reported, the others are deployed; .bpmn20.xml counts, other files do not."""
    (tmp_path / "a_kaputt.bpmn").write_bytes(_prozess("k_kaputt", '<bpmn:serviceTask id="x" />'))
    (tmp_path / "b_extern.bpmn20.xml").write_bytes(
        _prozess("k_extern", '<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="rechnen" />')
    )
    (tmp_path / "c_gut.bpmn").write_bytes((MODELLE / "manuell.bpmn").read_bytes())
    (tmp_path / "notiz.txt").write_text("kein Modell")
    ergebnisse, fehler = deploy_pfad(tmp_path)
    assert sorted(e.key for e in ergebnisse) == ["k_extern", "k_manuell"]
    assert [f.datei.rsplit("/", 1)[-1] for f in fehler] == ["a_kaputt.bpmn"]


class _Register(BaseHTTPRequestHandler):
    """A tiny HTTP endpoint answering a POST with JSON."""

    def do_POST(self):  # noqa: N802 — the http.server API
        """Echo the number of posted keys."""
        laenge = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(laenge) or b"{}")
        antwort = json.dumps({"eingetragen": True, "felder": sorted(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(antwort)

    def log_message(self, *args):
        """Quiet."""


def test_mail_und_http_dienst(amt, sabine, modell):
    """The mail lands in the outbox with `${…}` filled in; the HTTP answer lands in the result variable."""
    server = HTTPServer(("127.0.0.1", 0), _Register)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        v = neuer_vorgang(amt, verfahren_key=modell("dienst_mail_http.bpmn"))
        url = f"http://127.0.0.1:{server.server_port}/register"
        erledige(sabine, v, "adresse", url=url, email="antrag@example.org")
    finally:
        server.shutdown()
    [mail] = db.session.scalars(db.select(Mailausgang)).all()
    assert (mail.empfaenger, mail.betreff) == ("antrag@example.org", "Ihr Antrag")
    assert mail.text == "Hallo antrag@example.org, Ihr Antrag ist eingegangen."
    i = instanz(v)
    daten = zustand_laden(i.zustand, *_spec(i)).get_tasks(state=TaskState.READY)[0].data
    assert daten["register"]["http_status"] == 200
    assert daten["register"]["http_antwort"] == {"eingetragen": True, "felder": ["email", "url"]}


def _spec(instanz):
    """The spec objects of an instance's version."""
    geladen = modell_laden(instanz.modell_version)
    return geladen.spec, geladen.subprocess_specs
