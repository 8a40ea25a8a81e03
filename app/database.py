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


class KompilierteAnweisung:
    """A Core statement compiled once per dialect and run with `exec_driver_sql` on the session's connection.

    For the writes every application or start makes (engine start, Vorgang insert, intake): `session.execute`
    builds a cache key of the statement and prepares the execution context on every call, which for a statement
    with many bind parameters costs more than PostgreSQL needs to run it (measured: 0.9–1.1 ms vs 0.4–0.6 ms for
    the engine start's one statement). The values still
    go through the types' bind processors, and errors still arrive as SQLAlchemy exceptions (`IntegrityError` …).
    """

    def __init__(self, anweisung):
        """Keep the statement; it is compiled on first use per dialect and driver."""
        self.anweisung = anweisung
        self._je_dialekt: dict[tuple[str, str], tuple] = {}

    def _kompiliert(self, dialect) -> tuple:
        """(SQL text, bind names in order, processors by bind name, values of literals, positional?) for
        `dialect`."""
        schluessel = (dialect.name, dialect.driver)
        fertig = self._je_dialekt.get(schluessel)
        if fertig is None:
            compiled = self.anweisung.compile(dialect=dialect)
            prozessoren, literale = {}, {}
            for bind, name in compiled.bind_names.items():
                prozessor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if prozessor is not None:
                    prozessoren[name] = prozessor
                if not bind.required:  # a literal in the statement, e.g. `zustand == 'ausstehend'` or `version + 1`
                    literale[name] = bind.effective_value
            namen = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.bind_names.values())
            fertig = (compiled.string, namen, prozessoren, literale, compiled.positional)
            self._je_dialekt[schluessel] = fertig
        return fertig

    @staticmethod
    def _werte(kompiliert: tuple, parameter: dict):
        """The DBAPI parameters for one row: given values, else the statement's literals; processed; as a tuple
        (positional) or a dict."""
        _sql, namen, prozessoren, literale, positional = kompiliert
        werte = []
        for name in namen:
            wert = parameter[name] if name in parameter else literale[name]
            werte.append(prozessoren[name](wert) if name in prozessoren else wert)
        return tuple(werte) if positional else dict(zip(namen, werte, strict=True))

    def ausfuehren(self, parameter: dict | list[dict]):
        """Run with one dict of values (by bind name) or a list of them (executemany); returns the result."""
        connection = db.session.connection()
        kompiliert = self._kompiliert(connection.dialect)
        if isinstance(parameter, list):
            return connection.exec_driver_sql(kompiliert[0], [self._werte(kompiliert, p) for p in parameter])
        return connection.exec_driver_sql(kompiliert[0], self._werte(kompiliert, parameter))
