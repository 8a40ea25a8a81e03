"""werkstatt: routing and label files in the database, the marker of settings taken over from their files

Revision ID: 0016_werkstatt_einstellungen
Revises: 0015_postfach_fitconnect
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0016_werkstatt_einstellungen'
down_revision = '0015_postfach_fitconnect'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('einstellung_stand',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('uebernommen_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uebernommen_von', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('verfahren_routing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('art', sa.String(length=20), nullable=False),
    sa.Column('schluessel', sa.String(length=200), nullable=False),
    sa.Column('verfahren', sa.String(length=200), nullable=False),
    sa.Column('geaendert_von', sa.String(length=200), nullable=False),
    sa.Column('geaendert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('art', 'schluessel', name='uq_verfahren_routing_art_schluessel')
    )
    op.create_table('formular_beschriftung',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('formular', sa.String(length=120), nullable=False),
    sa.Column('felder', sa.JSON(), nullable=False),
    sa.Column('geaendert_von', sa.String(length=200), nullable=False),
    sa.Column('geaendert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('formular')
    )


def downgrade():
    op.drop_table('formular_beschriftung')
    op.drop_table('verfahren_routing')
    op.drop_table('einstellung_stand')
