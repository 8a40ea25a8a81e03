"""Pages of the designer's workbench (/werkstatt): overview, procedure, modeler, check, preview, test run, deploy.

Only Verfahrensdesign and Administration; every form and JSON post carries the CSRF token.
"""

import json

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.engine.formular import formular
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.security import CONTENT_SECURITY_POLICY, rolle_erforderlich
from app.werkstatt import entwuerfe, probelauf, pruefung, testfaelle, trockenlauf, verfahren, vergleich
from app.werkstatt.models import Entwurf, Testfall

bp = Blueprint("werkstatt", __name__, url_prefix="/werkstatt")

#: Who may use the workbench.
ROLLEN = ("verfahrensdesign", "administration")
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


def _key_pruefen(key: str) -> str:
    """A procedure key from the URL, or 404."""
    if not entwuerfe.KEY_MUSTER.match(key):
        abort(404)
    return key


def _entwurf(key: str, entwurf_id: str | int | None = None) -> Entwurf:
    """The given draft of the procedure (with XML), or its newest; 404 when there is none."""
    if entwurf_id in (None, ""):
        entwurf = entwuerfe.neuester_entwurf(key)
    else:
        try:
            entwurf = db.session.get(Entwurf, int(entwurf_id))
        except (TypeError, ValueError):
            abort(404)
    if entwurf is None or entwurf.key != key:
        abort(404)
    return entwurf


def _datei(text: str, name: str) -> Response:
    """A BPMN document as a download."""
    return Response(
        text,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
    key = _key_pruefen(key)
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
    key = _key_pruefen(key)
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
    key = _key_pruefen(key)
    version = request.args.get("version", type=int)
    if version is None and request.args.get("entwurf"):
        return Response(_entwurf(key, request.args["entwurf"]).xml, mimetype="application/xml")
    if version is None and (entwurf := entwuerfe.neuester_entwurf(key)) is not None:
        return Response(entwurf.xml, mimetype="application/xml")
    gefunden = entwuerfe.version_xml(key, version) if version else None
    if gefunden is None and version is None and (zeilen := verfahren.versionen(key)):
        gefunden = entwuerfe.version_xml(key, zeilen[0].version.version)
    if gefunden is None:
        abort(404)
    return Response(gefunden.xml, mimetype="application/xml")


@bp.get("/verfahren/<key>/versionen/<int:nummer>.bpmn")
def version_herunterladen(key: str, nummer: int):
    """Download a deployed version as it was deployed."""
    gefunden = entwuerfe.version_xml(_key_pruefen(key), nummer)
    if gefunden is None:
        abort(404)
    return _datei(gefunden.xml, f"{key}-v{nummer}.bpmn")


@bp.get("/verfahren/<key>/entwuerfe/<int:entwurf_id>.bpmn")
def entwurf_herunterladen(key: str, entwurf_id: int):
    """Download a saved draft."""
    entwurf = _entwurf(_key_pruefen(key), entwurf_id)
    return _datei(entwurf.xml, f"{key}-entwurf-{entwurf.id}.bpmn")


@bp.post("/verfahren/<key>/entwurf")
def entwurf_speichern(key: str):
    """Save the modeler's XML as the newest draft (JSON `{xml, kommentar}`); answers with the draft and editors."""
    key = _key_pruefen(key)
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
    if (request.content_length or 0) > grenze:
        return jsonify(fehler=[{"element": None, "zeile": None, "meldung": "Das Modell ist zu groß."}]), 413
    return jsonify(fehler=pruefung.pruefen(request.get_data()))


@bp.post("/verfahren/<key>/deployen")
def deployen(key: str):
    """Deploy a draft (form field `entwurf`, default the newest) as the procedure's next version."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.form.get("entwurf"))
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
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.form.get("entwurf"))
    try:
        entwuerfe.freigeben(entwurf, current_user)
    except entwuerfe.NichtAngenommen as error:
        flash(str(error), "fehler")
    else:
        flash("Der Entwurf ist freigegeben.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))


@bp.route("/verfahren/<key>/vorschau", methods=["GET", "POST"])
def vorschau(key: str):
    """Each user task's form as the caseworker sees it; posting one checks it with the same rules."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.values.get("entwurf"))
    try:
        aufgaben = pruefung.formulare(entwurf.xml.encode("utf-8"))
    except ModellUngueltig as error:
        return render_template("werkstatt/vorschau.html", key=key, entwurf=entwurf, fehler=error.fehler), 422
    formulare, geprueft = [], request.form.get("_element")
    for aufgabe in aufgaben:
        daten = request.form.to_dict() if aufgabe.element == geprueft else None
        form = formular(aufgabe.felder, daten, html_prefix=f"{aufgabe.element}-")
        if daten is not None:
            form.validate()
        formulare.append((aufgabe, form))
    return render_template("werkstatt/vorschau.html", key=key, entwurf=entwurf, formulare=formulare, geprueft=geprueft)


def _json_feld(name: str, vorgabe, typ: type):
    """A JSON form field of the test-run page; ValueError with a German message when it is not `typ`."""
    text = request.form.get(name, "").strip()
    if not text:
        return vorgabe
    try:
        wert = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"Die Testdaten sind kein gültiges JSON: {error.msg} (Zeile {error.lineno}).") from None
    if not isinstance(wert, typ):
        raise ValueError('Die Testdaten müssen ein JSON-Objekt sein, z. B. {"angaben.anzahl": 2}.')
    return wert


