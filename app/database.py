"""Database set-up that depends on the backend: SQLite pragmas, helpers for row claiming."""

from typing import NamedTuple

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

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


class Ergebnis(NamedTuple):
    """What a `KompilierteAnweisung` returns: the first row (None without one) and the number of rows affected."""

    zeile: tuple | None
    anzahl: int

    @property
    def wert(self):
        """The first column of the first row (e.g. a RETURNING id), or None."""
        return self.zeile[0] if self.zeile is not None else None


class KompilierteAnweisung:
    """A Core statement compiled once per dialect and run on the DBAPI cursor of the session's connection.

    For the writes every application or start makes (engine start, Vorgang insert, intake). Going through
    `session.execute` builds a cache key and an execution context on every call, and even `exec_driver_sql` still
    sets up a context and a result object: measured on the engine start's one statement on PostgreSQL, 0.39 ms
    through `exec_driver_sql` against 0.21 ms on the cursor (0.9–1.1 ms through `session.execute`). The values
    still go through the column types' bind processors, and a database error still arrives as SQLAlchemy's
    exception (`IntegrityError` …); a lost connection is invalidated as SQLAlchemy would. Not seen by
    SQLAlchemy's cursor events and echo log.
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

    def ausfuehren(self, parameter: dict | list[dict]) -> Ergebnis:
        """Run with one dict of values (by bind name) or a list of them (executemany)."""
        connection = db.session.connection()
        dialect = connection.dialect
        kompiliert = self._kompiliert(dialect)
        sql = kompiliert[0]
        viele = isinstance(parameter, list)
        werte = [self._werte(kompiliert, p) for p in parameter] if viele else self._werte(kompiliert, parameter)
        cursor = connection.connection.cursor()
        try:
            if viele:
                cursor.executemany(sql, werte)
            else:
                cursor.execute(sql, werte)
            zeile = cursor.fetchone() if cursor.description else None
            return Ergebnis(zeile, cursor.rowcount)
        except dialect.loaded_dbapi.Error as error:
            getrennt = dialect.is_disconnect(error, connection.connection, cursor)
            if getrennt:
                connection.invalidate(error)
            raise DBAPIError.instance(
                sql,
                werte,
                error,
                dialect.loaded_dbapi.Error,
                dialect=dialect,
                connection_invalidated=getrennt,
                ismulti=viele,
            ) from error
        finally:
            cursor.close()
