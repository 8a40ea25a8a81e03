"""Database set-up that depends on the backend: SQLite pragmas, helpers for row claiming."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


def init_app(app: Flask) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every SQLite connection of this app."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers work while one writer commits; foreign keys are off in SQLite by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_postgres(engine: Engine | None = None) -> bool:
    """True when the app runs on PostgreSQL (row locks with SKIP LOCKED are available)."""
    return (engine or db.engine).dialect.name == "postgresql"


def zum_beanspruchen(query):
    """Lock the selected rows until commit, skipping rows another process holds (PostgreSQL).

    Scheduler jobs use this so several app processes never pick the same due row. SQLite has no row
    locks; there a single writer at a time serializes the jobs (see docs/scheduler.md).
    """
    if is_postgres():
        return query.with_for_update(skip_locked=True)
    return query
