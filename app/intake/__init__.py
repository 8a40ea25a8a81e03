"""Intake: Eingänge from form services become Vorgänge."""