@bp.route("/verfahren/<key>/probelauf", methods=["GET", "POST"])
def probelauf_seite(key: str):
    """A test run of the newest draft in memory: start data, complete the open tasks, see path and variables."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.values.get("entwurf"))
    xml_bytes = entwurf.xml.encode("utf-8")
    kontext = {"key": key, "entwurf": entwurf, "startdaten": {}, "schritte": [], "eingabe": None, "fehler": None}
    if request.method == "GET":
        return render_template("werkstatt/probelauf.html", **kontext, ergebnis=None)
    try:
        startdaten = _json_feld("_startdaten", {}, dict)
        schritte = _json_feld("_schritte", [], list) if request.form.get("_aktion") == "schritt" else []
        if not all(isinstance(s, dict) for s in schritte):
            raise ValueError("Die bisherigen Schritte sind ungültig; bitte starten Sie neu.")
        kontext.update(startdaten=startdaten, schritte=schritte)
        if request.form.get("_aktion") == "schritt":
            eingabe = {k: v for k, v in request.form.to_dict().items() if not k.startswith("_") and k != "csrf_token"}
            neu = [*schritte, {"element": request.form.get("_element", ""), "daten": eingabe}]
            ergebnis = probelauf.ausfuehren(xml_bytes, startdaten, neu)
            if ergebnis.feldfehler:
                kontext["eingabe"] = eingabe
                ergebnis = probelauf.ausfuehren(xml_bytes, startdaten, schritte)
            else:
                kontext["schritte"] = neu
        else:
            ergebnis = probelauf.ausfuehren(xml_bytes, startdaten, schritte)
    except ValueError as error:
        kontext["fehler"] = str(error)
        return render_template("werkstatt/probelauf.html", **kontext, ergebnis=None), 400
    except ModellUngueltig as error:
        kontext["fehler"] = "Der Entwurf ist ungültig: " + " ".join(f.meldung for f in error.fehler[:3])
        return render_template("werkstatt/probelauf.html", **kontext, ergebnis=None), 422
    forms = [(o, formular(o.felder, kontext["eingabe"], html_prefix=f"{o.element}-")) for o in ergebnis.offen]
    if kontext["eingabe"] is not None:
        forms[0][1].validate()
    return render_template("werkstatt/probelauf.html", **kontext, ergebnis=ergebnis, forms=forms)


@bp.get("/verfahren/<key>/probelauf/diagramm")
def probelauf_diagramm(key: str):
    """Diagram data of a test run (query: entwurf, _startdaten, _schritte): path as done, open tasks as active."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.args.get("entwurf"))
    try:
        startdaten = json.loads(request.args.get("_startdaten") or "{}")
        schritte = json.loads(request.args.get("_schritte") or "[]")
        if not isinstance(startdaten, dict) or not isinstance(schritte, list):
            raise ValueError
        schritte = [s for s in schritte if isinstance(s, dict)]
        ergebnis = probelauf.ausfuehren(entwurf.xml.encode("utf-8"), startdaten, schritte)
    except (ValueError, ModellUngueltig):
        abort(400)
    vorfall = ergebnis.fehler if ergebnis.fehler and ergebnis.fehler.get("element") else None
    return jsonify(xml=entwurf.xml, erledigt=ergebnis.pfad, aktiv=[o.element for o in ergebnis.offen], vorfall=vorfall)


