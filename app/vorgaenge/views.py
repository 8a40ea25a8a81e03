"""Vorgangsliste, search, Vorgang detail, case actions and Anhänge (the caseworker's pages)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import exists, select

from app.auth.models import Benutzer
from app.engine import prozess_vorfall
from app.engine.aufgaben import offene_aufgaben
from app.engine.diagramm import diagramm_daten
from app.engine.models import ProzessInstanz
from app.extensions import db
from app.fristen import bearbeitungsfrist
from app.organisation.models import Organisationseinheit
from app.vorgaenge import aktionen, anhaenge, ansichten, anzeige, liste, sammelaktionen
from app.vorgaenge.beschriftung import beschriften
from app.vorgaenge.datum import datum_text
from app.vorgaenge.forms import (
    AktenzeichenForm,
    AnhangForm,
    BegruendungForm,
    KommentarForm,
    LeeresForm,
    LoeschungBestaetigenForm,
    WeiterleitenForm,
    ZuweisenForm,
)
from app.vorgaenge.models import Anhang, HistorieEintrag, Kommentar, Vorgang
from app.vorgaenge.service import vorgang_oder_404
from app.vorgaenge.status import OFFEN, Status, UngueltigerStatuswechsel
from app.wiedervorlagen.service import (
    naechste_fristen,
    pruefe_vorgang_offen,
    wiedervorlage_anlegen,
    wiedervorlagen_fuer_vorgang,
)

bp = Blueprint("vorgaenge", __name__)
bp.add_app_template_global(Status, "Status")
for _name in ("formularwert", "feldname", "groesse", "aenderung", "ohne_anfuehrung"):
    bp.add_app_template_filter(getattr(anzeige, _name), _name)


@bp.app_errorhandler(UngueltigerStatuswechsel)
def statuskonflikt(error: UngueltigerStatuswechsel):
    """An invalid status transition (here or in a procedure step) is a conflict with the current state."""
    db.session.rollback()
    return render_template("errors/fehler.html", code=409, titel="Konflikt", text=str(error)), 409


# --- List -----------------------------------------------------------------------------------------------------


@bp.get("/", endpoint="liste")
def liste_anzeigen():
    """The inbox: a view (Alle/Meine/Nicht zugewiesen), filters and search from the URL, one page by keyset."""
    f = liste.filter_aus_args(request.args)
    seite = liste.seite_laden(current_user, f, current_app.config["PAGE_SIZE"])
    return render_template(
        "vorgaenge/liste.html",
        f=f,
        seite=seite,
        fristen=naechste_fristen([v.id for v in seite.vorgaenge]),
        bearbeitungsfristen=bearbeitungsfrist.fuer_vorgaenge(seite.vorgaenge),
        ansichten=liste.ANSICHTEN,
        sortierungen=liste.SORTIERUNGEN,
        zaehler=liste.zaehler_pro_status(current_user),
        formulare=liste.formulare(current_user),
        personen=liste.bearbeitende(current_user.oe_ids),
        datum_text=datum_text,
        sammelaktionen=sammelaktionen.AKTIONEN,
        gespeicherte=ansichten.ansichten(current_user),
        oes=db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.name)).all(),
    )


# --- Saved views and bulk actions on the list ------------------------------------------------------------------


@bp.post("/ansichten")
def ansicht_speichern():
    """Keep the list's current filter and sort under a name (Leitung: optionally for one of their OEs)."""
    if not LeeresForm().validate_on_submit():
        abort(400)
    f = liste.filter_aus_args(request.form)
    try:
        ansicht = ansichten.speichern(current_user, request.form.get("name", ""), f, request.form.get("oe", type=int))
    except aktionen.AktionNichtErlaubt as fehler:
        db.session.rollback()
        flash(str(fehler), "fehler")
        return redirect(url_for(".liste", **f.als_args()))
    db.session.commit()
    flash(f"Ansicht „{ansicht.name}“ gespeichert.", "erfolg")
    return redirect(url_for(".liste", **f.als_args()))


