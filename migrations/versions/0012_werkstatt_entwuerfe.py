"""werkstatt: drafts of procedures, test cases, audit log of the designer's workbench

Revision ID: 0012_werkstatt_entwuerfe
Revises: 0011_intake_haertung
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0012_werkstatt_entwuerfe'
down_revision = '0011_intake_haertung'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verfahren_entwurf',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('kommentar', sa.String(length=500), nullable=False),
    sa.Column('autor', sa.String(length=80), nullable=False),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('basis_version', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verfahren_entwurf', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verfahren_entwurf_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_verfahren_entwurf_erstellt_am'), ['erstellt_am'], unique=False)

    op.create_table('verfahren_testfall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('inhalt', sa.JSON(), nullable=False),
    sa.Column('geaendert_von', sa.String(length=80), nullable=False),
    sa.Column('geaendert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'name', name='uq_verfahren_testfall_key_name')
    )
    with op.batch_alter_table('verfahren_testfall', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verfahren_testfall_key'), ['key'], unique=False)

    op.create_table('werkstatt_ereignis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('aktion', sa.String(length=60), nullable=False),
    sa.Column('benutzer', sa.String(length=80), nullable=False),
    sa.Column('zeitpunkt', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('werkstatt_ereignis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_werkstatt_ereignis_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_werkstatt_ereignis_zeitpunkt'), ['zeitpunkt'], unique=False)


def downgrade():
    op.drop_table('werkstatt_ereignis')
    op.drop_table('verfahren_testfall')
    op.drop_table('verfahren_entwurf')
