"""Wiedervorlagen: dated reminders on Vorgänge, in-app notifications, the mail outbox and the daily digest.

The scheduler runs this slice's ticks (`erinnerung.faellige_erinnern`, `erinnerung.digest_erstellen`,
`versand.mails_senden`); it imports them itself.
"""

from flask import Flask

from app.signale import vorgang_status_geaendert, vorgang_zugewiesen
from app.timeutil import heute
from app.vorgaenge.status import OFFEN
from app.wiedervorlagen.service import bearbeiter_folgen, bei_statuswechsel
from app.wiedervorlagen.views import bp, menue_zaehler


def init_app(app: Flask) -> None:
    """Register the blueprint, the menu badge and the template globals of this slice."""
    app.register_blueprint(bp)
    vorgang_zugewiesen.connect(bearbeiter_folgen)
    vorgang_status_geaendert.connect(bei_statuswechsel)
    app.context_processor(menue_zaehler)
    app.jinja_env.globals["wv_heute"] = heute
    app.jinja_env.globals["wv_offene_status"] = OFFEN
