"""webapp: index for sorting by applicant; OE tokens in the search text

Revision ID: 0008_webapp_sortierung
Revises: 0007_intake_lz4
Create Date: 2026-11-28 12:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_webapp_sortierung'
down_revision = '0007_intake_lz4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.create_index('ix_vorgang_oe_antragsteller', ['oe_id', 'antragsteller_name'], unique=False)
    # The search text now starts with a token naming the Vorgang's OE (app.vorgaenge.suche.oe_marke), so the
    # full-text query itself narrows to the user's OEs. Existing rows get it here; the FTS5 triggers follow.
    op.execute(
        "UPDATE vorgang_suchtext SET text = 'oe' || (SELECT CAST(v.oe_id AS VARCHAR(20)) FROM vorgang v "
        "WHERE v.id = vorgang_suchtext.vorgang_id) || ' ' || text "
        "WHERE text NOT LIKE 'oe%'"
    )


def downgrade():
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.drop_index('ix_vorgang_oe_antragsteller')