@bp.post("/ansichten/<int:ansicht_id>/loeschen")
def ansicht_loeschen(ansicht_id: int):
    """Delete a saved view (own, or as Leitung one shared with the OE)."""
    if not LeeresForm().validate_on_submit():
        abort(400)
    try:
        name = ansichten.loeschen(current_user, ansicht_id)
    except aktionen.AktionNichtErlaubt as fehler:
        flash(str(fehler), "fehler")
        return redirect(url_for(".liste"))
    db.session.commit()
    flash(f"Ansicht „{name}“ gelöscht.", "erfolg")
    return redirect(url_for(".liste"))


@bp.post("/sammelaktion")
def sammelaktion():
    """One action on the selected rows of the list; one summary of what worked and what was refused, and why."""
    if not LeeresForm().validate_on_submit():
        abort(400)
    zurueck = request.form.get("zurueck", "")
    sicher = zurueck.startswith("/") and not zurueck.startswith("//") and "\\" not in zurueck
    zurueck = zurueck if sicher else url_for(".liste")  # back to the list page it came from, never elsewhere
    name, nummern = request.form.get("aktion", ""), request.form.getlist("nummer")
    if name not in sammelaktionen.AKTIONEN or not nummern:
        flash("Bitte wählen Sie Vorgänge und eine Aktion aus.", "fehler")
        return redirect(zurueck)
    try:
        aktion = sammelaktionen.aktion_bauen(name, request.form, current_user, _wiedervorlage_setzen)
    except ValueError as fehler:
        flash(str(fehler), "fehler")
        return redirect(zurueck)
    ergebnis = sammelaktionen.ausfuehren(current_user, nummern, aktion)
    db.session.commit()
    anzahl = len(ergebnis.erledigt)
    flash(
        f"{anzahl} {'Vorgang' if anzahl == 1 else 'Vorgänge'} {sammelaktionen.AKTIONEN[name][1]}.",
        "erfolg" if anzahl else "fehler",
    )
    if ergebnis.abgelehnt:
        flash(
            f"Nicht möglich bei {len(ergebnis.abgelehnt)}: "
            + "; ".join(f"{nummer} – {grund}" for nummer, grund in ergebnis.abgelehnt),
            "fehler",
        )
    return redirect(zurueck)


def _wiedervorlage_setzen(vorgang: Vorgang, betreff: str, frist, ich: Benutzer) -> None:
    """The Wiedervorlage of a bulk action (that slice sits above this one, so the view hands it in)."""
    pruefe_vorgang_offen(vorgang)
    wiedervorlage_anlegen(vorgang, betreff, frist, erstellt_von=ich, herkunft="manuell")


# --- Detail ---------------------------------------------------------------------------------------------------


@bp.get("/vorgang/<nummer>")
def detail(nummer: str):
    """One Vorgang: header, applicant, form data, Anhänge, tasks, diagram, Historie, comments, Wiedervorlagen."""
    vorgang = vorgang_oder_404(current_user, nummer)
    if aktionen.ungelesen([vorgang.id]):
        aktionen.nachrichten_gelesen(vorgang)
        db.session.commit()
    return _detailseite(vorgang)


