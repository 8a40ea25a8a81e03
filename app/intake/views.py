"""Intake endpoints for form services (`POST /antrag`, `POST /intelliform/deposit`) and the administration
pages "Fehlerhafte Eingänge", Formulardienste (sources, routing, Form-Solutions Mandanten).

The machine endpoints are public for the login check (`@oeffentlich`), CSRF-exempt (no browser session), and
authenticate every call with the source's own credentials (app.intake.zugang).
"""

import logging

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from adapters.intelliform import SOAP_CONTENT_TYPE
from adapters.intelliform_soap import deposit_antwort_bauen, soap_fault_bauen
from adapters.ozgcloud import ozgcloud_antwort
from app.extensions import csrf, db
from app.intake.annahme import Abgelehnt, annehmen
from app.intake.forms import ARTEN_NAMEN, ROUTING_NAMEN, MandantForm, QuelleForm, RoutingForm
from app.intake.models import (
    AUSSTEHEND,
    FEHLERHAFT,
    VERARBEITET,
    Eingang,
    FormSolutionsMandant,
    IntakeQuelle,
    IntakeRouting,
)
from app.intake.verarbeitung import erneut_verarbeiten
from app.intake.zugang import QuellenFehler, authentifizieren, ip_liste_pruefen, neues_geheimnis, quelle_anlegen
from app.organisation.models import Organisationseinheit
from app.security import oeffentlich, rolle_erforderlich
from app.vorgaenge.models import Vorgang

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


@bp.post("/antrag")
@oeffentlich
def ozg_antrag():
    """OZG-Cloud intake contract: multipart/form-data with `formData` (JSON), `representation`, `attachment`."""
    quelle = authentifizieren("ozgcloud", request.headers.get("Authorization"), request.remote_addr)
    if quelle is None:
        return _json_fehler(401, "nicht_angemeldet", "Fehlende oder ungültige Zugangsdaten.")
    inhalt = _koerper_lesen()
    if inhalt is None:
        return _json_fehler(413, "zu_gross", ZU_GROSS.format(current_app.config["INTAKE_MAX_BYTES"]))
    try:
        annahme = annehmen(quelle, inhalt, request.content_type or "", _metadaten())
    except Abgelehnt as abgelehnt:
        return _json_fehler(abgelehnt.fehler.http_status, abgelehnt.fehler.code, abgelehnt.fehler.message)
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
    quelle = authentifizieren("intelliform", request.headers.get("Authorization"), request.remote_addr)
    if quelle is None:
        return _fault(401, "nicht_angemeldet", "Fehlende oder ungültige Zugangsdaten.")
    inhalt = _koerper_lesen()
    if inhalt is None:
        return _fault(413, "zu_gross", ZU_GROSS.format(current_app.config["INTAKE_MAX_BYTES"]))
    try:
        annahme = annehmen(quelle, inhalt, request.content_type or "", _metadaten())
    except Abgelehnt as abgelehnt:
        return _fault(abgelehnt.fehler.http_status, abgelehnt.fehler.code, abgelehnt.fehler.message)
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


# --- administration ----------------------------------------------------------------------------------------

ZUSTAENDE = {FEHLERHAFT: "Fehlerhaft", AUSSTEHEND: "Ausstehend", VERARBEITET: "Verarbeitet"}


@bp.get("/admin/eingaenge")
@rolle_erforderlich("administration")
def admin_eingaenge():
    """Fehlerhafte (or, filtered, pending/processed) Eingänge, newest first."""
    zustand = request.args.get("zustand", FEHLERHAFT)
    if zustand not in ZUSTAENDE:
        zustand = FEHLERHAFT
    seite = max(request.args.get("seite", 1, type=int), 1)
    groesse = current_app.config["PAGE_SIZE"]
    spalten = (
        Eingang.id,
        Eingang.quelle,
        Eingang.transaktions_id,
        Eingang.eingegangen_am,
        Eingang.zustand,
        Eingang.fehler_code,
        Eingang.fehler,
        Eingang.versuche,
        Eingang.vorgang_id,
    )
    zeilen = db.session.execute(
        select(*spalten, Vorgang.nummer)
        .outerjoin(Vorgang, Vorgang.id == Eingang.vorgang_id)
        .where(Eingang.zustand == zustand)
        .order_by(Eingang.id.desc())
        .limit(groesse + 1)
        .offset((seite - 1) * groesse)
    ).all()
    zaehler = dict(db.session.execute(select(Eingang.zustand, func.count()).group_by(Eingang.zustand)).all())
    return render_template(
        "intake/eingaenge.html",
        zeilen=zeilen[:groesse],
        weitere=len(zeilen) > groesse,
        seite=seite,
        zustand=zustand,
        zustaende=ZUSTAENDE,
        zaehler=zaehler,
    )


