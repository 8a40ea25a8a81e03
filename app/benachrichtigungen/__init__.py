"""Benachrichtigungen: who hears about assignments, waiting tasks, deletions to confirm and applicants' replies.

The notifications themselves (model, list page, header count) live in the Wiedervorlagen slice, which had them
first; this slice decides who is told about what, in the app and by e-mail.
"""

from flask import Flask

from app.benachrichtigungen import service
from app.benachrichtigungen.views import bp
from app.signale import aufgabe_bereit, nachricht_eingegangen, vorgang_status_geaendert, vorgang_zugewiesen


def init_app(app: Flask) -> None:
    """Register the settings endpoint and connect the receivers."""
    app.register_blueprint(bp)
    vorgang_zugewiesen.connect(service.bei_zuweisung)
    aufgabe_bereit.connect(service.bei_neuer_aufgabe)
    vorgang_status_geaendert.connect(service.bei_statuswechsel)
    nachricht_eingegangen.connect(service.bei_nachricht)
