"""The migration page of the workbench (nested in the `werkstatt` blueprint): choose source and target version and
running instances, see how their open tasks map, confirm. Only Verfahrensdesign and Administration."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.werkstatt import entwuerfe, migration, verfahren
from app.werkstatt.ansicht import key_pruefen

bp = Blueprint("migration", __name__)

#: Longest explicit mapping accepted (lines `alt = neu`).
MAX_ZUORDNUNG_ZEILEN = 200


def zuordnung_lesen(text: str) -> dict[str, str]:
    """The designer's explicit mapping, one `alte_id = neue_id` per line; ValueError with a German message."""
    zuordnung = {}
    for nummer, zeile in enumerate(text.splitlines()[: MAX_ZUORDNUNG_ZEILEN + 1], start=1):
        if not zeile.strip():
            continue
        alt, gleich, neu = zeile.partition("=")
        if not gleich or not alt.strip() or not neu.strip():
            raise ValueError(f"Zuordnung, Zeile {nummer}: erwartet „alte_id = neue_id“.")
        zuordnung[alt.strip()[:200]] = neu.strip()[:200]
    return zuordnung


@bp.route("/verfahren/<key>/migration", methods=["GET", "POST"])
def migration_seite(key: str):
    """GET: choose versions and instances; POST `_aktion=vorschau`: the mapping table; `migrieren`: do it."""
    key = key_pruefen(key)
    if not migration.darf_migrieren(current_user):
        abort(403)
    nummern = [z.version.version for z in verfahren.versionen(key)]
    if not nummern and entwuerfe.neuester_entwurf(key) is None:
        abort(404)
    if not nummern:  # a procedure with a draft only: nothing runs yet
        return render_template("werkstatt/migration.html", key=key, nummern=[])
    werte = request.values
    von = werte.get("von", type=int) or (nummern[1] if len(nummern) > 1 else nummern[0])
    nach = werte.get("nach", type=int) or nummern[0]
    quelle = migration.version_laden(key, von)
    kontext = {"key": key, "nummern": nummern, "von": von, "nach": nach, "zuordnung_text": werte.get("zuordnung", "")}
    kontext["instanzen"] = migration.laufende(quelle, current_user) if quelle is not None else []
    kontext["gewaehlt"] = {int(i) for i in request.form.getlist("instanz") if i.isdigit()}
    if request.method == "GET":
        return render_template("werkstatt/migration.html", **kontext)
    try:
        zuordnung = zuordnung_lesen(kontext["zuordnung_text"])
        ids = sorted(kontext["gewaehlt"])
        if request.form.get("_aktion") == "migrieren":
            kontext["ergebnisse"] = migration.migrieren(key, von, nach, ids, zuordnung, current_user)
            kontext["instanzen"] = migration.laufende(quelle, current_user)
        else:
            kontext["vorschau"] = migration.vorschau(key, von, nach, ids, zuordnung, current_user)
    except migration.KeineBerechtigung as error:
        return render_template("werkstatt/migration.html", **kontext, fehler=str(error)), 403
    except (ValueError, migration.MigrationAbgelehnt) as error:
        return render_template("werkstatt/migration.html", **kontext, fehler=str(error)), 400
    return render_template("werkstatt/migration.html", **kontext)
