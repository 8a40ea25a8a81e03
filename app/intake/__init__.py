"""Intake: Eingänge from form services become Vorgänge (docs/intake.md)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the intake CLI and the scheduler ticks (pending Eingänge, Form-Solutions poller)."""
    from app.intake.cli import intake
    from app.intake.formsolutions import abrufen
    from app.intake.service import ausstehende_verarbeiten
    from app.scheduler import register_tick

    app.cli.add_command(intake)
    register_tick("intake-ausstehend", ausstehende_verarbeiten)
    register_tick("intake-formsolutions", abrufen)
