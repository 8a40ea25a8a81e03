"""Conformance: signals broadcast to every waiting instance, messages to one Vorgang — by API and CLI."""

from app.engine.extern import client_anlegen
from app.engine.models import AKTIV, BEENDET
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import neuer_vorgang


def test_signal_und_nachricht_per_api(client, amt, modell):
    """Two instances catch the signal; then a message completes one of them."""
    key = modell("signal.bpmn")
    modell("manuell.bpmn")  # a version without the signal is not even loaded
    a, b = neuer_vorgang(amt, verfahren_key=key), neuer_vorgang(amt, verfahren_key=key)
    _client, token = client_anlegen("rat", [])
    db.session.commit()
    kopf = {"Authorization": f"Bearer {token}"}
    antwort = client.post("/api/extern/signal", json={"name": "SatzungGeaendert"}, headers=kopf)
    assert antwort.get_json() == {"empfangen": 2}
    assert client.post("/api/extern/signal", json={"name": "SatzungGeaendert"}, headers=kopf).get_json() == {
        "empfangen": 0
    }
    daten = {"messageName": "Unterlagen", "businessKey": a.nummer, "processVariables": {"seiten": {"value": 3}}}
    assert client.post("/api/extern/message", json=daten, headers=kopf).status_code == 204
    assert instanz(a).zustand_art == BEENDET and instanz(b).zustand_art == AKTIV
    assert client.post("/api/extern/message", json=daten, headers=kopf).status_code == 404
    assert client.post("/api/extern/message", json={"messageName": "x"}, headers=kopf).status_code == 404
    assert client.post("/api/extern/message", json={"businessKey": a.nummer}, headers=kopf).status_code == 400
    assert client.post("/api/extern/signal", json={"name": "x"}).status_code == 401


def test_signal_und_nachricht_per_cli(app, amt, modell):
    """`processes signal NAME` and `processes nachricht NAME NUMMER --daten JSON`."""
    v = neuer_vorgang(amt, verfahren_key=modell("signal.bpmn"))
    cli = app.test_cli_runner()
    assert "von 1 Verfahren empfangen" in cli.invoke(args=["processes", "signal", "SatzungGeaendert"]).output
    falsch = cli.invoke(args=["processes", "nachricht", "Unterlagen", v.nummer, "--daten", "[1]"])
    assert falsch.exit_code != 0 and "JSON-Objekt" in falsch.output
    ok = cli.invoke(args=["processes", "nachricht", "Unterlagen", v.nummer, "--daten", '{"seiten": 2}'])
    assert ok.exit_code == 0, ok.output
    assert instanz(v).zustand_art == BEENDET