def _detailseite(vorgang: Vorgang, formulare: dict | None = None, status: int = 200):
    """Render the detail page; `formulare` carries a submitted form with its errors (re-shown in place)."""
    formulare = formulare or {}
    zuweisen = formulare.get("zuweisen") or ZuweisenForm()
    kollegen = aktionen.kollegen(vorgang)
    zuweisen.an.choices = [(0, "– bitte wählen –")] + [(b.id, f"{b.name} ({b.kuerzel})") for b in kollegen]
    weiterleiten = formulare.get("weiterleiten") or _weiterleiten_form(vorgang)
    forms = {
        "kommentar": formulare.get("kommentar") or KommentarForm(),
        "aktenzeichen": formulare.get("aktenzeichen") or AktenzeichenForm(),
        "anhang": formulare.get("anhang") or AnhangForm(),
        "zuweisen": zuweisen,
        "weiterleiten": weiterleiten,
        "verwerfen": formulare.get("verwerfen") or BegruendungForm("verwerfen"),
        "loeschen_beantragen": formulare.get("loeschen_beantragen") or BegruendungForm("loeschen_beantragen"),
        "wiedereroeffnen": formulare.get("wiedereroeffnen") or BegruendungForm("wiedereroeffnen", pflicht=False),
        "loeschung_ablehnen": formulare.get("loeschung_ablehnen")
        or BegruendungForm("loeschung_ablehnen", pflicht=False),
        "loeschung_bestaetigen": formulare.get("loeschung_bestaetigen") or LoeschungBestaetigenForm(),
        "leer": LeeresForm(),
    }
    historie = db.session.scalars(
        select(HistorieEintrag).where(HistorieEintrag.vorgang_id == vorgang.id).order_by(HistorieEintrag.id.desc())
    ).all()
    kommentare = db.session.scalars(
        select(Kommentar).where(Kommentar.vorgang_id == vorgang.id).order_by(Kommentar.id)
    ).all()
    anhangliste = db.session.scalars(select(Anhang).where(Anhang.vorgang_id == vorgang.id).order_by(Anhang.id)).all()
    aufgaben = _offene_aufgaben(vorgang)
    meine = {a.task_id for a in _offene_aufgaben(vorgang, current_user)} if aufgaben else set()
    return (
        render_template(
            "vorgaenge/detail.html",
            vorgang=vorgang,
            bearbeitungsfrist=bearbeitungsfrist.fuer_vorgaenge([vorgang]).get(vorgang.id),
            formulardaten=beschriften(vorgang.formulardaten, vorgang.formular_id),
            antragsteller=anzeige.antragsteller_anzeige(vorgang.antragsteller),
            historie=historie,
            loeschantrag=_loeschantrag(vorgang, historie),
            kommentare=kommentare,
            anhaenge=anhangliste,
            darf_inline=anhaenge.darf_inline,
            aufgaben=aufgaben,
            meine_aufgaben=meine,
            aufgaben_fehler=formulare.get("aufgabe_fehler", {}),
            forms=forms,
            moeglich=_moegliche_aktionen(vorgang, aufgaben),
            vorfall=prozess_vorfall(vorgang),
            vorgang_hat_verfahren=_hat_verfahren(vorgang),
            wiedervorlagen=wiedervorlagen_fuer_vorgang(vorgang),
            fehler_zusammenfassung=_fehler(formulare),
        ),
        status,
    )


def _weiterleiten_form(vorgang: Vorgang) -> WeiterleitenForm:
    """The forwarding form: every other OE, those without any caseworker marked (they need a confirmation)."""
    ziele = aktionen.weiterleitungsziele(vorgang)
    besetzt = {oe_id for b in liste.bearbeitende([oe.id for oe in ziele]) for oe_id in b.oe_ids}
    ohne = {oe.id for oe in ziele if oe.id not in besetzt}
    form = WeiterleitenForm(ohne_bearbeitung=ohne)
    form.ziel.choices = [(0, "– bitte wählen –")] + [
        (oe.id, f"{oe.name} (ohne Sachbearbeitung)" if oe.id in ohne else oe.name) for oe in ziele
    ]
    return form


def _loeschantrag(vorgang: Vorgang, historie: list[HistorieEintrag]) -> HistorieEintrag | None:
    """The Historie entry of the pending deletion request (who asked, when, why), newest first in `historie`."""
    if vorgang.status_enum is not Status.ZU_LOESCHEN:
        return None
    return next((e for e in historie if (e.nachher or {}).get("status") == Status.ZU_LOESCHEN.value), None)


def _fehler(formulare: dict) -> list[tuple[str, str, str]]:
    """(field id, label, message) of every error in the submitted forms, for the summary at the top."""
    fehler = []
    for name, form in formulare.items():
        if name == "aufgabe_fehler" or not hasattr(form, "_fields"):
            continue
        for feld in form:
            for e in feld.errors:
                fehler.append((feld.id, feld.label.text, e))
    return fehler


def _offene_aufgaben(vorgang: Vorgang, benutzer: Benutzer | None = None) -> list:
    """The procedure's open tasks of this Vorgang — with `benutzer`, only those they may complete."""
    if vorgang.status_enum not in OFFEN:
        return []
    return offene_aufgaben(benutzer=benutzer, vorgang=vorgang)


def _hat_verfahren(vorgang: Vorgang) -> bool:
    """Whether a procedure runs or ran for this Vorgang (only then is there a diagram to show)."""
    return bool(db.session.scalar(select(exists().where(ProzessInstanz.vorgang_id == vorgang.id))))


