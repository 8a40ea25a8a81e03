"""engine: role mapping, instance log, external workers and external tasks

Revision ID: 0014_engine_bpmn
Revises: 0013_webapp_alltag
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0014_engine_bpmn'
down_revision = '0013_webapp_alltag'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollen_zuordnung',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gruppe', sa.String(length=200), nullable=False),
    sa.Column('rolle', sa.String(length=40), nullable=False),
    sa.Column('geaendert_von', sa.String(length=200), nullable=False),
    sa.Column('geaendert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('gruppe')
    )
    with op.batch_alter_table('prozess_instanz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protokoll', sa.Text(), nullable=True))

    op.create_table('extern_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('themen', sa.JSON(), nullable=False),
    sa.Column('aktiv', sa.Boolean(), nullable=False),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('externe_aufgabe',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instanz_id', sa.Integer(), nullable=False),
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('thema', sa.String(length=200), nullable=False),
    sa.Column('gesperrt_bis', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('versuche_uebrig', sa.Integer(), nullable=True),
    sa.Column('fehler_text', sa.Text(), nullable=True),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instanz_id'], ['prozess_instanz.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id')
    )
    with op.batch_alter_table('externe_aufgabe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_externe_aufgabe_instanz_id'), ['instanz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_externe_aufgabe_vorgang_id'), ['vorgang_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_externe_aufgabe_thema'), ['thema'], unique=False)


def downgrade():
    op.drop_table('externe_aufgabe')
    op.drop_table('extern_client')
    with op.batch_alter_table('prozess_instanz', schema=None) as batch_op:
        batch_op.drop_column('protokoll')
    op.drop_table('rollen_zuordnung')