@bp.get("/verfahren/<key>/trockenlauf")
def trockenlauf_seite(key: str):
    """The newest draft replayed on the last finished Vorgänge (`?anzahl=`), differences per case."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.args.get("entwurf"))
    anzahl = max(1, min(request.args.get("anzahl", 20, type=int), trockenlauf.MAX_FAELLE))
    kontext = {"key": key, "entwurf": entwurf, "anzahl": anzahl}
    try:
        faelle = trockenlauf.trockenlauf(key, entwurf.xml.encode("utf-8"), current_user, anzahl)
    except ModellUngueltig as error:
        fehler = "Der Entwurf ist ungültig: " + " ".join(f.meldung for f in error.fehler[:3])
        return render_template("werkstatt/trockenlauf.html", **kontext, fehler=fehler), 422
    return render_template("werkstatt/trockenlauf.html", **kontext, faelle=faelle)


def _stand(key: str, wert: str | None) -> tuple[str, str]:
    """The XML and a label of `wert`: a version number or `entwurf` (the newest draft); 404 when missing."""
    if wert == "entwurf":
        entwurf = _entwurf(key)
        return entwurf.xml, "Entwurf"
    try:
        gefunden = entwuerfe.version_xml(key, int(wert or ""))
    except ValueError:
        gefunden = None
    if gefunden is None:
        abort(404)
    return gefunden.xml, f"Version {gefunden.version}"


def _vergleich_auswahl(key: str) -> tuple[str, str]:
    """`alt` and `neu` from the query; defaults: newest version against the newest draft."""
    versionen = verfahren.versionen(key)
    neueste = str(versionen[0].version.version) if versionen else "entwurf"
    neu_vorgabe = "entwurf" if entwuerfe.neuester_entwurf(key) is not None else neueste
    return request.args.get("alt") or neueste, request.args.get("neu") or neu_vorgabe


@bp.get("/verfahren/<key>/vergleich")
def vergleich_seite(key: str):
    """Two states of a procedure compared: changed elements as a list and coloured in the diagram."""
    key = _key_pruefen(key)
    alt, neu = _vergleich_auswahl(key)
    (xml_alt, titel_alt), (xml_neu, titel_neu) = _stand(key, alt), _stand(key, neu)
    aenderungen = vergleich.vergleichen(xml_alt.encode("utf-8"), xml_neu.encode("utf-8"))
    return render_template(
        "werkstatt/vergleich.html",
        key=key,
        alt=alt,
        neu=neu,
        titel_alt=titel_alt,
        titel_neu=titel_neu,
        aenderungen=aenderungen,
        versionen=[z.version.version for z in verfahren.versionen(key)],
        hat_entwurf=entwuerfe.neuester_entwurf(key) is not None,
    )


@bp.get("/verfahren/<key>/vergleich.json")
def vergleich_daten(key: str):
    """Diagram data of a comparison: the newer XML and the ids of added and changed elements."""
    key = _key_pruefen(key)
    alt, neu = _vergleich_auswahl(key)
    xml_alt, xml_neu = _stand(key, alt)[0], _stand(key, neu)[0]
    aenderungen = vergleich.vergleichen(xml_alt.encode("utf-8"), xml_neu.encode("utf-8"))
    return jsonify(
        xml=xml_neu,
        neu=[a.element for a in aenderungen if a.art == "neu"],
        geaendert=[a.element for a in aenderungen if a.art == "geändert"],
    )


@bp.get("/verfahren/<key>/abdeckung")
def abdeckung(key: str):
    """Diagram data of the newest draft with the elements its test cases pass through marked as done."""
    entwurf = _entwurf(_key_pruefen(key))
    erreicht = testfaelle.abdeckung(key, entwurf.xml.encode("utf-8"))
    return jsonify(xml=entwurf.xml, erledigt=erreicht, aktiv=[], vorfall=None)


@bp.post("/verfahren/<key>/testfaelle")
def testfall_speichern(key: str):
    """Save the test run (start data and steps) as a test case; its current result becomes the expectation."""
    key = _key_pruefen(key)
    entwurf = _entwurf(key, request.form.get("entwurf"))
    name = request.form.get("name", "").strip()
    try:
        startdaten = _json_feld("_startdaten", {}, dict)
        schritte = _json_feld("_schritte", [], list)
        if not name:
            raise ValueError("Bitte geben Sie dem Testfall einen Namen.")
        ergebnis = probelauf.ausfuehren(entwurf.xml.encode("utf-8"), startdaten, schritte)
    except (ValueError, ModellUngueltig) as error:
        flash(f"Testfall nicht gespeichert: {error}", "fehler")
        return redirect(url_for("werkstatt.probelauf_seite", key=key))
    testfaelle.testfall_speichern(key, name, startdaten, schritte, ergebnis, current_user)
    flash(f"Testfall „{name}“ gespeichert. Er läuft vor jeder Bereitstellung.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))


def _testfall(key: str, testfall_id: int) -> Testfall:
    """A test case of the procedure, or 404."""
    testfall = db.session.get(Testfall, testfall_id)
    if testfall is None or testfall.key != key:
        abort(404)
    return testfall


@bp.get("/verfahren/<key>/testfaelle/<int:testfall_id>.json")
def testfall_export(key: str, testfall_id: int):
    """Download a test case as JSON."""
    testfall = _testfall(_key_pruefen(key), testfall_id)
    text = json.dumps(testfaelle.export(testfall), ensure_ascii=False, indent=2)
    name = f"{key}.{testfall.id}.test.json"
    kopf = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, mimetype="application/json", headers=kopf)


@bp.post("/verfahren/<key>/testfaelle/<int:testfall_id>/loeschen")
def testfall_loeschen(key: str, testfall_id: int):
    """Delete a test case."""
    testfall = _testfall(_key_pruefen(key), testfall_id)
    testfaelle.testfall_loeschen(testfall, current_user)
    flash("Testfall gelöscht.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))
