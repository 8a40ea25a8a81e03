"""Intake endpoints for form services (`POST /antrag`, `POST /intelliform/deposit`) and the administration
pages "Fehlerhafte Eingänge", Formulardienste (sources, routing, Form-Solutions Mandanten).

The machine endpoints are public for the login check (`@oeffentlich`), CSRF-exempt (no browser session), and
authenticate every call with the source's own credentials (app.intake.zugang).
"""

import logging
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
)
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from adapters.intelliform import SOAP_CONTENT_TYPE
from adapters.intelliform_soap import deposit_antwort_bauen, soap_fault_bauen
from adapters.ozgcloud import ozgcloud_antwort
from app.extensions import csrf, db
from app.intake.annahme import Abgelehnt, Annahme, annehmen
from app.intake.models import (
    FEHLERHAFT,
)
from app.intake.zugang import authentifizieren
from app.security import oeffentlich

log = logging.getLogger(__name__)
bp = Blueprint("intake", __name__)

ZU_GROSS = "Die Lieferung überschreitet die zulässige Größe von {} Bytes."
DATENBANK_WEG = "Die Datenbank ist vorübergehend nicht erreichbar; bitte später erneut senden."


def _koerper_lesen() -> bytes | None:
    """The request body, or None when it exceeds INTAKE_MAX_BYTES: checked before reading when the length is
    announced, else (chunked) by reading one byte beyond the limit — a body cut at the limit is never taken."""
    grenze = current_app.config["INTAKE_MAX_BYTES"]
    if request.content_length is not None and request.content_length > grenze:
        return None
    request.max_content_length = grenze + 1
    stuecke, gelesen = [], 0
    try:
        while gelesen <= grenze:  # a stream may answer a read with fewer bytes than asked for
            stueck = request.stream.read(grenze + 1 - gelesen)
            if not stueck:
                break
            stuecke.append(stueck)
            gelesen += len(stueck)
    except RequestEntityTooLarge:
        return None
    return None if gelesen > grenze else b"".join(stuecke)


def _metadaten() -> dict:
    """Facts about the request worth keeping with the raw bytes."""
    return {"adresse": request.remote_addr, "user_agent": (request.user_agent.string or "")[:200]}


@bp.errorhandler(SQLAlchemyError)
def datenbank_fehler(fehler: SQLAlchemyError):
    """A lost database connection (or any database error) on this blueprint: 503 with Retry-After — a JSON
    error or SOAP Server fault on the machine endpoints (the sender retries), a short page on the admin pages.
    Nothing of the request is logged but the exception class."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
    log.warning("Intake %s: Datenbankfehler (%s), 503", request.endpoint, type(fehler).__name__)
    if request.endpoint == "intake.ozg_antrag":
        antwort = _json_fehler(503, "datenbank_nicht_erreichbar", DATENBANK_WEG)
    elif request.endpoint == "intake.intelliform_deposit":
        antwort = _fault(503, "datenbank_nicht_erreichbar", DATENBANK_WEG)
    else:
        antwort = Response(DATENBANK_WEG, status=503, content_type="text/plain; charset=utf-8")
    antwort.headers["Retry-After"] = str(current_app.config["INTAKE_RETRY_AFTER_SEKUNDEN"])
    return antwort


# --- OZG-Cloud intake contract -----------------------------------------------------------------------------


def _json_fehler(status: int, code: str, text: str, transaktions_id: str | None = None) -> Response:
    """A JSON error answer naming the problem."""
    antwort = jsonify({"transactionId": transaktions_id, "error": {"code": code, "message": text}})
    antwort.status_code = status
    if status == 401:
        antwort.headers["WWW-Authenticate"] = 'Bearer realm="Amtsfluss Intake", Basic realm="Amtsfluss Intake"'
    return antwort


def _empfangen(art: str, fehler: Callable[[int, str, str], Response]) -> Annahme | Response:
    """Authenticate the source, read the body within the limit and store the delivery (`annehmen`); where that
    fails, the error answer in the endpoint's protocol (`fehler(status, code, text)`)."""
    quelle = authentifizieren(art, request.headers.get("Authorization"), request.remote_addr)
    if quelle is None:
        return fehler(401, "nicht_angemeldet", "Fehlende oder ungültige Zugangsdaten.")
    inhalt = _koerper_lesen()
    if inhalt is None:
        return fehler(413, "zu_gross", ZU_GROSS.format(current_app.config["INTAKE_MAX_BYTES"]))
    try:
        return annehmen(quelle, inhalt, request.content_type or "", _metadaten())
    except Abgelehnt as abgelehnt:
        return fehler(abgelehnt.fehler.http_status, abgelehnt.fehler.code, abgelehnt.fehler.message)


@bp.post("/antrag")
@oeffentlich
def ozg_antrag():
    """OZG-Cloud intake contract: multipart/form-data with `formData` (JSON), `representation`, `attachment`."""
    annahme = _empfangen("ozgcloud", _json_fehler)
    if isinstance(annahme, Response):
        return annahme
    if annahme.vorgang is not None:
        v = annahme.vorgang
        antwort = jsonify(ozgcloud_antwort(annahme.transaktions_id, v.id, v.nummer, v.status, v.status_seit))
        antwort.status_code = annahme.http_status
        return antwort
    if annahme.zustand == FEHLERHAFT:
        return _json_fehler(annahme.http_status, annahme.fehler_code, annahme.fehler, annahme.transaktions_id)
    antwort = jsonify({"transactionId": annahme.transaktions_id, "status": "in Verarbeitung"})
    antwort.status_code = annahme.http_status
    if annahme.retry_after:
        antwort.headers["Retry-After"] = str(annahme.retry_after)
    return antwort


csrf.exempt(ozg_antrag)


# --- intelliForm SOAP deposit ------------------------------------------------------------------------------


def _soap(body: bytes, status: int) -> Response:
    """A SOAP 1.1 answer."""
    return Response(body, status=status, content_type=SOAP_CONTENT_TYPE)


def _fault(status: int, code: str, text: str) -> Response:
    """A SOAP Fault: `Client` for 4xx (do not resend unchanged), `Server` for 5xx (retry later)."""
    art = "Server" if status >= 500 else "Client"
    antwort = _soap(soap_fault_bauen(text, faultcode=art, fault_id=code), status)
    if status == 401:
        antwort.headers["WWW-Authenticate"] = 'Basic realm="Amtsfluss Intake"'
    return antwort


@bp.post("/intelliform/deposit")
@oeffentlich
def intelliform_deposit():
    """intelliForm backend web service, operation `deposit` (SOAP 1.1, whole envelope in the body)."""
    annahme = _empfangen("intelliform", _fault)
    if isinstance(annahme, Response):
        return annahme
    if annahme.vorgang is not None:
        v = annahme.vorgang
        parameter = {
            "transaktionsId": annahme.transaktions_id,
            "vorgangId": str(v.id),
            "vorgangNummer": v.nummer,
            "status": v.status,
        }
        return _soap(deposit_antwort_bauen(parameter), 200)
    if annahme.zustand == FEHLERHAFT:
        return _fault(annahme.http_status, annahme.fehler_code, annahme.fehler)
    antwort = _fault(503, "in_verarbeitung", "Die Lieferung wird noch verarbeitet; bitte später erneut senden.")
    antwort.headers["Retry-After"] = str(annahme.retry_after or current_app.config["INTAKE_RETRY_AFTER_SEKUNDEN"])
    return antwort


csrf.exempt(intelliform_deposit)
