"""Administration of the intake: Eingänge (scoped to the administrator's OEs), sources, routing, Form-Solutions."""

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.berechtigungen import ist_systemadministration, verwaltbare_oe_ids
from app.extensions import db
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
from app.intake.zugang import QuellenFehler, ip_liste_pruefen, neues_geheimnis, quelle_anlegen
from app.organisation.models import Organisationseinheit
from app.security import rolle_erforderlich
from app.vorgaenge.models import Vorgang

log = logging.getLogger(__name__)
bp = Blueprint("intake_admin", __name__)


ZUSTAENDE = {FEHLERHAFT: "Fehlerhaft", AUSSTEHEND: "Ausstehend", VERARBEITET: "Verarbeitet"}
ADMINISTRATION = ("administration", "systemadministration")


def _nur_verwaltbare(abfrage):
    """Restrict a query over Eingang (outer-joined with its Vorgang) to what the user administers: system
    administration sees all; an OE's administration only Eingänge whose Vorgang is in its OEs (an Eingang without
    a Vorgang has no OE yet and is for system administration)."""
    if ist_systemadministration(current_user):
        return abfrage
    return abfrage.where(Vorgang.oe_id.in_(verwaltbare_oe_ids(current_user)))


def _eingang_oder_404(eingang_id: int) -> Eingang:
    """An Eingang the user administers, else 404 (existence is not revealed)."""
    eingang = db.session.scalar(
        _nur_verwaltbare(
            select(Eingang).outerjoin(Vorgang, Vorgang.id == Eingang.vorgang_id).where(Eingang.id == eingang_id)
        )
    )
    if eingang is None:
        abort(404)
    return eingang


@bp.get("/admin/eingaenge")
@rolle_erforderlich(*ADMINISTRATION)
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
        _nur_verwaltbare(
            select(*spalten, Vorgang.nummer)
            .outerjoin(Vorgang, Vorgang.id == Eingang.vorgang_id)
            .where(Eingang.zustand == zustand)
        )
        .order_by(Eingang.id.desc())
        .limit(groesse + 1)
        .offset((seite - 1) * groesse)
    ).all()
    zaehlung = select(Eingang.zustand, func.count()).outerjoin(Vorgang, Vorgang.id == Eingang.vorgang_id)
    zaehler = dict(db.session.execute(_nur_verwaltbare(zaehlung).group_by(Eingang.zustand)).all())
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
@rolle_erforderlich(*ADMINISTRATION)
def admin_eingang(eingang_id: int):
    """One Eingang: state, reason, metadata and the beginning of the raw content (escaped text)."""
    eingang = _eingang_oder_404(eingang_id)
    vorschau = eingang.inhalt[:20000].decode("utf-8", "replace")
    vorgang = db.session.get(Vorgang, eingang.vorgang_id) if eingang.vorgang_id else None
    return render_template(
        "intake/eingang.html", eingang=eingang, vorschau=vorschau, vorgang=vorgang, zustaende=ZUSTAENDE
    )


@bp.get("/admin/eingaenge/<int:eingang_id>/roh")
@rolle_erforderlich(*ADMINISTRATION)
def admin_eingang_roh(eingang_id: int):
    """Download the raw bytes (never rendered inline: they come from outside)."""
    eingang = _eingang_oder_404(eingang_id)
    return Response(
        eingang.inhalt,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="eingang-{eingang.id}.bin"'},
    )


@bp.post("/admin/eingaenge/<int:eingang_id>/erneut")
@rolle_erforderlich(*ADMINISTRATION)
def admin_eingang_erneut(eingang_id: int):
    """Re-process a fehlerhaft Eingang after the cause was fixed (routing, procedure, …)."""
    eingang = _eingang_oder_404(eingang_id)
    if eingang.zustand != FEHLERHAFT:
        flash("Nur fehlerhafte Eingänge können neu verarbeitet werden.", "fehler")
        return redirect(url_for("intake_admin.admin_eingang", eingang_id=eingang_id))
    vorgang = erneut_verarbeiten(eingang_id)
    if vorgang is not None:
        flash(f"Eingang {eingang_id} verarbeitet: Vorgang {vorgang.nummer} angelegt.", "erfolg")
    else:
        eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
        flash(f"Eingang {eingang_id} ist weiterhin fehlerhaft: {eingang.fehler}", "fehler")
    return redirect(url_for("intake_admin.admin_eingang", eingang_id=eingang_id))


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
@rolle_erforderlich("systemadministration")
def admin_quellen():
    """Form services with their credentials, the routing table and the Form-Solutions Mandanten."""
    return _quellen_seite()


@bp.post("/admin/intake/quellen")
@rolle_erforderlich("systemadministration")
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
@rolle_erforderlich("systemadministration")
def admin_quelle_umschalten(quelle_id: int):
    """Activate or deactivate a source."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    quelle.aktiv = not quelle.aktiv
    db.session.commit()
    flash(f"Quelle {quelle.name} ist jetzt {'aktiv' if quelle.aktiv else 'deaktiviert'}.", "erfolg")
    return redirect(url_for("intake_admin.admin_quellen"))


@bp.post("/admin/intake/quellen/<int:quelle_id>/geheimnis")
@rolle_erforderlich("systemadministration")
def admin_quelle_geheimnis(quelle_id: int):
    """Issue a new password/token for a source (the old one stops working at once)."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    geheimnis = neues_geheimnis(quelle)
    db.session.commit()
    return _quellen_seite(geheimnis=(quelle, geheimnis))


@bp.post("/admin/intake/quellen/<int:quelle_id>/ip")
@rolle_erforderlich("systemadministration")
def admin_quelle_ip(quelle_id: int):
    """Replace the IP allow-list of a source."""
    quelle = db.get_or_404(IntakeQuelle, quelle_id)
    try:
        quelle.ip_erlaubt = ip_liste_pruefen(request.form.get("ip_erlaubt", "").splitlines())
    except QuellenFehler as fehler:
        flash(str(fehler), "fehler")
        return redirect(url_for("intake_admin.admin_quellen"))
    return _gespeichert(f"Erlaubte Adressen für {quelle.name} gespeichert.")


def _gespeichert(meldung: str, *, loeschen=None):
    """Commit (deleting `loeschen` first), say so and go back to the sources page."""
    if loeschen is not None:
        db.session.delete(loeschen)
    db.session.commit()
    flash(meldung, "erfolg")
    return redirect(url_for("intake_admin.admin_quellen"))


@bp.post("/admin/intake/routing")
@rolle_erforderlich("systemadministration")
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
        return _gespeichert("Zuordnung gespeichert.")
    return _quellen_seite(routing_form=form, status=400)


@bp.post("/admin/intake/routing/<int:routing_id>/loeschen")
@rolle_erforderlich("systemadministration")
def admin_routing_loeschen(routing_id: int):
    """Delete a routing row."""
    return _gespeichert("Zuordnung gelöscht.", loeschen=db.get_or_404(IntakeRouting, routing_id))


@bp.post("/admin/intake/mandanten")
@rolle_erforderlich("systemadministration")
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
        return _gespeichert("Mandant gespeichert; er wird beim nächsten Scheduler-Lauf abgerufen.")
    return _quellen_seite(mandant_form=form, status=400)


@bp.post("/admin/intake/mandanten/<int:mandant_id>/loeschen")
@rolle_erforderlich("systemadministration")
def admin_mandant_loeschen(mandant_id: int):
    """Stop polling a Mandant."""
    return _gespeichert("Mandant gelöscht.", loeschen=db.get_or_404(FormSolutionsMandant, mandant_id))
