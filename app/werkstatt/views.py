"""Pages of the designer's workbench (/werkstatt): overview, procedure, modeler, drafts, check, approve, deploy.

Only Verfahrensdesign and Administration; every form and JSON post carries the CSRF token. The pages that try a
draft out are in `probeviews`, instance migration in `migration_views` (blueprints nested in this one, so the role
check covers them too).
"""

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.security import CONTENT_SECURITY_POLICY, rolle_erforderlich
from app.werkstatt import entwuerfe, pruefung, testfaelle, verfahren
from app.werkstatt.ansicht import datei_antwort, entwurf_laden, key_pruefen
from app.werkstatt.dmnviews import bp as dmn_bp
from app.werkstatt.einstellungsviews import bp as einstellungen_bp
from app.werkstatt.migration_views import bp as migration_bp
from app.werkstatt.probeviews import bp as probe_bp

bp = Blueprint("werkstatt", __name__, url_prefix="/werkstatt")
bp.register_blueprint(probe_bp)
bp.register_blueprint(einstellungen_bp)
bp.register_blueprint(dmn_bp)
bp.register_blueprint(migration_bp)

#: Who may use the workbench.
ROLLEN = ("verfahrensdesign", "administration", "systemadministration")
#: The properties panel's FEEL popup builds two containers with a style attribute (`height: 100%` and
#: `flex: none; height: auto`); the modeler page allows exactly these two, by hash, and no other inline style.
MODELER_CSP = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'",
    "style-src 'self' 'unsafe-hashes' 'sha256-nR5hyLltSjfvi2rqC26RbcredWrJvTaPA1yqPX96jpY=' "
    "'sha256-LIWyuNLBDBQuKJLr4mOx2cFEzHX9lM0BrbfcAAzCvSU='",
)


@bp.before_request
@rolle_erforderlich(*ROLLEN)
def nur_verfahrensdesign():
    """Every page of the workbench is for process designers and administrators only."""


@bp.get("/")
def uebersicht():
    """Every procedure: newest version, who deployed it, running instances, incidents, routing, draft."""
    return render_template("werkstatt/uebersicht.html", verfahren=verfahren.uebersicht())


@bp.route("/neu", methods=["GET", "POST"])
def neu():
    """Create a new procedure from the template (as its first draft) and open it in the modeler."""
    fehler = None
    if request.method == "POST":
        key, name = request.form.get("key", "").strip(), request.form.get("name", "").strip()
        try:
            if entwuerfe.neuester_entwurf(key) is not None or verfahren.versionen(key):
                raise entwuerfe.NichtAngenommen(f"Ein Verfahren „{key}“ gibt es schon.")
            entwuerfe.speichern(entwuerfe.vorlage(key, name), current_user, "Aus der Vorlage angelegt")
        except entwuerfe.NichtAngenommen as error:
            fehler = str(error)
        else:
            return redirect(url_for("werkstatt.modeler", key=key))
    return render_template("werkstatt/neu.html", fehler=fehler), 400 if fehler else 200


@bp.post("/hochladen")
def hochladen():
    """Upload a `.bpmn` file (e.g. from Camunda Modeler) as a new draft of its procedure."""
    datei = request.files.get("datei")
    if datei is None or not datei.filename:
        flash("Bitte wählen Sie eine BPMN-Datei.", "fehler")
        return redirect(url_for("werkstatt.uebersicht"))
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", entwuerfe.MAX_BPMN_BYTES)
    try:
        entwurf = entwuerfe.speichern(datei.stream.read(grenze + 1), current_user, f"Hochgeladen: {datei.filename}")
    except entwuerfe.NichtAngenommen as error:
        flash(f"Die Datei wurde nicht angenommen: {error}", "fehler")
        return redirect(url_for("werkstatt.uebersicht"))
    flash(f"„{entwurf.name}“ wurde als Entwurf gespeichert.", "erfolg")
    return redirect(url_for("werkstatt.modeler", key=entwurf.key))


@bp.get("/verfahren/<key>")
def detail(key: str):
    """One procedure: versions, drafts, test cases, routing, audit log."""
    key = key_pruefen(key)
    versionen = verfahren.versionen(key)
    liste = entwuerfe.entwuerfe(key)
    if not versionen and not liste:
        abort(404)
    return render_template(
        "werkstatt/verfahren.html",
        key=key,
        name=(liste[0].name if liste else versionen[0].version.name),
        versionen=versionen,
        entwuerfe=liste,
        testfaelle=testfaelle.testfaelle(key),
        routing=verfahren.routing_je_verfahren().get(key, verfahren.Routing()),
        ereignisse=entwuerfe.ereignisse(key),
        andere=entwuerfe.andere_bearbeiter(key, current_user),
        freigabe=entwuerfe.freigabe_erforderlich(),
        freigegeben_von=entwuerfe.freigegeben_von(liste[0]) if liste else [],
    )


