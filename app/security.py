"""Login required everywhere, security headers, and the error pages."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError

from app.extensions import db, login_manager

#: No inline scripts or styles, no third-party origins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


def oeffentlich(view: Callable) -> Callable:
    """Mark a view as reachable without login (login page; intake endpoints with their own auth)."""
    view.oeffentlich = True  # type: ignore[attr-defined]
    return view


def rolle_erforderlich(*rollen: str) -> Callable:
    """Allow a view only to users with one of the given roles (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.hat_rolle(*rollen):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app: Flask) -> None:
    """Wire login enforcement, headers and error handlers into the app."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an."
    login_manager.session_protection = "strong"

    @app.before_request
    def login_erforderlich():
        """Every page needs a login unless its view is marked `oeffentlich`."""
        if request.endpoint in (None, "static"):
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "oeffentlich", False) or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()

    @app.after_request
    def sicherheits_header(response):
        """Headers that keep browsers from running or framing what they should not."""
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    @app.errorhandler(CSRFError)
    def csrf_fehler(error):
        """A form without a valid CSRF token is refused."""
        text = "Das Formular ist abgelaufen oder ungültig. Bitte laden Sie die Seite neu."
        return render_template("errors/fehler.html", code=400, titel="Ungültige Anfrage", text=text), 400

    for code, titel, text in (
        (403, "Keine Berechtigung", "Für diese Aktion fehlt Ihnen die Berechtigung."),
        (404, "Nicht gefunden", "Die Seite oder der Vorgang existiert nicht oder ist für Sie nicht sichtbar."),
        (413, "Zu groß", "Die Anfrage überschreitet die zulässige Größe."),
    ):
        app.register_error_handler(code, _fehlerseite(code, titel, text))
    init_haertung(app)


def _fehlerseite(code: int, titel: str, text: str) -> Callable:
    """A handler that renders the shared error page for one HTTP status."""

    def handler(_error):
        """Render the German error page."""
        return render_template("errors/fehler.html", code=code, titel=titel, text=text), code

    return handler


# --- response hardening: HSTS, no caching of logged-in pages, 503 when the database is unreachable ---------

#: One year: browsers remember to use only HTTPS (sent only when the cookies are marked secure).
HSTS = "max-age=31536000; includeSubDomains"
#: Seconds a client waits before trying again after a lost database connection.
RETRY_AFTER_SEKUNDEN = 5
#: A page without the layout: the layout's menu would ask the unreachable database again.
NICHT_ERREICHBAR = (
    '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Vorübergehend nicht verfügbar</title>'
    "</head><body><h1>Vorübergehend nicht verfügbar (503)</h1><p>Die Datenbank ist gerade nicht erreichbar. "
    "Bitte versuchen Sie es in wenigen Sekunden erneut.</p></body></html>"
)


def init_haertung(app: Flask) -> None:
    """Response headers for HTTPS and logged-in pages, and the 503 page for a lost database connection.

    A blueprint can answer the database error its own way (e.g. JSON for machines) with its own error
    handler for `DBAPIError`, which Flask prefers over this app-wide one.
    """

    @app.after_request
    def haertungs_header(response):
        """HSTS behind HTTPS; pages of a logged-in session are never stored by browsers or proxies."""
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and "_user_id" in session:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.register_error_handler(DBAPIError, datenbank_nicht_erreichbar)


def datenbank_nicht_erreichbar(error: DBAPIError):
    """A lost or refused database connection is a temporary 503 with Retry-After; other database errors re-raise."""
    if not (error.connection_invalidated or isinstance(error, OperationalError)):
        raise error
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()  # the connection is gone; the next request takes a fresh one from the pool
    return NICHT_ERREICHBAR, 503, {"Retry-After": str(RETRY_AFTER_SEKUNDEN), "Content-Type": "text/html; charset=utf-8"}
