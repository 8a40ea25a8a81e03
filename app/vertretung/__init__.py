"""Vertretung: a caseworker's absence with a deputy, who meanwhile sees and gets the absent person's Vorgänge,
tasks, Wiedervorlagen and notifications."""

from flask import Flask

from app.vertretung.views import bp


def init_app(app: Flask) -> None:
    """Register the settings endpoints."""
    app.register_blueprint(bp)
