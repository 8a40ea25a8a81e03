"""webapp (issue 17): the procedure step a Wiedervorlage belongs to

Revision ID: 0014_webapp_alltag
Revises: 0008_webapp_sortierung
Create Date: 2026-11-30 14:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_webapp_alltag'
down_revision = '0008_webapp_sortierung'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schritt', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.drop_column('schritt')
