"""Conformance: external service tasks through the JSON API — fetch-and-lock, complete, failure with retries,
lock timeout, per-client credentials and topics."""

from datetime import timedelta

import pytest

from app.engine.extern import client_anlegen
from app.engine.models import BEENDET, VORFALL, ExterneAufgabe
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import neuer_vorgang, offene_ids

THEMA = "fachverfahren-pruefen"


@pytest.fixture
def token(app):
    """A client allowed to fetch the topic."""
    _client, token = client_anlegen("fachverfahren", [THEMA])
    db.session.commit()
    return token


def _holen(client, token, worker="w1", dauer=60_000):
    """fetchAndLock for the topic."""
    return client.post(
        "/api/extern/fetchAndLock",
        json={"workerId": worker, "maxTasks": 5, "topics": [{"topicName": THEMA, "lockDuration": dauer}]},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_abholen_abschliessen_und_weiterlaufen(client, amt, modell, token):
    """The worker fetches the task with the variables, completes it with a result; the procedure ends."""
    v = neuer_vorgang(amt, verfahren_key=modell("extern.bpmn"))
    [aufgabe] = _holen(client, token).get_json()
    assert aufgabe["topicName"] == THEMA and aufgabe["activityId"] == "pruefen" and aufgabe["businessKey"] == v.nummer
    assert _holen(client, token, worker="w2").get_json() == []  # locked
    anders = client.post(
        f"/api/extern/{aufgabe['id']}/complete", json={"workerId": "w2"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert anders.status_code == 409
    fertig = client.post(
        f"/api/extern/{aufgabe['id']}/complete",
        json={"workerId": "w1", "variables": {"ergebnis": {"value": "ok"}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert fertig.status_code == 204
    assert instanz(v).zustand_art == BEENDET
    assert db.session.scalars(db.select(ExterneAufgabe)).all() == []


def test_fehlschlag_mit_versuchen_sperrfrist_und_vorfall(uhr, client, amt, modell, token):
    """A failure with retries left makes the task fetchable again after retryTimeout; 0 retries = incident."""
    v = neuer_vorgang(amt, verfahren_key=modell("extern.bpmn"))
    [aufgabe] = _holen(client, token, dauer=1000).get_json()
    kopf = {"Authorization": f"Bearer {token}"}
    antwort = client.post(
        f"/api/extern/{aufgabe['id']}/failure",
        json={"workerId": "w1", "errorMessage": "Fachverfahren nicht erreichbar", "retries": 1, "retryTimeout": 60_000},
        headers=kopf,
    )
    assert antwort.status_code == 204
    assert _holen(client, token).get_json() == []
    uhr.vorstellen(timedelta(minutes=2))
    [wieder] = _holen(client, token, dauer=1000).get_json()
    assert wieder["retries"] == 1 and wieder["errorMessage"] == "Fachverfahren nicht erreichbar"
    client.post(
        f"/api/extern/{aufgabe['id']}/failure",
        json={"workerId": "w1", "errorMessage": "kaputt", "retries": 0},
        headers=kopf,
    )
    i = instanz(v)
    assert i.zustand_art == VORFALL and i.vorfall_element == "pruefen" and "kaputt" in i.vorfall_text


def test_sperre_laeuft_ab(uhr, client, amt, modell, token):
    """A worker that never answers loses the lock; another worker gets the task; the first may not complete."""
    v = neuer_vorgang(amt, verfahren_key=modell("extern.bpmn"))
    [aufgabe] = _holen(client, token, worker="w1", dauer=1000).get_json()
    uhr.vorstellen(timedelta(seconds=2))
    [wieder] = _holen(client, token, worker="w2").get_json()
    assert wieder["id"] == aufgabe["id"]
    kopf = {"Authorization": f"Bearer {token}"}
    url = f"/api/extern/{aufgabe['id']}/complete"
    daten = {"variables": {"ergebnis": "unklar"}}
    assert client.post(url, json={"workerId": "w1", **daten}, headers=kopf).status_code == 409
    assert client.post(url, json={"workerId": "w2", **daten}, headers=kopf).status_code == 204
    assert instanz(v).vorfall_text is None, instanz(v).vorfall_text
    assert offene_ids(v) == ["nacharbeiten"]


def test_anmeldung_und_themen(client, amt, modell, token):
    """No token 401, a foreign topic 403, garbage 400 — never a 500."""
    neuer_vorgang(amt, verfahren_key=modell("extern.bpmn"))
    assert _holen(client, "falsch").status_code == 401
    _anderer, fremd = client_anlegen("anderes", ["etwas-anderes"])
    db.session.commit()
    assert _holen(client, fremd).status_code == 403
    kopf = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/extern/fetchAndLock", data="x", headers=kopf).status_code == 400
    assert client.post("/api/extern/fetchAndLock", json={"topics": "x"}, headers=kopf).status_code == 400
    assert client.post("/api/extern/gibtsnicht/complete", json={}, headers=kopf).status_code == 404
    [aufgabe] = _holen(client, token).get_json()
    schlecht = client.post(
        f"/api/extern/{aufgabe['id']}/complete", json={"workerId": "w1", "variables": {"__x": 1}}, headers=kopf
    )
    assert schlecht.status_code == 400


def test_client_per_cli(app):
    """`processes extern-client NAME --thema T` prints the token once."""
    ergebnis = app.test_cli_runner().invoke(args=["processes", "extern-client", "kasse", "--thema", THEMA])
    assert ergebnis.exit_code == 0 and len(ergebnis.output.strip()) > 30
