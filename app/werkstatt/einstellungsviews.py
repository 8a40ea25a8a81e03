"""Pages of the installation-wide settings in the workbench: routing, role mapping, label files.

A blueprint nested in the workbench's; these settings apply to every OE, so only Verfahrensdesign and
Systemadministration may open them (an OE-scoped Administration gets 403, docs/berechtigungen.md). Every
list offers add, change, delete, import of the file format and its export, and the Historie of changes.
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import ROLLEN as PRODUKTROLLEN
from app.einstellungen import BESCHRIFTUNGEN, ROLLEN, ROUTING
from app.engine import rollen, routing
from app.extensions import db
from app.security import rolle_erforderlich
from app.vorgaenge import beschriftungsdateien
from app.werkstatt import einstellungen, verfahren
from app.werkstatt.einstellungen import EinstellungAbgelehnt

bp = Blueprint("einstellungen", __name__)

GLEICHZEITIG = "Jemand hat dieselbe Einstellung gleichzeitig geändert; bitte laden Sie die Seite neu."
#: Who may change installation-wide settings of procedures.
EINSTELLUNG_ROLLEN = ("verfahrensdesign", "systemadministration")
MAX_DATEI_BYTES = 200_000


@bp.before_request
@rolle_erforderlich(*EINSTELLUNG_ROLLEN)
def nur_installationsweit():
    """Installation-wide settings: process designers and system administrators only."""


def _ergebnis(aufruf, erfolg: str) -> None:
    """Run a change and flash its outcome."""
    try:
        aufruf()
    except EinstellungAbgelehnt as fehler:
        flash(f"Nicht gespeichert: {fehler}", "fehler")
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        flash(f"Nicht gespeichert: {GLEICHZEITIG}", "fehler")
    else:
        flash(erfolg, "erfolg")


def _hochgeladen() -> tuple[str, str] | None:
    """The uploaded file `datei` as (text, name); flashes and returns None when missing or unreadable."""
    datei = request.files.get("datei")
    if datei is None or not datei.filename:
        flash("Bitte wählen Sie eine Datei.", "fehler")
        return None
    inhalt = datei.stream.read(MAX_DATEI_BYTES + 1)
    if len(inhalt) > MAX_DATEI_BYTES:
        flash(f"Die Datei ist größer als {MAX_DATEI_BYTES // 1000} KB.", "fehler")
        return None
    try:
        return inhalt.decode("utf-8"), datei.filename
    except UnicodeDecodeError:
        flash("Die Datei muss UTF-8-kodiert sein.", "fehler")
        return None


def _toml(text: str, name: str) -> Response:
    """A settings file as a download."""
    return Response(
        text, mimetype="application/toml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/routing")
def routing_seite():
    """Which form id / LeiKa id starts which procedure, and the fallback."""
    bekannt = sorted(v.key for v in verfahren.uebersicht() if not v.key.startswith("dmn:"))
    return render_template(
        "werkstatt/routing.html",
        routing=routing.routing_laden(),
        verfahren=bekannt,
        historie=einstellungen.historie(ROUTING),
        arten=einstellungen.ARTEN,
    )


@bp.post("/routing")
def routing_speichern():
    """Add or change an entry (form fields `art`, `schluessel`, `verfahren`)."""
    art, schluessel = request.form.get("art", ""), request.form.get("schluessel", "")
    verfahren_key = request.form.get("verfahren", "")
    _ergebnis(
        lambda: einstellungen.routing_setzen(art, schluessel, verfahren_key, current_user),
        "Die Zuordnung gilt für Anträge, die ab jetzt eingehen.",
    )
    return redirect(url_for(".routing_seite"))


@bp.post("/routing/loeschen")
def routing_loeschen():
    """Remove an entry."""
    art, schluessel = request.form.get("art", ""), request.form.get("schluessel", "")
    _ergebnis(lambda: einstellungen.routing_loeschen(art, schluessel, current_user), "Der Eintrag ist gelöscht.")
    return redirect(url_for(".routing_seite"))


@bp.post("/routing/import")
def routing_import():
    """Replace the routing by an uploaded routing.toml."""
    if (datei := _hochgeladen()) is not None:
        _ergebnis(lambda: einstellungen.routing_importieren(*datei, current_user), "Die Datei ist importiert.")
    return redirect(url_for(".routing_seite"))


@bp.get("/routing.toml")
def routing_export():
    """The routing in force as routing.toml."""
    return _toml(routing.toml_schreiben(routing.routing_laden()), "routing.toml")


@bp.get("/rollen")
def rollen_seite():
    """Candidate groups and lanes → roles, and the standard role."""
    return render_template(
        "werkstatt/rollen.html",
        zuordnung=rollen.zuordnungen(),
        rollen=PRODUKTROLLEN,
        historie=einstellungen.historie(ROLLEN),
    )


@bp.post("/rollen")
def rolle_speichern():
    """Add or change a mapping (form fields `gruppe`, `rolle`; `*` is the standard role)."""
    gruppe, rolle = request.form.get("gruppe", ""), request.form.get("rolle", "")
    _ergebnis(
        lambda: einstellungen.rolle_setzen(gruppe, rolle, current_user),
        "Die Zuordnung gilt für Aufgaben, die ab jetzt erreicht werden.",
    )
    return redirect(url_for(".rollen_seite"))


@bp.post("/rollen/loeschen")
def rolle_loeschen():
    """Remove a mapping."""
    gruppe = request.form.get("gruppe", "")
    _ergebnis(lambda: einstellungen.rolle_loeschen(gruppe, current_user), "Die Zuordnung ist gelöscht.")
    return redirect(url_for(".rollen_seite"))


@bp.post("/rollen/import")
def rollen_import():
    """Replace the mapping by an uploaded rollen.toml."""
    if (datei := _hochgeladen()) is not None:
        _ergebnis(lambda: einstellungen.rollen_importieren(*datei, current_user), "Die Datei ist importiert.")
    return redirect(url_for(".rollen_seite"))


@bp.get("/rollen.toml")
def rollen_export():
    """The mapping in force as rollen.toml."""
    return _toml(rollen.toml_schreiben(rollen.zuordnungen()), "rollen.toml")


@bp.get("/beschriftungen")
def beschriftungen_seite():
    """Every form with labels, a new form's labels, import of a label file."""
    return render_template(
        "werkstatt/beschriftungen.html",
        formulare=beschriftungsdateien.alle(),
        historie=einstellungen.historie(BESCHRIFTUNGEN),
    )


