"""Migrations build the whole schema from empty, and it matches the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def _virtuelle_tabellen(conn) -> tuple[str, ...]:
    """SQLite virtual tables (FTS5 search indexes) are outside the ORM; their shadow tables share their prefix."""
    if conn.dialect.name != "sqlite":
        return ()
    rows = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"))
    return tuple(name for (name,) in rows)


def test_migrations_from_empty_to_head_match_the_models(app):
    """The `app` fixture migrated an empty database; no model change may lack a migration."""
    with db.engine.connect() as conn:
        virtuell = _virtuelle_tabellen(conn)

        def include_name(name, type_, _parent):
            """Skip SQLite virtual tables and their shadow tables (e.g. `vorgang_suche_fts_data`)."""
            return not (type_ == "table" and virtuell and name.startswith(virtuell))

        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), db.metadata)
    assert diff == []


def test_instance_state_is_compressed_with_lz4_on_postgresql(app):
    """PostgreSQL compresses the large per-instance state with lz4 (faster than pglz); SQLite has no such setting."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return
        methode = conn.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = 'prozess_instanz'::regclass "
                "AND attname = 'zustand'"
            )
        ).scalar_one()
    assert methode == "l"