@bp.get("/verfahren/<key>/modeler")
def modeler(key: str):
    """The BPMN modeler with the Camunda 7 properties panel, on the newest draft or a deployed version."""
    key = key_pruefen(key)
    version = request.args.get("version", type=int)
    quelle = url_for("werkstatt.xml", key=key, version=version) if version else url_for("werkstatt.xml", key=key)
    if version is None and entwuerfe.neuester_entwurf(key) is None and not verfahren.versionen(key):
        abort(404)
    andere = entwuerfe.andere_bearbeiter(key, current_user)
    entwuerfe.geoeffnet(key, current_user)
    seite = render_template("werkstatt/modeler.html", key=key, quelle=quelle, version=version, andere=andere)
    return seite, {"Content-Security-Policy": MODELER_CSP}


@bp.get("/verfahren/<key>/xml")
def xml(key: str):
    """The XML the modeler opens: `?version=n`, `?entwurf=id`, else the newest draft or the newest version."""
    key = key_pruefen(key)
    version = request.args.get("version", type=int)
    if version is None and request.args.get("entwurf"):
        return Response(entwurf_laden(key, request.args["entwurf"]).xml, mimetype="application/xml")
    if version is None and (entwurf := entwuerfe.neuester_entwurf(key)) is not None:
        return Response(entwurf.xml, mimetype="application/xml")
    gefunden = entwuerfe.version_xml(key, version) if version else None
    if gefunden is None and version is None and (zeilen := verfahren.versionen(key)):
        gefunden = entwuerfe.version_xml(key, zeilen[0].version.version)
    if gefunden is None:
        abort(404)
    return Response(gefunden.xml, mimetype="application/xml")


@bp.get("/verfahren/<key>/versionen/<int:version>.bpmn")
def version_herunterladen(key: str, version: int):
    """Download a deployed version as it was deployed."""
    gefunden = entwuerfe.version_xml(key_pruefen(key), version)
    if gefunden is None:
        abort(404)
    return datei_antwort(gefunden.xml, f"{key}-v{version}.bpmn")


@bp.get("/verfahren/<key>/entwuerfe/<int:entwurf_id>.bpmn")
def entwurf_herunterladen(key: str, entwurf_id: int):
    """Download a saved draft."""
    entwurf = entwurf_laden(key_pruefen(key), entwurf_id)
    return datei_antwort(entwurf.xml, f"{key}-entwurf-{entwurf.id}.bpmn")


@bp.post("/verfahren/<key>/entwurf")
def entwurf_speichern(key: str):
    """Save the modeler's XML as the newest draft (JSON `{xml, kommentar}`); answers with the draft and editors."""
    key = key_pruefen(key)
    daten = request.get_json(silent=True)
    if not isinstance(daten, dict) or not isinstance(daten.get("xml"), str):
        return jsonify(fehler="Erwartet wird JSON mit dem Feld „xml“."), 400
    try:
        entwurf = entwuerfe.speichern(daten["xml"].encode("utf-8"), current_user, str(daten.get("kommentar", "")), key)
    except entwuerfe.NichtAngenommen as error:
        return jsonify(fehler=str(error)), 422
    return jsonify(
        id=entwurf.id,
        gespeichert=entwurf.erstellt_am.isoformat(),
        andere=entwuerfe.andere_bearbeiter(key, current_user),
        pruefung=pruefung.pruefen(entwurf.xml.encode("utf-8")),
    )


@bp.post("/pruefen")
def pruefen():
    """Check a BPMN document (request body) with the validator of `processes deploy`; JSON list of errors."""
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", entwuerfe.MAX_BPMN_BYTES)
    xml = request.get_data()
    if len(xml) > grenze:
        return jsonify(fehler=[{"element": None, "zeile": None, "meldung": "Das Modell ist zu groß."}]), 413
    return jsonify(fehler=pruefung.pruefen(xml))


@bp.post("/verfahren/<key>/deployen")
def deployen(key: str):
    """Deploy a draft (form field `entwurf`, default the newest) as the procedure's next version."""
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.form.get("entwurf"))
    try:
        ergebnis = entwuerfe.deployen(entwurf, current_user)
    except entwuerfe.DeployAbgelehnt as error:
        flash("Nicht bereitgestellt: " + " ".join(error.meldungen), "fehler")
    else:
        if ergebnis.neu:
            flash(f"Version {ergebnis.version} von „{entwurf.name}“ ist bereitgestellt.", "erfolg")
        else:
            flash(f"Unverändert: der Entwurf entspricht schon Version {ergebnis.version}.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))


@bp.post("/verfahren/<key>/freigeben")
def freigeben(key: str):
    """Approve a draft for deploying (second person)."""
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.form.get("entwurf"))
    try:
        entwuerfe.freigeben(entwurf, current_user)
    except entwuerfe.NichtAngenommen as error:
        flash(str(error), "fehler")
    else:
        flash("Der Entwurf ist freigegeben.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))