@bp.get("/admin/eingaenge/<int:eingang_id>")
@rolle_erforderlich("administration")
def admin_eingang(eingang_id: int):
    """One Eingang: state, reason, metadata and the beginning of the raw content (escaped text)."""
    eingang = db.get_or_404(Eingang, eingang_id)
    vorschau = eingang.inhalt[:20000].decode("utf-8", "replace")
    vorgang = db.session.get(Vorgang, eingang.vorgang_id) if eingang.vorgang_id else None
    return render_template(
        "intake/eingang.html", eingang=eingang, vorschau=vorschau, vorgang=vorgang, zustaende=ZUSTAENDE
    )


@bp.get("/admin/eingaenge/<int:eingang_id>/roh")
@rolle_erforderlich("administration")
def admin_eingang_roh(eingang_id: int):
    """Download the raw bytes (never rendered inline: they come from outside)."""
    eingang = db.get_or_404(Eingang, eingang_id)
    return Response(
        eingang.inhalt,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="eingang-{eingang.id}.bin"'},
    )


@bp.post("/admin/eingaenge/<int:eingang_id>/erneut")
@rolle_erforderlich("administration")
def admin_eingang_erneut(eingang_id: int):
    """Re-process a fehlerhaft Eingang after the cause was fixed (routing, procedure, …)."""
    eingang = db.get_or_404(Eingang, eingang_id)
    if eingang.zustand != FEHLERHAFT:
        flash("Nur fehlerhafte Eingänge können neu verarbeitet werden.", "fehler")
        return redirect(url_for("intake.admin_eingang", eingang_id=eingang_id))
    vorgang = erneut_verarbeiten(eingang_id)
    if vorgang is not None:
        flash(f"Eingang {eingang_id} verarbeitet: Vorgang {vorgang.nummer} angelegt.", "erfolg")
    else:
        eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
        flash(f"Eingang {eingang_id} ist weiterhin fehlerhaft: {eingang.fehler}", "fehler")
    return redirect(url_for("intake.admin_eingang", eingang_id=eingang_id))


def _oe_auswahl() -> list[tuple[int, str]]:
    """All OEs as select choices."""
    oes = db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.name)).all()
    return [(oe.id, f"{oe.name} ({oe.kennung})") for oe in oes]


def _fs_quellen_auswahl() -> list[tuple[int, str]]:
    """Form-Solutions sources as select choices."""
    quellen = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.art == "formsolutions")).all()
    return [(q.id, q.name) for q in quellen]


def _quellen_seite(quelle_form=None, routing_form=None, mandant_form=None, geheimnis=None, status=200):
    """Render the page with sources, routing and Form-Solutions Mandanten."""
    routing_form = routing_form or RoutingForm(prefix="routing")
    routing_form.oe_id.choices = _oe_auswahl()
    mandant_form = mandant_form or MandantForm(prefix="mandant")
    mandant_form.quelle_id.choices = _fs_quellen_auswahl()
    return render_template(
        "intake/quellen.html",
        quellen=db.session.scalars(select(IntakeQuelle).order_by(IntakeQuelle.name)).all(),
        routing=db.session.scalars(select(IntakeRouting).order_by(IntakeRouting.art, IntakeRouting.schluessel)).all(),
        mandanten=db.session.scalars(select(FormSolutionsMandant).order_by(FormSolutionsMandant.id)).all(),
        quelle_form=quelle_form or QuelleForm(prefix="quelle"),
        routing_form=routing_form,
        mandant_form=mandant_form,
        geheimnis=geheimnis,
        arten_namen=ARTEN_NAMEN,
        routing_namen=ROUTING_NAMEN,
    ), status


@bp.get("/admin/intake/quellen")
@rolle_erforderlich("administration")
def admin_quellen():
    """Form services with their credentials, the routing table and the Form-Solutions Mandanten."""
    return _quellen_seite()


@bp.post("/admin/intake/quellen")
@rolle_erforderlich("administration")
def admin_quelle_neu():
    """Create a source; its secret is shown once on the answer page (never stored in clear, never flashed)."""
    form = QuelleForm(prefix="quelle")
    if form.validate_on_submit():
        try:
            quelle, geheimnis = quelle_anlegen(
                form.name.data,
                form.art.data,
                benutzername=form.benutzername.data or None,
                ip_erlaubt=(form.ip_erlaubt.data or "").splitlines(),
            )
        except QuellenFehler as fehler:
            db.session.rollback()
            form.name.errors.append(str(fehler))
        else:
            db.session.commit()
            return _quellen_seite(geheimnis=(quelle, geheimnis))
    return _quellen_seite(quelle_form=form, status=400)


