"""Login sessions: revocable on the server (session generation), idle timeout and absolute lifetime.

Flask-Login keeps `Benutzer.get_id()` ("id:generation") in the signed session cookie; the loader accepts it only
while the user's generation is unchanged and the session is neither idle too long nor too old. Logout and a new
password raise the generation, so every copy of an older cookie is worthless.
"""

from datetime import timedelta

from flask import Flask, current_app, session
from flask_login import login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.auth.models import Benutzer
from app.extensions import db, login_manager
from app.timeutil import utcnow

#: Session keys (epoch seconds) for the absolute lifetime and the idle timeout.
ANGEMELDET_SEIT = "angemeldet_seit"
ZULETZT_AKTIV = "zuletzt_aktiv"


def init_app(app: Flask) -> None:
    """Load users through `benutzer_laden`; trust `PROXY_COUNT` proxies for the client address and scheme."""
    login_manager.user_loader(benutzer_laden)
    anzahl = int(app.config.get("PROXY_COUNT") or 0)
    if anzahl > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=anzahl, x_proto=anzahl)  # type: ignore[method-assign]


def _jetzt() -> int:
    """Now in whole epoch seconds (what the session stores)."""
    return int(utcnow().timestamp())


def sitzung_beginnen(benutzer: Benutzer) -> None:
    """Log the user in for this browser (no remember-me cookie) and start both clocks."""
    login_user(benutzer, remember=False)
    session[ANGEMELDET_SEIT] = session[ZULETZT_AKTIV] = _jetzt()


def sitzung_erneuern(benutzer: Benutzer) -> None:
    """After the generation changed: keep this browser's session (same clocks), end all others."""
    angemeldet_seit = session.get(ANGEMELDET_SEIT, _jetzt())
    login_user(benutzer, remember=False)
    session[ANGEMELDET_SEIT], session[ZULETZT_AKTIV] = angemeldet_seit, _jetzt()


def alle_sitzungen_beenden(benutzer: Benutzer) -> None:
    """Make every existing session cookie of the user invalid (the caller commits)."""
    benutzer.sitzung_generation = (benutzer.sitzung_generation or 0) + 1


def abmelden(benutzer: Benutzer) -> None:
    """Log out everywhere: raise the generation, commit, and drop this browser's login."""
    alle_sitzungen_beenden(benutzer)
    db.session.commit()
    logout_user()
    session.pop(ANGEMELDET_SEIT, None)
    session.pop(ZULETZT_AKTIV, None)


def _abgelaufen() -> bool:
    """True when the session has been idle too long, is older than the absolute lifetime, or has no clocks."""
    cfg = current_app.config
    seit, zuletzt = session.get(ANGEMELDET_SEIT), session.get(ZULETZT_AKTIV)
    if not isinstance(seit, int) or not isinstance(zuletzt, int):
        return True  # e.g. a remember-me cookie or a session from before this rule
    jetzt = _jetzt()
    zu_alt = jetzt - seit >= timedelta(hours=cfg["SESSION_MAX_HOURS"]).total_seconds()
    zu_lange_still = jetzt - zuletzt >= timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]).total_seconds()
    return zu_alt or zu_lange_still


def benutzer_laden(sitzungs_id: str) -> Benutzer | None:
    """Flask-Login's user loader: the Benutzer if the session is still valid, else None (= logged out)."""
    benutzer_id, _, generation = sitzungs_id.partition(":")
    if not (benutzer_id.isdigit() and generation.isdigit()) or _abgelaufen():
        session.clear()
        return None
    benutzer = db.session.get(Benutzer, int(benutzer_id))
    if benutzer is None or (benutzer.sitzung_generation or 0) != int(generation):
        session.clear()
        return None
    session[ZULETZT_AKTIV] = _jetzt()
    return benutzer