def _moegliche_aktionen(vorgang: Vorgang, aufgaben: list) -> set[str]:
    """Which action controls to show; the service checks again when they are used."""
    ich = current_user
    if not aktionen.darf_vorgaenge_bearbeiten(ich):
        return set()
    s = vorgang.status_enum
    moeglich: set[str] = {"kommentar"}
    if s in OFFEN:
        moeglich |= {"aktenzeichen", "anhang", "weiterleiten", "verwerfen"}
        if vorgang.bearbeiter_id is None:
            moeglich.add("uebernehmen")
        if vorgang.bearbeiter_id == ich.id or (vorgang.bearbeiter_id and ich.hat_rolle("leitung")):
            moeglich.add("freigeben")
        if ich.hat_rolle("leitung") or vorgang.bearbeiter_id == ich.id:
            moeglich.add("zuweisen")
        # Accepting is a case action only where the procedure has no task for it (no open task at all).
        if s is Status.NEU and not aufgaben:
            moeglich.add("annehmen")
        if s in aktionen.WEITER and not aufgaben:
            moeglich.add("weiter")
    if s in {Status.ABGESCHLOSSEN, Status.VERWORFEN}:
        moeglich.add("wiedereroeffnen")
    if s in {Status.ABGESCHLOSSEN, Status.VERWORFEN, Status.WEITERGELEITET}:
        moeglich.add("loeschen_beantragen")
    if s is Status.ZU_LOESCHEN:
        moeglich.add("loeschung_ablehnen")
        if vorgang.loeschung_beantragt_von_id not in (None, ich.id):
            moeglich.add("loeschung_bestaetigen")
    return moeglich


@bp.get("/vorgang/<nummer>/diagramm.json")
def diagramm(nummer: str):
    """BPMN XML and the element ids to highlight, for the bpmn-js viewer."""
    vorgang = vorgang_oder_404(current_user, nummer)
    daten = diagramm_daten(vorgang)
    if not daten or not daten.get("xml"):
        abort(404)
    return jsonify(
        xml=daten["xml"],
        erledigt=list(daten.get("erledigt") or []),
        aktiv=list(daten.get("aktiv") or []),
        vorfall=daten.get("vorfall"),
    )


# --- Case actions ---------------------------------------------------------------------------------------------


@bp.post("/vorgang/<nummer>/aktion/<name>")
def aktion(nummer: str, name: str):
    """Run one case action from the detail page; errors re-render the page with the form and its messages."""
    vorgang = vorgang_oder_404(current_user, nummer, sperren=True)
    ich: Benutzer = current_user
    try:
        ergebnis = _aktion_ausfuehren(vorgang, ich, name)
    except aktionen.AktionNichtErlaubt as fehler:
        db.session.rollback()
        flash(str(fehler), "fehler")
        return redirect(url_for(".detail", nummer=nummer))
    except anhaenge.AnhangAbgelehnt as fehler:
        db.session.rollback()
        form = AnhangForm()
        form.datei.errors = [str(fehler)]
        return _detailseite(vorgang_oder_404(ich, nummer), {"anhang": form}, 422)
    if isinstance(ergebnis, dict):  # invalid form input
        db.session.rollback()
        return _detailseite(vorgang_oder_404(ich, nummer), ergebnis, 422)
    db.session.commit()
    if name == "loeschung_bestaetigen":
        flash(f"Vorgang {nummer} wurde gelöscht.", "erfolg")
        return redirect(url_for(".liste"))
    flash(ergebnis, "erfolg")
    if vorgang.oe_id not in ich.oe_ids:  # forwarded out of my OEs: the detail page is no longer mine to see
        return redirect(url_for(".liste"))
    return redirect(url_for(".detail", nummer=nummer) + _ANKER.get(name, ""))


#: Where the page scrolls after an action, so a keyboard user lands next to what changed.
_ANKER = {"kommentar": "#kommentare", "anhang": "#anhaenge", "aktenzeichen": "#kopfdaten"}


