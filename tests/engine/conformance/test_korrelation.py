"""Conformance: messages between instances — a send task addresses another Vorgang (business key), a throw event
answers by correlation key; the API and CLI correlate like Camunda 7 (exactly one, or all)."""

import pytest

from app.engine import runner
from app.engine.extern import client_anlegen
from app.engine.models import AKTIV, BEENDET
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


@pytest.fixture
def zwei_modelle(modell):
    """The sender (send task + receive task) and the receiver (catch event + throw event)."""
    return modell("nachricht_sender.bpmn"), modell("nachricht_empfaenger.bpmn")


def test_anfrage_und_antwort_zwischen_vorgaengen(amt, sabine, zwei_modelle):
    """A asks B by Vorgangsnummer; B answers by the shared variable `akte`; C (other akte, unknown target) gets
    nothing and only notes that in its log."""
    sender, empfaenger = zwei_modelle
    b = neuer_vorgang(amt, verfahren_key=empfaenger)
    a, c = neuer_vorgang(amt, verfahren_key=sender), neuer_vorgang(amt, verfahren_key=sender)
    erledige(sabine, c, "erfassen", ziel="GIBT-ES-NICHT", akte="AZ-2")
    assert "„Stellungnahme angefordert“ (Vorgang GIBT-ES-NICHT): 0 Empfänger" in instanz(c).protokoll
    erledige(sabine, a, "erfassen", ziel=b.nummer, akte="AZ-1")
    assert offene_ids(b) == ["stellungnahme"]  # B caught the request and copied the akte from the message
    assert instanz(a).zustand_art == AKTIV and "1 Empfänger" in instanz(a).protokoll
    erledige(sabine, b, "stellungnahme")
    assert instanz(b).zustand_art == BEENDET
    assert instanz(a).zustand_art == BEENDET and instanz(c).zustand_art == AKTIV
    assert "akte = 'AZ-1'" in instanz(b).protokoll


def test_api_korreliert_genau_einen_oder_alle(client, amt, sabine, zwei_modelle):
    """`correlationKeys` pick instances by variable; without `all` several matches are 409, none is 404."""
    sender, _ = zwei_modelle
    x, y = neuer_vorgang(amt, verfahren_key=sender), neuer_vorgang(amt, verfahren_key=sender)
    for v in (x, y):
        erledige(sabine, v, "erfassen", ziel="NIEMAND", akte="AZ-7")
    _client, token = client_anlegen("fachverfahren", [])
    db.session.commit()
    kopf = {"Authorization": f"Bearer {token}"}
    name = "Stellungnahme abgegeben"
    schluessel = {"akte": {"value": "AZ-7"}}
    antwort = client.post(
        "/api/extern/message", json={"messageName": name, "correlationKeys": schluessel}, headers=kopf
    )
    assert antwort.status_code == 409 and "2 Verfahren warten" in antwort.get_json()["message"]
    falsch = {"messageName": name, "correlationKeys": {"akte": {"value": "AZ-0"}}}
    antwort = client.post("/api/extern/message", json=falsch, headers=kopf)
    assert antwort.status_code == 404 and "Kein Verfahren wartet" in antwort.get_json()["message"]
    assert (
        client.post("/api/extern/message", json={"messageName": name, "correlationKeys": []}, headers=kopf).status_code
        == 400
    )
    daten = {"messageName": name, "correlationKeys": schluessel, "all": True}
    assert client.post("/api/extern/message", json=daten, headers=kopf).status_code == 204
    assert instanz(x).zustand_art == BEENDET and instanz(y).zustand_art == BEENDET


def test_cli_mit_schluessel(app, amt, sabine, zwei_modelle):
    """`processes nachricht NAME --schluessel akte=AZ-9` without a Vorgangsnummer; `--alle` for several."""
    sender, _ = zwei_modelle
    v = neuer_vorgang(amt, verfahren_key=sender)
    erledige(sabine, v, "erfassen", ziel="NIEMAND", akte="AZ-9")
    cli = app.test_cli_runner()
    keiner = cli.invoke(args=["processes", "nachricht", "Stellungnahme abgegeben", "--schluessel", "akte=AZ-1"])
    assert keiner.exit_code != 0 and "Kein Verfahren wartet" in keiner.output
    kaputt = cli.invoke(args=["processes", "nachricht", "Stellungnahme abgegeben", "--schluessel", "akte"])
    assert kaputt.exit_code != 0 and "NAME=WERT" in kaputt.output
    ok = cli.invoke(args=["processes", "nachricht", "Stellungnahme abgegeben", "--schluessel", "akte=AZ-9", "--alle"])
    assert ok.exit_code == 0 and "an 1 Verfahren zugestellt" in ok.output, ok.output
    assert instanz(v).zustand_art == BEENDET


def test_nachricht_an_vorgang_bleibt(amt, zwei_modelle):
    """`runner.nachricht(vorgang, …)` (used by the Postfach) still delivers by Vorgang and says False otherwise."""
    _, empfaenger = zwei_modelle
    b = neuer_vorgang(amt, verfahren_key=empfaenger)
    assert not runner.nachricht(b, "Stellungnahme abgegeben", {})
    assert runner.nachricht(b, "Stellungnahme angefordert", {"akte": "AZ-3"})
    db.session.commit()
    assert offene_ids(b) == ["stellungnahme"]
