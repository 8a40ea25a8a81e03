"""auth: per-user session generation (server-side revocation of login sessions)

Revision ID: 0009_auth_sitzungen
Revises: 0008_webapp_sortierung
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_auth_sitzungen'
down_revision = '0008_webapp_sortierung'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('benutzer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sitzung_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('benutzer', schema=None) as batch_op:
        batch_op.drop_column('sitzung_generation')
