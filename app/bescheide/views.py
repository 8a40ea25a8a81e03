"""Bescheid pages: templates and text blocks (Administration, Verfahrensdesign), and on a Vorgang drafting,
previewing, approving and finalising a Bescheid, which completes the procedure's Bescheid step."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.bescheide import service, vorlagen
from app.bescheide.forms import EntwurfForm, ErlassForm, TextbausteinForm, VorlageForm
from app.bescheide.models import Bescheid, BescheidVorlage, Textbaustein
from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessInstanz, ProzessModellVersion
from app.extensions import db
from app.postfach import service as postfach
from app.postfach.kanaele import verfuegbare_kanaele
from app.security import rolle_erforderlich
from app.vorgaenge import aktionen
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import vorgang_oder_404

bp = Blueprint("bescheide", __name__)
GESTALTUNG = ("administration", "verfahrensdesign")


def _verfahren(vorgang: Vorgang) -> str | None:
    """The BPMN process id the Vorgang runs (or ran) in."""
    return db.session.scalar(
        select(ProzessModellVersion.key)
        .join(ProzessInstanz, ProzessInstanz.modell_version_id == ProzessModellVersion.id)
        .where(ProzessInstanz.vorgang_id == vorgang.id)
    )


def _bescheid_schritt(vorgang: Vorgang):
    """(open Bescheid task or None, whether other procedure tasks are open)."""
    ids = set(current_app.config.get("BESCHEID_AUFGABEN", ("bescheid",)))
    offen = offene_aufgaben(vorgang=vorgang)
    schritt = next((a for a in offen if a.element_id in ids), None)
    return schritt, bool(offen) and schritt is None


@bp.app_template_global()
def bescheid_abschnitt(vorgang: Vorgang) -> dict:
    """What `bescheide/_abschnitt.html` shows on the Vorgang page."""
    darf = aktionen.darf_vorgaenge_bearbeiten(current_user) and vorgang.oe_id in current_user.oe_ids
    schritt, gesperrt = _bescheid_schritt(vorgang) if darf else (None, True)
    return {
        "bescheide": service.bescheide(vorgang),
        "vorlagen": service.vorlagen_fuer(_verfahren(vorgang)) if darf and not gesperrt else [],
        "schritt": schritt,
    }


def _bescheid(vorgang: Vorgang, bescheid_id: int) -> Bescheid:
    """A Bescheid of this Vorgang, else 404."""
    bescheid = db.session.get(Bescheid, bescheid_id)
    if bescheid is None or bescheid.vorgang_id != vorgang.id:
        abort(404)
    return bescheid


def _pdf(daten: bytes, name: str) -> Response:
    """A PDF shown in the browser."""
    antwort = Response(daten, mimetype="application/pdf")
    antwort.headers["Content-Disposition"] = f'inline; filename="{name}"'
    antwort.headers["Cache-Control"] = "private, no-store"
    return antwort


# --- on a Vorgang ------------------------------------------------------------------------------------------------


@bp.post("/vorgang/<nummer>/bescheide")
def neu(nummer: str):
    """A draft from the chosen template."""
    vorgang = vorgang_oder_404(current_user, nummer)
    vorlage = db.session.get(BescheidVorlage, request.form.get("vorlage", type=int) or 0)
    if vorlage is None or vorlage not in service.vorlagen_fuer(_verfahren(vorgang)):
        flash("Bitte wählen Sie eine Vorlage.", "fehler")
        return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="bescheide"))
    try:
        bescheid = service.entwurf_anlegen(vorgang, vorlage, current_user)
    except service.BescheidFehler as fehler:
        flash(str(fehler), "fehler")
        return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="bescheide"))
    db.session.commit()
    return redirect(url_for("bescheide.bearbeiten", nummer=nummer, bescheid_id=bescheid.id))


def _seite(vorgang: Vorgang, bescheid: Bescheid, form: EntwurfForm | None = None, fehler: str = "", status=200):
    """The Bescheid page: edit form (draft), approval, finalising."""
    form = form or EntwurfForm(obj=bescheid)
    erlass = ErlassForm()
    erlass.kanal.choices = [("", "nicht versenden")] + [
        (k.name, f"{k.titel}: {adresse.splitlines()[0]}") for k, adresse in verfuegbare_kanaele(vorgang)
    ]
    schritt, gesperrt = _bescheid_schritt(vorgang)
    return (
        render_template(
            "bescheide/bescheid.html",
            vorgang=vorgang,
            bescheid=bescheid,
            form=form,
            erlass=erlass,
            schritt=schritt,
            gesperrt=gesperrt,
            fehler=fehler,
        ),
        status,
    )


@bp.route("/vorgang/<nummer>/bescheide/<int:bescheid_id>", methods=["GET", "POST"])
def bearbeiten(nummer: str, bescheid_id: int):
    """Show a Bescheid; save the edited draft."""
    vorgang = vorgang_oder_404(current_user, nummer)
    bescheid = _bescheid(vorgang, bescheid_id)
    if request.method == "GET":
        return _seite(vorgang, bescheid)
    form = EntwurfForm()
    if not form.validate_on_submit():
        return _seite(vorgang, bescheid, form, status=422)
    try:
        service.entwurf_aendern(bescheid, current_user, form.titel.data, form.html.data)
    except service.BescheidFehler as fehler:
        db.session.rollback()
        return _seite(vorgang, bescheid, form, str(fehler), 422)
    db.session.commit()
    flash("Der Entwurf wurde gespeichert.", "erfolg")
    return redirect(url_for("bescheide.bearbeiten", nummer=nummer, bescheid_id=bescheid.id))


@bp.get("/vorgang/<nummer>/bescheide/<int:bescheid_id>/vorschau.pdf")
def vorschau(nummer: str, bescheid_id: int):
    """The draft as PDF (marked ENTWURF, not stored); a final Bescheid is its stored file."""
    vorgang = vorgang_oder_404(current_user, nummer)
    bescheid = _bescheid(vorgang, bescheid_id)
    if bescheid.ist_final:
        return redirect(url_for("vorgaenge.anhang", nummer=nummer, anhang_id=bescheid.anhang_id, ansicht=1))
    try:
        return _pdf(service.pdf(bescheid, entwurf=True), f"Entwurf {vorgang.nummer}.pdf")
    except service.BescheidFehler as fehler:
        return _seite(vorgang, bescheid, fehler=str(fehler), status=422)


@bp.post("/vorgang/<nummer>/bescheide/<int:bescheid_id>/vorlegen", defaults={"aktion": "vorlegen"})
@bp.post("/vorgang/<nummer>/bescheide/<int:bescheid_id>/freigeben", defaults={"aktion": "freigeben"})
def freigabe(nummer: str, bescheid_id: int, aktion: str):
    """Present the draft to the team lead, or approve it."""
    vorgang = vorgang_oder_404(current_user, nummer)
    bescheid = _bescheid(vorgang, bescheid_id)
    try:
        (service.freigabe_beantragen if aktion == "vorlegen" else service.freigeben)(bescheid, current_user)
    except service.BescheidFehler as fehler:
        db.session.rollback()
        return _seite(vorgang, bescheid, fehler=str(fehler), status=422)
    db.session.commit()
    flash("Der Bescheid wurde zur Freigabe vorgelegt." if aktion == "vorlegen" else "Der Bescheid ist freigegeben.")
    return redirect(url_for("bescheide.bearbeiten", nummer=nummer, bescheid_id=bescheid.id))


@bp.post("/vorgang/<nummer>/bescheide/<int:bescheid_id>/erlassen")
def erlassen(nummer: str, bescheid_id: int):
    """Finalise, send by the chosen channel and complete the procedure's Bescheid step — one transaction."""
    vorgang = vorgang_oder_404(current_user, nummer, sperren=True)
    bescheid = _bescheid(vorgang, bescheid_id)
    kanal = request.form.get("kanal", "")
    schritt, gesperrt = _bescheid_schritt(vorgang)
    try:
        if gesperrt:
            raise service.BescheidFehler("Das Verfahren ist noch nicht beim Schritt „Bescheid“ angekommen.")
        service.finalisieren(bescheid, current_user)
        if kanal:
            text = (
                f"Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie den Bescheid zu Ihrem Antrag "
                f"(Vorgangsnummer {vorgang.nummer}).\n\nMit freundlichen Grüßen\n{current_user.name}\n{vorgang.oe.name}"
            )
            postfach.schreiben(vorgang, current_user, kanal, bescheid.titel, text, [bescheid.anhang])
        if schritt is not None:
            runner.abschliessen(schritt.task_id, {"bescheid_datum": bescheid.bescheid_datum.isoformat()}, current_user)
        else:
            db.session.commit()
    except (service.BescheidFehler, postfach.PostfachFehler) as fehler:
        db.session.rollback()
        return _seite(vorgang, bescheid, fehler=str(fehler), status=422)
    except (runner.FormularFehler, runner.Konflikt, runner.KeineBerechtigung) as fehler:
        # abschliessen rolled back: the Bescheid stays a draft
        return _seite(vorgang, db.session.get(Bescheid, bescheid_id), fehler=str(fehler), status=409)
    flash("Der Bescheid ist erlassen.", "erfolg")
    return redirect(url_for("vorgaenge.detail", nummer=nummer, _anchor="bescheide"))


