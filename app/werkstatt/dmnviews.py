"""Pages of the decision table editor (dmn-js) in the workbench: list, editor, check, save draft, deploy.

A blueprint nested in the workbench's (its role check applies); JSON posts carry the CSRF token in a header.
"""

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.werkstatt import entscheidungen
from app.werkstatt.ansicht import datei_antwort
from app.werkstatt.entwuerfe import MAX_BPMN_BYTES, DeployAbgelehnt, NichtAngenommen

bp = Blueprint("dmn", __name__, url_prefix="/entscheidungen")


def _id_pruefen(entscheidung: str) -> str:
    """A decision id from the URL, or 404."""
    if not entscheidungen.ID_MUSTER.match(entscheidung):
        abort(404)
    return entscheidung


@bp.get("/")
def entscheidungen_seite():
    """Every decision table with its newest version and draft."""
    return render_template("werkstatt/entscheidungen.html", zeilen=entscheidungen.uebersicht())


@bp.get("/<entscheidung>")
def editor(entscheidung: str):
    """The dmn-js editor on the newest draft or the newest version."""
    entscheidung = _id_pruefen(entscheidung)
    if entscheidungen.xml_fuer(entscheidung) is None:
        abort(404)
    return render_template(
        "werkstatt/dmn.html", entscheidung=entscheidung, versionen=entscheidungen.versionen(entscheidung)
    )


@bp.get("/<entscheidung>/xml")
def xml(entscheidung: str):
    """The DMN document the editor opens."""
    text = entscheidungen.xml_fuer(_id_pruefen(entscheidung))
    if text is None:
        abort(404)
    return Response(text, mimetype="application/xml")


@bp.get("/<entscheidung>/versionen/<int:version>.dmn")
def version_herunterladen(entscheidung: str, version: int):
    """Download a deployed version as it was deployed."""
    text = entscheidungen.version_xml(_id_pruefen(entscheidung), version)
    if text is None:
        abort(404)
    return datei_antwort(text, f"{entscheidung}-v{version}.dmn")


@bp.post("/pruefen")
def pruefen():
    """Check a DMN document (request body) with the engine's DMN loader; JSON list of errors."""
    grenze = current_app.config.get("WERKSTATT_MAX_BPMN_BYTES", MAX_BPMN_BYTES)
    return jsonify(fehler=entscheidungen.pruefen(request.get_data()[: grenze + 1]))


@bp.post("/<entscheidung>/entwurf")
def entwurf_speichern(entscheidung: str):
    """Save the editor's XML as the newest draft (JSON `{xml, kommentar}`), with the check's result."""
    entscheidung = _id_pruefen(entscheidung)
    daten = request.get_json(silent=True)
    if not isinstance(daten, dict) or not isinstance(daten.get("xml"), str):
        return jsonify(fehler="Erwartet wird JSON mit dem Feld „xml“."), 400
    xml_bytes = daten["xml"].encode("utf-8")
    try:
        entwurf = entscheidungen.speichern(entscheidung, xml_bytes, current_user, str(daten.get("kommentar", "")))
    except NichtAngenommen as error:
        return jsonify(fehler=str(error)), 422
    return jsonify(id=entwurf.id, pruefung=entscheidungen.pruefen(xml_bytes))


@bp.post("/<entscheidung>/deployen")
def deployen(entscheidung: str):
    """Deploy the newest draft as the next version."""
    entscheidung = _id_pruefen(entscheidung)
    try:
        ergebnisse = entscheidungen.deployen(entscheidung, current_user)
    except DeployAbgelehnt as error:
        flash("Nicht bereitgestellt: " + " ".join(error.meldungen), "fehler")
    else:
        text = ", ".join(
            f"{e.key.removeprefix('dmn:')} Version {e.version}{'' if e.neu else ' (unverändert)'}" for e in ergebnisse
        )
        flash(f"Bereitgestellt: {text}.", "erfolg")
    return redirect(url_for(".entscheidungen_seite"))