def _aktion_ausfuehren(vorgang: Vorgang, ich: Benutzer, name: str) -> str | dict:
    """Validate the action's form and call the service; returns a success message or `{name: form}` on errors."""
    if name == "annehmen":
        if not LeeresForm().validate_on_submit():
            abort(400)
        aktionen.annehmen(vorgang, ich)
        return "Der Vorgang wurde angenommen."
    if name == "weiter":
        if not LeeresForm().validate_on_submit():
            abort(400)
        aufgabe_offen = bool(offene_aufgaben(vorgang=vorgang))
        return f"Der Vorgang ist jetzt „{aktionen.weiter(vorgang, ich, aufgabe_offen=aufgabe_offen)}“."
    if name == "uebernehmen":
        aktionen.zuweisen(vorgang, ich, ich)
        return "Sie bearbeiten den Vorgang jetzt."
    if name == "freigeben":
        aktionen.zuweisen(vorgang, ich, None)
        return "Der Vorgang ist freigegeben."
    if name == "zuweisen":
        form = ZuweisenForm()
        form.an.choices = [(0, "")] + [(b.id, b.name) for b in aktionen.kollegen(vorgang)]
        if not form.validate_on_submit():
            return {"zuweisen": form}
        aktionen.zuweisen(vorgang, ich, db.session.get(Benutzer, form.an.data))
        return "Der Vorgang wurde zugewiesen."
    if name == "aktenzeichen":
        form = AktenzeichenForm()
        if not form.validate_on_submit():
            return {"aktenzeichen": form}
        wert = aktionen.aktenzeichen_setzen(vorgang, ich, form.aktenzeichen.data if form.art.data == "frei" else None)
        return f"Aktenzeichen {wert} gesetzt."
    if name == "anhang":
        form = AnhangForm()
        if not form.validate_on_submit():
            return {"anhang": form}
        datei = form.datei.data
        anhaenge.hochladen(
            vorgang, datei.filename or "anhang", datei.read(), ich, form.beschreibung.data or "", datei.mimetype
        )
        return f"Datei „{anhaenge.sicherer_dateiname(datei.filename or 'anhang')}“ angehängt."
    if name == "kommentar":
        form = KommentarForm()
        if not form.validate_on_submit():
            return {"kommentar": form}
        aktionen.kommentieren(vorgang, ich, form.text.data)
        return "Kommentar gespeichert."
    if name == "weiterleiten":
        form = _weiterleiten_form(vorgang)
        if not form.validate_on_submit():
            return {"weiterleiten": form}
        ziel = db.session.get(Organisationseinheit, form.ziel.data)
        aktionen.weiterleiten(vorgang, ich, ziel, form.notiz.data or "")
        return f"Der Vorgang wurde an {ziel.name} weitergeleitet."
    if name in ("verwerfen", "loeschen_beantragen", "wiedereroeffnen", "loeschung_ablehnen"):
        form = BegruendungForm(name, pflicht=name in ("verwerfen", "loeschen_beantragen"))
        if not form.validate_on_submit():
            return {name: form}
        getattr(aktionen, name)(vorgang, ich, form.begruendung.data or "")
        return {
            "verwerfen": "Der Vorgang wurde verworfen.",
            "loeschen_beantragen": "Die Löschung ist beantragt; eine zweite Person muss sie bestätigen.",
            "wiedereroeffnen": "Der Vorgang wurde wiedereröffnet.",
            "loeschung_ablehnen": "Die Löschung wurde abgelehnt.",
        }[name]
    if name == "loeschung_bestaetigen":
        form = LoeschungBestaetigenForm()
        if not form.validate_on_submit():
            return {"loeschung_bestaetigen": form}
        aktionen.loeschung_bestaetigen(vorgang, ich)
        return "gelöscht"
    abort(404)


# --- Anhänge --------------------------------------------------------------------------------------------------


@bp.get("/vorgang/<nummer>/anhang/<int:anhang_id>")
def anhang(nummer: str, anhang_id: int):
    """Download (or, with `?ansicht=1`, preview PDF/images inline) one Anhang of a visible Vorgang."""
    vorgang = vorgang_oder_404(current_user, nummer)
    datei = db.session.scalars(select(Anhang).where(Anhang.id == anhang_id, Anhang.vorgang_id == vorgang.id)).first()
    if datei is None:
        abort(404)
    try:
        return anhaenge.ausliefern(datei, inline=request.args.get("ansicht") == "1")
    except FileNotFoundError:
        abort(404)