# --- templates and text blocks -------------------------------------------------------------------------------------


@bp.get("/bescheide/vorlagen")
@rolle_erforderlich(*GESTALTUNG)
def vorlagen_liste():
    """All templates and text blocks."""
    return render_template(
        "bescheide/vorlagen.html",
        vorlagen=db.session.scalars(select(BescheidVorlage).order_by(BescheidVorlage.verfahren, BescheidVorlage.name)),
        textbausteine=db.session.scalars(select(Textbaustein).order_by(Textbaustein.schluessel)),
    )


def _verfahren_auswahl() -> list[tuple[str, str]]:
    """The deployed procedures (process id → name) as choices, with "every procedure" first."""
    zeilen = db.session.execute(select(ProzessModellVersion.key, ProzessModellVersion.name).distinct()).all()
    return [("", "alle Verfahren")] + sorted({(k, n or k) for k, n in zeilen}, key=lambda z: z[1])


@bp.route("/bescheide/vorlagen/neu", methods=["GET", "POST"], defaults={"vorlage_id": None})
@bp.route("/bescheide/vorlagen/<int:vorlage_id>", methods=["GET", "POST"])
@rolle_erforderlich(*GESTALTUNG)
def vorlage(vorlage_id: int | None):
    """Create or edit a template; errors of placeholders and HTML are shown, nothing broken is saved."""
    vorhanden = db.session.get(BescheidVorlage, vorlage_id) if vorlage_id else None
    if vorlage_id and vorhanden is None:
        abort(404)
    form = VorlageForm(obj=vorhanden)
    form.verfahren.choices = _verfahren_auswahl()
    if vorhanden is not None and vorhanden.verfahren not in dict(form.verfahren.choices):
        form.verfahren.choices.append((vorhanden.verfahren, vorhanden.verfahren))
    fehler = ""
    if form.validate_on_submit():
        try:
            gespeichert = service.vorlage_speichern(
                vorhanden, form.verfahren.data, form.art.data, form.name.data, form.html.data, form.freigabe_noetig.data
            )
            db.session.commit()
            flash("Die Vorlage wurde gespeichert.", "erfolg")
            return redirect(url_for("bescheide.vorlage", vorlage_id=gespeichert.id))
        except service.BescheidFehler as error:
            db.session.rollback()
            fehler = str(error)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "bescheide/vorlage.html",
        form=form,
        vorlage=vorhanden,
        fehler=fehler,
        feste=vorlagen.FESTE_PLATZHALTER,
        textbausteine=service.textbausteine(),
    ), status


