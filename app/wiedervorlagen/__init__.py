"""Wiedervorlagen: dated reminders on Vorgänge, in-app notifications, the mail outbox and the daily digest."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the scheduler ticks, the blueprint and the menu badge of this slice."""
    from app.scheduler import register_tick
    from app.wiedervorlagen import erinnerung, versand
    from app.wiedervorlagen.views import bp, menue_zaehler

    # Order matters within one tick: reminders fired first are mailed in the same tick.
    register_tick("wiedervorlagen", erinnerung.faellige_erinnern)
    register_tick("wiedervorlagen-digest", erinnerung.digest_erstellen)
    register_tick("mailausgang", versand.mails_senden)
    app.register_blueprint(bp)
    app.context_processor(menue_zaehler)
    from app.vorgaenge.status import OFFEN
    from app.wiedervorlagen.service import heute

    app.jinja_env.globals["wv_heute"] = heute
    app.jinja_env.globals["wv_offene_status"] = OFFEN
