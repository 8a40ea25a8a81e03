"""vorgaenge: running counts of Vorgänge for the dashboard (vorgang_zaehler)

Revision ID: 0017_vorgaenge_zaehler
Revises: 0016_werkstatt_einstellungen
Create Date: 2026-11-30 17:00:00

After upgrading a database with Vorgänge, run `flask --app wsgi rebuild-counts` once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_vorgaenge_zaehler'
down_revision = '0016_werkstatt_einstellungen'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vorgang_zaehler',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('art', sa.String(length=10), nullable=False),
    sa.Column('oe_id', sa.Integer(), nullable=False),
    sa.Column('merkmal', sa.String(length=300), nullable=False),
    sa.Column('wert', sa.Integer(), nullable=False),
    sa.Column('anzahl', sa.Integer(), nullable=False),
    sa.Column('verdichtet', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['oe_id'], ['organisationseinheit.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vorgang_zaehler', schema=None) as batch_op:
        batch_op.create_index('ix_vorgang_zaehler_schluessel', ['art', 'oe_id', 'merkmal', 'wert', 'anzahl'], unique=False)
        batch_op.create_index('ix_vorgang_zaehler_verdichtet', ['verdichtet'], unique=False)


def downgrade():
    with op.batch_alter_table('vorgang_zaehler', schema=None) as batch_op:
        batch_op.drop_index('ix_vorgang_zaehler_verdichtet')
        batch_op.drop_index('ix_vorgang_zaehler_schluessel')

    op.drop_table('vorgang_zaehler')
