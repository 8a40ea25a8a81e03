"""Intake: Eingänge from form services become Vorgänge (docs/intake.md)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the intake CLI and the scheduler ticks (pending Eingänge, Form-Solutions poller)."""
    from app.intake.cli import intake

    app.cli.add_command(intake)
