"""Workbench pages that try a draft out (nested in the `werkstatt` blueprint, same roles): form preview, test run
and test cases, dry run on recorded cases, comparison of versions, test-case coverage."""

import json

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.engine.formular import formular
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.werkstatt import entwuerfe, probelauf, pruefung, testfaelle, trockenlauf, verfahren, vergleich
from app.werkstatt.ansicht import entwurf_laden, key_pruefen
from app.werkstatt.models import Testfall

bp = Blueprint("probe", __name__)


@bp.route("/verfahren/<key>/vorschau", methods=["GET", "POST"])
def vorschau(key: str):
    """Each user task's form as the caseworker sees it; posting one checks it with the same rules."""
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.values.get("_entwurf"))
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
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.values.get("_entwurf"))
    xml_bytes = entwurf.xml.encode("utf-8")
    kontext = {"key": key, "entwurf": entwurf, "startdaten": {}, "schritte": [], "eingabe": None, "fehler": None}
    if request.method == "GET":
        return render_template("werkstatt/probelauf.html", **kontext, ergebnis=None)
    aktion = request.form.get("_aktion")
    try:
        startdaten = _json_feld("_startdaten", {}, dict)
        schritte = _json_feld("_schritte", [], list) if aktion in ("schritt", "timer", "zeit") else []
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
        elif aktion in ("timer", "zeit"):
            schritt = {"timer": request.form.get("_element", "")} if aktion == "timer" else {}
            neu = [*schritte, schritt or {"zeit": request.form.get("_zeit", "").strip()}]
            ergebnis = probelauf.ausfuehren(xml_bytes, startdaten, neu)
            if ergebnis.fehler and ergebnis.fehler["meldung"].startswith(f"Schritt {len(neu)}:"):
                kontext["fehler"] = ergebnis.fehler["meldung"]  # the step is not kept
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
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.args.get("entwurf"))
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
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.args.get("entwurf"))
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
        entwurf = entwurf_laden(key)
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
    key = key_pruefen(key)
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
    key = key_pruefen(key)
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
    """Diagram data of the newest draft: the flow nodes and sequence flows its test cases pass marked as done."""
    entwurf = entwurf_laden(key_pruefen(key))
    ergebnis = testfaelle.abdeckung(key, entwurf.xml.encode("utf-8"))
    hinweis = (
        f"Abgedeckt: {len(ergebnis.elemente)} von {ergebnis.elemente_gesamt} Elementen und {len(ergebnis.fluesse)} "
        f"von {ergebnis.fluesse_gesamt} Sequenzflüssen ({ergebnis.anteil} %)."
    )
    erledigt = ergebnis.elemente + ergebnis.fluesse
    return jsonify(xml=entwurf.xml, erledigt=erledigt, aktiv=[], vorfall=None, hinweis=hinweis, **ergebnis.als_dict())


@bp.post("/verfahren/<key>/testfaelle")
def testfall_speichern(key: str):
    """Save the test run (start data and steps) as a test case; its current result becomes the expectation."""
    key = key_pruefen(key)
    entwurf = entwurf_laden(key, request.form.get("_entwurf"))
    name = request.form.get("name", "").strip()
    try:
        startdaten = _json_feld("_startdaten", {}, dict)
        schritte = _json_feld("_schritte", [], list)
        if not name:
            raise ValueError("Bitte geben Sie dem Testfall einen Namen.")
        ergebnis = probelauf.ausfuehren(entwurf.xml.encode("utf-8"), startdaten, schritte)
    except (ValueError, ModellUngueltig) as error:
        flash(f"Testfall nicht gespeichert: {error}", "fehler")
        return redirect(url_for("werkstatt.probe.probelauf_seite", key=key))
    testfaelle.testfall_speichern(key, name, testfaelle.inhalt_aus_lauf(startdaten, schritte, ergebnis), current_user)
    flash(f"Testfall „{name}“ gespeichert. Er läuft vor jeder Bereitstellung.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))


@bp.post("/verfahren/<key>/testfaelle/hochladen")
def testfall_hochladen(key: str):
    """Import a test-case JSON file (as exported here); a test case of the same name is replaced."""
    key = key_pruefen(key)
    datei = request.files.get("datei")
    try:
        if datei is None or not datei.filename:
            raise ValueError("Bitte wählen Sie eine Testfall-Datei.")
        name, inhalt = testfaelle.inhalt_aus_json(key, datei.stream.read(testfaelle.MAX_TESTFALL_BYTES + 1))
    except ValueError as error:
        flash(f"Testfall nicht übernommen: {error}", "fehler")
    else:
        testfaelle.testfall_speichern(key, name, inhalt, current_user)
        flash(f"Testfall „{name.strip()[:200]}“ übernommen.", "erfolg")
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
    testfall = _testfall(key_pruefen(key), testfall_id)
    text = json.dumps(testfaelle.export(testfall), ensure_ascii=False, indent=2)
    name = f"{key}.{testfall.id}.test.json"
    kopf = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, mimetype="application/json", headers=kopf)


@bp.post("/verfahren/<key>/testfaelle/<int:testfall_id>/loeschen")
def testfall_loeschen(key: str, testfall_id: int):
    """Delete a test case."""
    testfall = _testfall(key_pruefen(key), testfall_id)
    testfaelle.testfall_loeschen(testfall, current_user)
    flash("Testfall gelöscht.", "erfolg")
    return redirect(url_for("werkstatt.detail", key=key))
