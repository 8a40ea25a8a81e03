"""Wiedervorlagen: dated reminders on Vorgänge, in-app notifications, the mail outbox and the daily digest."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the scheduler ticks, the blueprint and the menu badge of this slice."""
    from app.wiedervorlagen.views import bp, menue_zaehler

    app.register_blueprint(bp)
    app.context_processor(menue_zaehler)
    from app.vorgaenge.status import OFFEN
    from app.wiedervorlagen.service import heute

    app.jinja_env.globals["wv_heute"] = heute
    app.jinja_env.globals["wv_offene_status"] = OFFEN
