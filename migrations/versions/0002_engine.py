"""engine: process model versions, process instances, open user tasks

Revision ID: 0002_engine
Revises: 0001_foundation
Create Date: 2026-11-28 12:15:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0002_engine'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prozess_modell_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('dateiname', sa.String(length=300), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('deployed_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deployed_von', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'version', name='uq_prozess_modell_version_key_version')
    )
    with op.batch_alter_table('prozess_modell_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prozess_modell_version_key'), ['key'], unique=False)

    op.create_table('prozess_instanz',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('modell_version_id', sa.Integer(), nullable=False),
    sa.Column('zustand_art', sa.String(length=20), nullable=False),
    sa.Column('zustand', sa.Text(), nullable=False),
    sa.Column('next_timer_due', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('vorfall_element', sa.String(length=200), nullable=True),
    sa.Column('vorfall_text', sa.Text(), nullable=True),
    sa.Column('vorfall_seit', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('gestartet_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('geaendert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['modell_version_id'], ['prozess_modell_version.id'], ),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('vorgang_id')
    )
    with op.batch_alter_table('prozess_instanz', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prozess_instanz_modell_version_id'), ['modell_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prozess_instanz_next_timer_due'), ['next_timer_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_prozess_instanz_zustand_art'), ['zustand_art'], unique=False)

    op.create_table('prozess_aufgabe',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instanz_id', sa.Integer(), nullable=False),
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('titel', sa.String(length=300), nullable=False),
    sa.Column('kandidatengruppen', sa.JSON(), nullable=False),
    sa.Column('zugewiesen_an', sa.String(length=80), nullable=True),
    sa.Column('faellig', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instanz_id'], ['prozess_instanz.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id')
    )
    with op.batch_alter_table('prozess_aufgabe', schema=None) as batch_op:
        batch_op.create_index('ix_prozess_aufgabe_vorgang', ['vorgang_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prozess_aufgabe_instanz_id'), ['instanz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prozess_aufgabe_zugewiesen_an'), ['zugewiesen_an'], unique=False)


def downgrade():
    op.drop_table('prozess_aufgabe')
    op.drop_table('prozess_instanz')
    op.drop_table('prozess_modell_version')