@bp.post("/beschriftungen")
def beschriftung_neu():
    """Labels for a new form (form fields `formular`, `felder`)."""
    formular = request.form.get("formular", "").strip()
    if formular in beschriftungsdateien.alle():
        flash(f"Für „{formular}“ gibt es schon Beschriftungen; bitte dort ändern.", "fehler")
        return redirect(url_for(".beschriftungen_seite"))
    return _beschriftung_speichern(formular, url_for(".beschriftungen_seite"))


def _beschriftung_speichern(formular: str, zurueck: str):
    """Store the posted lines as the form's labels (back to `zurueck` when refused)."""
    try:
        felder = einstellungen.felder_lesen(request.form.get("felder", ""))
        einstellungen.beschriftung_setzen(formular, felder, current_user)
    except EinstellungAbgelehnt as fehler:
        flash(f"Nicht gespeichert: {fehler}", "fehler")
        return redirect(zurueck)
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        flash(f"Nicht gespeichert: {GLEICHZEITIG}", "fehler")
        return redirect(zurueck)
    flash(f"Die Beschriftungen von „{formular}“ sind gespeichert.", "erfolg")
    return redirect(url_for(".beschriftung_seite", formular=formular))


@bp.get("/beschriftungen/<formular>")
def beschriftung_seite(formular: str):
    """One form's labels as editable lines."""
    felder = beschriftungsdateien.alle().get(formular)
    if felder is None:
        abort(404)
    return render_template("werkstatt/beschriftung.html", formular=formular, felder=felder)


@bp.post("/beschriftungen/<formular>")
def beschriftung_aendern(formular: str):
    """Change one form's labels."""
    if formular not in beschriftungsdateien.alle():
        abort(404)
    return _beschriftung_speichern(formular, url_for(".beschriftung_seite", formular=formular))


@bp.post("/beschriftungen/<formular>/loeschen")
def beschriftung_loeschen(formular: str):
    """Remove one form's labels."""
    _ergebnis(lambda: einstellungen.beschriftung_loeschen(formular, current_user), f"„{formular}“ ist gelöscht.")
    return redirect(url_for(".beschriftungen_seite"))


@bp.post("/beschriftungen/import")
def beschriftung_import():
    """Store an uploaded label file under its file name's stem (or the given form id)."""
    if (datei := _hochgeladen()) is not None:
        text, name = datei
        formular = request.form.get("formular", "").strip() or name.rsplit("/", 1)[-1].removesuffix(".toml")
        _ergebnis(lambda: einstellungen.beschriftung_importieren(formular, text, current_user), "Importiert.")
    return redirect(url_for(".beschriftungen_seite"))


@bp.get("/beschriftungen/<formular>.toml")
def beschriftung_export(formular: str):
    """One form's labels as a label file."""
    felder = beschriftungsdateien.alle().get(formular)
    if felder is None:
        abort(404)
    return _toml(beschriftungsdateien.toml_schreiben(formular, felder), f"{formular}.toml")
