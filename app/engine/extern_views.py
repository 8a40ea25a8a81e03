"""JSON API for external workers (Camunda 7's external-task REST pattern, German error texts).

`POST /api/extern/fetchAndLock`, `POST /api/extern/<id>/complete`, `POST /api/extern/<id>/failure`,
`POST /api/extern/message` and `POST /api/extern/signal`, each with
`Authorization: Bearer <token>` of an external client (`flask processes extern-client`). Public for the login
check and CSRF-exempt: no browser session, the token is the credential.
"""

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from app.engine import extern, runner
from app.engine.ereignisse import signal_senden
from app.engine.extern import ExternFehler
from app.extensions import csrf, db
from app.security import oeffentlich
from app.vorgaenge.models import Vorgang

bp = Blueprint("extern", __name__, url_prefix="/api/extern")


def _fehler(status: int, text: str):
    """A JSON error answer like Camunda's (`type`, `message`)."""
    return jsonify({"type": "Fehler", "message": text}), status


def _koerper() -> dict:
    """The JSON body as a dict (ExternFehler 400 otherwise)."""
    daten = request.get_json(silent=True)
    if not isinstance(daten, dict):
        raise ExternFehler(400, "Der Body muss ein JSON-Objekt sein.")
    return daten


def _client():
    """The authenticated client (ExternFehler 401 otherwise)."""
    client = extern.client_pruefen(request.headers.get("Authorization"))
    if client is None:
        raise ExternFehler(401, "Anmeldung fehlt oder ist ungültig (Authorization: Bearer <Token>).")
    return client


@bp.errorhandler(ExternFehler)
def _extern_fehler(error: ExternFehler):
    """Every refused request as JSON with its status."""
    db.session.rollback()
    return _fehler(error.status, str(error))


@bp.errorhandler(runner.Konflikt)
def _konflikt(error: runner.Konflikt):
    """A task that is no longer open, or a concurrent change."""
    db.session.rollback()
    return _fehler(409, str(error))


@bp.post("/fetchAndLock")
@oeffentlich
def abholen():
    """Lock up to `maxTasks` tasks of `topics` ([{topicName, lockDuration}]) for `workerId`."""
    client = _client()
    daten = _koerper()
    themen = {}
    for eintrag in daten.get("topics") or []:
        if not isinstance(eintrag, dict) or not isinstance(eintrag.get("topicName"), str):
            raise ExternFehler(400, "topics muss eine Liste von {topicName, lockDuration} sein.")
        dauer = eintrag.get("lockDuration", 60_000)
        if not isinstance(dauer, int) or dauer <= 0:
            raise ExternFehler(400, "lockDuration muss eine positive ganze Zahl (Millisekunden) sein.")
        themen[eintrag["topicName"]] = dauer
    if not themen:
        raise ExternFehler(400, "topics fehlt.")
    anzahl = daten.get("maxTasks", 1)
    if not isinstance(anzahl, int) or anzahl < 1:
        raise ExternFehler(400, "maxTasks muss eine ganze Zahl ≥ 1 sein.")
    return jsonify(extern.abholen(client, str(daten.get("workerId") or ""), themen, anzahl))


@bp.post("/<task_id>/complete")
@oeffentlich
def abschliessen(task_id: str):
    """Complete a locked task with `variables`; the procedure runs on."""
    client = _client()
    daten = _koerper()
    extern.gesperrte_zeile(client, task_id, str(daten.get("workerId") or ""))
    runner.extern_abschliessen(task_id, extern.variablen_lesen(daten.get("variables")))
    return "", 204


@bp.post("/<task_id>/failure")
@oeffentlich
def fehlschlag(task_id: str):
    """Report a failure with `errorMessage`, `retries` left and `retryTimeout` (ms); 0 retries = incident."""
    client = _client()
    daten = _koerper()
    extern.gesperrte_zeile(client, task_id, str(daten.get("workerId") or ""))
    text, versuche = extern.fehlschlag_text(daten.get("errorMessage"), daten.get("retries"))
    warten = daten.get("retryTimeout") or 0
    if not isinstance(warten, int) or warten < 0:
        raise ExternFehler(400, "retryTimeout muss eine ganze Zahl ≥ 0 (Millisekunden) sein.")
    runner.extern_fehlschlag(task_id, text, versuche, warten)
    return "", 204


def _darf(client, name: str) -> None:
    """A client with a topic list may send only messages and signals named in it."""
    if client.themen and name not in client.themen:
        raise ExternFehler(403, f"Dieser Client darf „{name}“ nicht senden.")


@bp.post("/message")
@oeffentlich
def nachricht():
    """Correlate `messageName` like Camunda 7: to the Vorgang `businessKey` (its number) and/or the instances whose
    variables equal `correlationKeys` ({name: {value}}), with `processVariables`; `all` for every match."""
    client = _client()
    daten = _koerper()
    name, nummer, schluessel = daten.get("messageName"), daten.get("businessKey"), daten.get("correlationKeys")
    if not isinstance(name, str) or not name or (nummer is not None and (not isinstance(nummer, str) or not nummer)):
        raise ExternFehler(400, "messageName ist Pflicht; businessKey (Vorgangsnummer) ist, wenn angegeben, ein Text.")
    if schluessel is not None and not isinstance(schluessel, dict):
        raise ExternFehler(400, 'correlationKeys muss ein Objekt sein: {"name": {"value": …}}.')
    _darf(client, name)
    alle = daten.get("all", False) is True
    if nummer is not None and db.session.scalars(select(Vorgang.id).where(Vorgang.nummer == nummer)).first() is None:
        raise ExternFehler(404, f"Einen Vorgang „{nummer}“ gibt es nicht.")
    try:
        runner.nachricht_senden(
            name,
            extern.variablen_lesen(daten.get("processVariables")),
            vorgangsnummer=nummer,
            schluessel=extern.variablen_lesen(schluessel) if schluessel else None,
            alle=alle,
        )
    except runner.KeinEmpfaenger as error:
        raise ExternFehler(404, str(error)) from None
    except runner.MehrereEmpfaenger as error:
        raise ExternFehler(409, str(error)) from None
    db.session.commit()
    return "", 204


@bp.post("/signal")
@oeffentlich
def signal():
    """Broadcast the signal `name` with `variables` to every instance waiting for it; answers how many caught it."""
    client = _client()
    daten = _koerper()
    name = daten.get("name")
    if not isinstance(name, str) or not name:
        raise ExternFehler(400, "name ist Pflicht.")
    _darf(client, name)
    return jsonify({"empfangen": signal_senden(name, extern.variablen_lesen(daten.get("variables")))})


for _view in (abholen, abschliessen, fehlschlag, nachricht, signal):
    csrf.exempt(_view)