@bp.post("/admin/intake/quellen/<int:quelle_id>/umschalten")
@rolle_erforderlich("administration")
def admin_quelle_umschalten(quelle_id: int):
    """Activate or deactivate a source."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    quelle.aktiv = not quelle.aktiv
    db.session.commit()
    flash(f"Quelle {quelle.name} ist jetzt {'aktiv' if quelle.aktiv else 'deaktiviert'}.", "erfolg")
    return redirect(url_for("intake.admin_quellen"))


@bp.post("/admin/intake/quellen/<int:quelle_id>/geheimnis")
@rolle_erforderlich("administration")
def admin_quelle_geheimnis(quelle_id: int):
    """Issue a new password/token for a source (the old one stops working at once)."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    geheimnis = neues_geheimnis(quelle)
    db.session.commit()
    return _quellen_seite(geheimnis=(quelle, geheimnis))


@bp.post("/admin/intake/quellen/<int:quelle_id>/ip")
@rolle_erforderlich("administration")
def admin_quelle_ip(quelle_id: int):
    """Replace the IP allow-list of a source."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    try:
        quelle.ip_erlaubt = ip_liste_pruefen(request.form.get("ip_erlaubt", "").splitlines())
    except QuellenFehler as fehler:
        flash(str(fehler), "fehler")
        return redirect(url_for("intake.admin_quellen"))
    db.session.commit()
    flash(f"Erlaubte Adressen für {quelle.name} gespeichert.", "erfolg")
    return redirect(url_for("intake.admin_quellen"))


@bp.post("/admin/intake/routing")
@rolle_erforderlich("administration")
def admin_routing_neu():
    """Add a routing row (key → OE)."""
    form = RoutingForm(prefix="routing")
    form.oe_id.choices = _oe_auswahl()
    if form.validate_on_submit():
        schluessel = "*" if form.art.data == "standard" else form.schluessel.data.strip()
        vorhanden = db.session.scalars(
            select(IntakeRouting).where(IntakeRouting.art == form.art.data, IntakeRouting.schluessel == schluessel)
        ).first()
        if vorhanden:
            vorhanden.oe_id = form.oe_id.data
        else:
            db.session.add(IntakeRouting(art=form.art.data, schluessel=schluessel, oe_id=form.oe_id.data))
        db.session.commit()
        flash("Zuordnung gespeichert.", "erfolg")
        return redirect(url_for("intake.admin_quellen"))
    return _quellen_seite(routing_form=form, status=400)


@bp.post("/admin/intake/routing/<int:routing_id>/loeschen")
@rolle_erforderlich("administration")
def admin_routing_loeschen(routing_id: int):
    """Delete a routing row."""
    db.session.delete(db.get_or_404(IntakeRouting, routing_id))
    db.session.commit()
    flash("Zuordnung gelöscht.", "erfolg")
    return redirect(url_for("intake.admin_quellen"))


@bp.post("/admin/intake/mandanten")
@rolle_erforderlich("administration")
def admin_mandant_neu():
    """Add a Form-Solutions Mandant to poll."""
    form = MandantForm(prefix="mandant")
    form.quelle_id.choices = _fs_quellen_auswahl()
    if form.validate_on_submit():
        nummern = [n.strip() for n in form.formularnummern.data.split(",") if n.strip()]
        db.session.add(
            FormSolutionsMandant(
                quelle_id=form.quelle_id.data,
                base_url=form.base_url.data.strip().rstrip("/"),
                mandant=form.mandant.data.strip(),
                api_key=form.api_key.data,
                formularnummern=nummern,
                optionen={},
                intervall_sekunden=form.intervall_sekunden.data,
            )
        )
        db.session.commit()
        flash("Mandant gespeichert; er wird beim nächsten Scheduler-Lauf abgerufen.", "erfolg")
        return redirect(url_for("intake.admin_quellen"))
    return _quellen_seite(mandant_form=form, status=400)


@bp.post("/admin/intake/mandanten/<int:mandant_id>/loeschen")
@rolle_erforderlich("administration")
def admin_mandant_loeschen(mandant_id: int):
    """Stop polling a Mandant."""
    db.session.delete(db.get_or_404(FormSolutionsMandant, mandant_id))
    db.session.commit()
    flash("Mandant gelöscht.", "erfolg")
    return redirect(url_for("intake.admin_quellen"))
