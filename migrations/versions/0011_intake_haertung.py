"""intake: idempotency key over the whole transaction id, retry schedule, warnings

Revision ID: 0011_intake_haertung
Revises: 0010_postfach_bescheide
Create Date: 2026-11-30 14:45:00

- `eingang.schluessel`: SHA-256 of the whole transaction id; unique per source instead of the id cut to 200
  characters. `transaktions_id` and `content_type` become unbounded text.
- `eingang.naechster_versuch`: when a pending Eingang is due for the next processing attempt.
- `eingang.hinweise`: warnings that did not stop processing.
"""

import hashlib

import sqlalchemy as sa

import app.dbtypes
from alembic import op

revision = '0011_intake_haertung'
down_revision = '0010_postfach_bescheide'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("eingang") as batch:
        batch.add_column(sa.Column("schluessel", sa.String(64), nullable=True))
        batch.add_column(sa.Column("naechster_versuch", app.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hinweise", sa.JSON(), nullable=True))
    eingang = sa.table(
        "eingang",
        sa.column("id", sa.Integer),
        sa.column("transaktions_id", sa.String),
        sa.column("schluessel", sa.String),
        sa.column("eingegangen_am", app.dbtypes.UTCDateTime(timezone=True)),
        sa.column("naechster_versuch", app.dbtypes.UTCDateTime(timezone=True)),
        sa.column("hinweise", sa.JSON),
    )
    bind = op.get_bind()
    for zeile in bind.execute(sa.select(eingang.c.id, eingang.c.transaktions_id)).all():
        schluessel = hashlib.sha256(zeile.transaktions_id.encode("utf-8")).hexdigest()
        bind.execute(eingang.update().where(eingang.c.id == zeile.id).values(schluessel=schluessel))
    bind.execute(eingang.update().values(naechster_versuch=eingang.c.eingegangen_am, hinweise=[]))
    with op.batch_alter_table("eingang") as batch:
        batch.alter_column("schluessel", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hinweise", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("transaktions_id", existing_type=sa.String(200), type_=sa.Text())
        batch.alter_column("content_type", existing_type=sa.String(200), type_=sa.Text())
        batch.drop_constraint("uq_eingang_quelle_transaktion", type_="unique")
        batch.create_unique_constraint("uq_eingang_quelle_schluessel", ["quelle", "schluessel"])
        batch.create_index("ix_eingang_naechster_versuch", ["naechster_versuch"])


def downgrade():
    with op.batch_alter_table("eingang") as batch:
        batch.drop_index("ix_eingang_naechster_versuch")
        batch.drop_constraint("uq_eingang_quelle_schluessel", type_="unique")
        batch.alter_column("content_type", existing_type=sa.Text(), type_=sa.String(200))
        batch.alter_column("transaktions_id", existing_type=sa.Text(), type_=sa.String(200))
        batch.create_unique_constraint("uq_eingang_quelle_transaktion", ["quelle", "transaktions_id"])
        batch.drop_column("hinweise")
        batch.drop_column("naechster_versuch")
        batch.drop_column("schluessel")
