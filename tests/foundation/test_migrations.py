"""Migrations build the whole schema from empty, and it matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrations_from_empty_to_head_match_the_models(app):
    """The `app` fixture migrated an empty database; no model change may lack a migration."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
