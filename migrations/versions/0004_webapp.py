"""webapp: search text + full-text index, Aktenzeichen counters, unread-message markers, list indexes

Revision ID: 0004_webapp
Revises: 0003_intake
Create Date: 2026-11-28 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0004_webapp'
down_revision = '0003_intake'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vorgang_suchtext',
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vorgang_id')
    )
    op.create_table('aktenzeichen_zaehler',
    sa.Column('oe_id', sa.Integer(), nullable=False),
    sa.Column('jahr', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('laufnr', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['oe_id'], ['organisationseinheit.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('oe_id', 'jahr')
    )
    op.create_table('ungelesene_nachricht',
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('seit', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vorgang_id')
    )
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.create_index('ix_vorgang_oe_bearbeiter_eingang', ['oe_id', 'bearbeiter_id', 'eingangsdatum'], unique=False)
        batch_op.create_index('ix_vorgang_oe_formular_eingang', ['oe_id', 'formular_id', 'eingangsdatum'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # An expression index: alembic's autogenerate skips it, the search query matches it exactly.
        op.execute(
            "CREATE INDEX ix_vorgang_suchtext_tsv ON vorgang_suchtext "
            "USING gin (to_tsvector('german'::regconfig, text))"
        )
    else:
        # FTS5 over vorgang_suchtext (external content), kept in sync by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE vorgang_suche_fts USING fts5(text, content='vorgang_suchtext', "
            "content_rowid='vorgang_id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER vorgang_suchtext_ai AFTER INSERT ON vorgang_suchtext BEGIN "
            "INSERT INTO vorgang_suche_fts(rowid, text) VALUES (new.vorgang_id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER vorgang_suchtext_ad AFTER DELETE ON vorgang_suchtext BEGIN "
            "INSERT INTO vorgang_suche_fts(vorgang_suche_fts, rowid, text) VALUES ('delete', old.vorgang_id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER vorgang_suchtext_au AFTER UPDATE ON vorgang_suchtext BEGIN "
            "INSERT INTO vorgang_suche_fts(vorgang_suche_fts, rowid, text) VALUES ('delete', old.vorgang_id, old.text); "
            "INSERT INTO vorgang_suche_fts(rowid, text) VALUES (new.vorgang_id, new.text); END"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_vorgang_suchtext_tsv")
    else:
        for trigger in ('vorgang_suchtext_ai', 'vorgang_suchtext_ad', 'vorgang_suchtext_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS vorgang_suche_fts")
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.drop_index('ix_vorgang_oe_formular_eingang')
        batch_op.drop_index('ix_vorgang_oe_bearbeiter_eingang')
    op.drop_table('ungelesene_nachricht')
    op.drop_table('aktenzeichen_zaehler')
    op.drop_table('vorgang_suchtext')