@bp.get("/bescheide/vorlagen/<int:vorlage_id>/vorschau")
@rolle_erforderlich(*GESTALTUNG)
def vorlage_vorschau(vorlage_id: int):
    """The template filled with a real Vorgang (one the user may see), as draft PDF."""
    vorlage_ = db.session.get(BescheidVorlage, vorlage_id) or abort(404)
    vorgang = vorgang_oder_404(current_user, (request.args.get("vorgang") or "").strip().upper())
    probe = Bescheid(vorgang=vorgang, art=vorlage_.art, titel=f"{vorlage_.art_titel} (Vorschau)", html=vorlage_.html)
    try:
        return _pdf(service.pdf(probe, entwurf=True), f"Vorschau {vorgang.nummer}.pdf")
    except service.BescheidFehler as fehler:
        flash(str(fehler), "fehler")
        return redirect(url_for("bescheide.vorlage", vorlage_id=vorlage_.id))


@bp.route("/bescheide/textbausteine/neu", methods=["GET", "POST"], defaults={"baustein_id": None})
@bp.route("/bescheide/textbausteine/<int:baustein_id>", methods=["GET", "POST"])
@rolle_erforderlich(*GESTALTUNG)
def textbaustein(baustein_id: int | None):
    """Create or edit a text block (its key is fixed once created)."""
    vorhanden = db.session.get(Textbaustein, baustein_id) if baustein_id else None
    if baustein_id and vorhanden is None:
        abort(404)
    form = TextbausteinForm(obj=vorhanden)
    if vorhanden is not None:
        form.schluessel.render_kw = {"readonly": True}
        form.schluessel.data = vorhanden.schluessel
    fehler = ""
    if form.validate_on_submit():
        try:
            service.textbaustein_speichern(vorhanden, form.schluessel.data, form.titel.data, form.text.data)
            db.session.commit()
            flash("Der Textbaustein wurde gespeichert.", "erfolg")
            return redirect(url_for("bescheide.vorlagen_liste"))
        except service.BescheidFehler as error:
            db.session.rollback()
            fehler = str(error)
    status = 422 if request.method == "POST" else 200
    return render_template("bescheide/textbaustein.html", form=form, baustein=vorhanden, fehler=fehler), status
