"""Intake: Eingänge from form services become Vorgänge (docs/intake.md).

The scheduler runs this slice's ticks itself: ``app.intake.verarbeitung.ausstehende_verarbeiten`` and
``app.intake.formsolutions.abrufen``.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the intake CLI."""
    # imported here, not at the top: app.models imports app.intake.models, which runs this package first;
    # loading the CLI (and with it the whole slice) at that moment would be a cycle
    from app.intake.cli import intake

    app.cli.add_command(intake)
