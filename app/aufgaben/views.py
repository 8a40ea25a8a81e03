"""Task inbox ("Meine Aufgaben") and task forms; completing goes through the engine's `abschliessen`."""

import threading

from cachetools import TTLCache
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.aufgaben import liste as aufgabenliste
from app.aufgaben.formular import aufgabenformular
from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.beschriftung import beschriften
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import vorgang_oder_404
from app.vorgaenge.status import OFFEN

bp = Blueprint("aufgaben", __name__)


# Globals (not a context processor): imported macros see globals, but not the render context.
bp.add_app_template_global(aufgabenformular, "aufgabe_form")

#: The menu badge counts open tasks for my roles up to this many ("99+" beyond) and is kept for `BADGE_TTL`
#: seconds per user, so a page costs no inbox query (the inbox itself always counts afresh).
BADGE_HOECHSTENS = 100
BADGE_TTL = 30
_cache_sperre = threading.Lock()  # TTLCache is not thread-safe


@bp.app_context_processor
def menue_zaehler() -> dict:
    """Context processor: the Aufgaben badge, the in-app notice of tasks waiting for one of my roles."""
    if not current_user.is_authenticated:
        return {}
    with _cache_sperre:
        cache = current_app.extensions.setdefault("amtsfluss_aufgaben_badge", TTLCache(10_000, BADGE_TTL))
        anzahl = cache.get(current_user.id)
    if anzahl is None:
        anzahl = aufgabenliste.offen_fuer_rollen(current_user, BADGE_HOECHSTENS)
        with _cache_sperre:
            cache[current_user.id] = anzahl
    return {"aufgaben_offen": f"{BADGE_HOECHSTENS - 1}+" if anzahl >= BADGE_HOECHSTENS else anzahl}


@bp.get("/aufgaben")
def liste():
    """The task inbox: mine or open for my roles (`teil`), sorted (`sortierung`), one page (`seite`)."""
    teil = request.args.get("teil", "meine")
    teil = teil if teil in aufgabenliste.TEILE else "meine"
    sortierung = request.args.get("sortierung", "faellig")
    sortierung = sortierung if sortierung in aufgabenliste.SORTIERUNGEN else "faellig"
    seite = aufgabenliste.seite_laden(
        current_user, teil, sortierung, request.args.get("seite", 1, type=int) or 1, current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "aufgaben/liste.html",
        teil=teil,
        sortierung=sortierung,
        seite=seite,
        teile=aufgabenliste.TEILE,
        sortierungen=aufgabenliste.SORTIERUNGEN,
        jetzt=utcnow(),
    )


def _finden(vorgang: Vorgang, task_id: str):
    """The open task with this id on this Vorgang, or None (completed, cancelled, or not this Vorgang's)."""
    for a in offene_aufgaben(vorgang=vorgang):
        if a.task_id == task_id:
            return a
    return None


@bp.get("/vorgang/<nummer>/aufgabe/<task_id>")
def formular(nummer: str, task_id: str):
    """The task form on its own page (also where a failed submission is shown again)."""
    vorgang = vorgang_oder_404(current_user, nummer)
    aufgabe = _finden(vorgang, task_id)
    if aufgabe is None:
        return _nicht_mehr_offen(vorgang, {}, 404)
    return _formularseite(vorgang, aufgabe, None, {})


@bp.post("/vorgang/<nummer>/aufgabe/<task_id>")
def erledigen(nummer: str, task_id: str):
    """Complete the task: the engine validates, runs the procedure on and commits.

    Invalid input re-shows the form with per-field messages; a task someone else completed meanwhile gives a
    clear conflict page that repeats what was entered, so nothing typed is lost.
    """
    vorgang = vorgang_oder_404(current_user, nummer)
    eingaben = {k: v for k, v in request.form.items() if k not in ("csrf_token", "zurueck")}
    aufgabe = _finden(vorgang, task_id)
    if aufgabe is None or vorgang.status_enum not in OFFEN:
        db.session.rollback()
        return _nicht_mehr_offen(vorgang, eingaben, 409)
    try:
        runner.abschliessen(task_id, eingaben, current_user)
    except runner.FormularFehler as fehler:
        db.session.rollback()
        return _formularseite(vorgang_oder_404(current_user, nummer), aufgabe, eingaben, fehler.fehler), 422
    except runner.Konflikt:
        db.session.rollback()
        return _nicht_mehr_offen(vorgang_oder_404(current_user, nummer), eingaben, 409, aufgabe)
    except runner.KeineBerechtigung:
        db.session.rollback()
        abort(403)
    flash(f"Aufgabe „{aufgabe.titel}“ erledigt.", "erfolg")
    return redirect(url_for("vorgaenge.detail", nummer=nummer) + "#aufgaben")


def _formularseite(vorgang: Vorgang, aufgabe, eingaben: dict | None, fehler: dict) -> str:
    """The task form beside the application data it is about."""
    return render_template(
        "aufgaben/formular.html",
        vorgang=vorgang,
        aufgabe=aufgabe,
        eingaben=eingaben,
        fehler=fehler,
        formulardaten=beschriften(vorgang.formulardaten, vorgang.formular_id),
    )


def _nicht_mehr_offen(vorgang: Vorgang, eingaben: dict, status: int, aufgabe=None):
    """The conflict page: the task is gone; show what was entered and the way back to the Vorgang."""
    beschriftung = {f.id: f.label for f in aufgabe.felder} if aufgabe else {}
    return (
        render_template(
            "aufgaben/konflikt.html",
            vorgang=vorgang,
            aufgabe=aufgabe,
            eingaben=[(beschriftung.get(k, k), v) for k, v in eingaben.items() if v],
        ),
        status,
    )


def vorgangsnummern(ids: set[int]) -> dict[int, str]:
    """Vorgangsnummer per id (for links from task lists of other slices)."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Vorgang.id, Vorgang.nummer).where(Vorgang.id.in_(ids))).all())
