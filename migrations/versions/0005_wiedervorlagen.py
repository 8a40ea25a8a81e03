"""wiedervorlagen: Wiedervorlage, Benachrichtigung, Mailausgang; Benutzer.digest_aktiv

Revision ID: 0005_wiedervorlagen
Revises: 0004_webapp
Create Date: 2026-11-28 12:05:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0005_wiedervorlagen'
down_revision = '0004_webapp'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('benutzer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_aktiv', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('wiedervorlage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vorgang_id', sa.Integer(), nullable=False),
    sa.Column('betreff', sa.String(length=300), nullable=False),
    sa.Column('beschreibung', sa.Text(), nullable=False),
    sa.Column('frist', sa.Date(), nullable=False),
    sa.Column('frist_uhrzeit', sa.Time(), nullable=True),
    sa.Column('faellig_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('erinnerung_faellig_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erinnert_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('herkunft', sa.String(length=20), nullable=False),
    sa.Column('erstellt_von_id', sa.Integer(), nullable=True),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('zugewiesen_an_id', sa.Integer(), nullable=True),
    sa.Column('erledigt_von_id', sa.Integer(), nullable=True),
    sa.Column('erledigt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['erledigt_von_id'], ['benutzer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['erstellt_von_id'], ['benutzer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zugewiesen_an_id'], ['benutzer.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wiedervorlage_erinnerung_faellig_am'), ['erinnerung_faellig_am'], unique=False)
        batch_op.create_index('ix_wiedervorlage_vorgang_status_frist', ['vorgang_id', 'status', 'frist'], unique=False)
        batch_op.create_index('ix_wiedervorlage_zugewiesen_status_frist', ['zugewiesen_an_id', 'status', 'frist'], unique=False)

    op.create_table('benachrichtigung',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('empfaenger_id', sa.Integer(), nullable=False),
    sa.Column('vorgang_id', sa.Integer(), nullable=True),
    sa.Column('wiedervorlage_id', sa.Integer(), nullable=True),
    sa.Column('titel', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gelesen_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['empfaenger_id'], ['benutzer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vorgang_id'], ['vorgang.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiedervorlage_id'], ['wiedervorlage.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('benachrichtigung', schema=None) as batch_op:
        batch_op.create_index('ix_benachrichtigung_empfaenger_gelesen', ['empfaenger_id', 'gelesen_am'], unique=False)

    op.create_table('mailausgang',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('art', sa.String(length=20), nullable=False),
    sa.Column('schluessel', sa.String(length=120), nullable=True),
    sa.Column('empfaenger', sa.String(length=254), nullable=False),
    sa.Column('empfaenger_id', sa.Integer(), nullable=True),
    sa.Column('wiedervorlage_id', sa.Integer(), nullable=True),
    sa.Column('betreff', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('versuche', sa.Integer(), nullable=False),
    sa.Column('naechster_versuch_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('letzter_fehler', sa.Text(), nullable=False),
    sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gesendet_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['empfaenger_id'], ['benutzer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wiedervorlage_id'], ['wiedervorlage.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('schluessel')
    )
    with op.batch_alter_table('mailausgang', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailausgang_naechster_versuch_am'), ['naechster_versuch_am'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailausgang_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('mailausgang', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailausgang_status'))
        batch_op.drop_index(batch_op.f('ix_mailausgang_naechster_versuch_am'))
    op.drop_table('mailausgang')
    with op.batch_alter_table('benachrichtigung', schema=None) as batch_op:
        batch_op.drop_index('ix_benachrichtigung_empfaenger_gelesen')
    op.drop_table('benachrichtigung')
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.drop_index('ix_wiedervorlage_zugewiesen_status_frist')
        batch_op.drop_index('ix_wiedervorlage_vorgang_status_frist')
        batch_op.drop_index(batch_op.f('ix_wiedervorlage_erinnerung_faellig_am'))
    op.drop_table('wiedervorlage')
    with op.batch_alter_table('benutzer', schema=None) as batch_op:
        batch_op.drop_column('digest_aktiv')
