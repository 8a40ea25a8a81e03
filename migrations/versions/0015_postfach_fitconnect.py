"""postfach: outbox columns on nachricht for the FIT-Connect reply channel

Revision ID: 0015_postfach_fitconnect
Revises: 0014_engine_bpmn
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0015_postfach_fitconnect'
down_revision = '0014_engine_bpmn'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('nachricht', schema=None) as batch_op:
        batch_op.add_column(sa.Column('versuche', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('naechster_versuch_am', app.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('versand_id', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_nachricht_naechster_versuch_am'), ['naechster_versuch_am'], unique=False)


def downgrade():
    with op.batch_alter_table('nachricht', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nachricht_naechster_versuch_am'))
        batch_op.drop_column('versand_id')
        batch_op.drop_column('naechster_versuch_am')
        batch_op.drop_column('versuche')
