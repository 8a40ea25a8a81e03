"""Request helpers shared by the workbench's views: the procedure key from the URL, a draft, a file download."""

from flask import Response, abort

from app.extensions import db
from app.werkstatt import entwuerfe
from app.werkstatt.models import Entwurf


def key_pruefen(key: str) -> str:
    """A procedure key from the URL, or 404."""
    if not entwuerfe.KEY_MUSTER.match(key):
        abort(404)
    return key


def entwurf_laden(key: str, entwurf_id: str | int | None = None) -> Entwurf:
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


def datei_antwort(text: str, name: str) -> Response:
    """A BPMN or DMN document as a download."""
    return Response(
        text,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
