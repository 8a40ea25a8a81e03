"""webapp (issue 17): the procedure step a Wiedervorlage belongs to; sorting applicants by surname;
notifications by e-mail per user and kind; saved list views; Vertretung; dashboard index

Revision ID: 0013_webapp_alltag
Revises: 0012_werkstatt_entwuerfe
Create Date: 2026-11-30 14:40:00

"""
import json

import sqlalchemy as sa
from alembic import op

import app.dbtypes


# revision identifiers, used by Alembic.
revision = '0013_webapp_alltag'
down_revision = '0012_werkstatt_entwuerfe'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schritt', sa.String(length=64), nullable=True))
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.add_column(sa.Column('antragsteller_sortierung', sa.String(length=300), nullable=False, server_default=''))
    _sortierung_fuellen()
    op.create_table(
        'gespeicherte_ansicht',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('abfrage', sa.Text(), nullable=False),
        sa.Column('benutzer_id', sa.Integer(), nullable=False),
        sa.Column('oe_id', sa.Integer(), nullable=True),
        sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['benutzer_id'], ['benutzer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['oe_id'], ['organisationseinheit.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_gespeicherte_ansicht_benutzer_id', 'gespeicherte_ansicht', ['benutzer_id'], unique=False)
    op.create_index('ix_gespeicherte_ansicht_oe_id', 'gespeicherte_ansicht', ['oe_id'], unique=False)
    op.create_table(
        'vertretung',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('benutzer_id', sa.Integer(), nullable=False),
        sa.Column('vertreter_id', sa.Integer(), nullable=False),
        sa.Column('von', sa.Date(), nullable=False),
        sa.Column('bis', sa.Date(), nullable=False),
        sa.Column('erstellt_am', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['benutzer_id'], ['benutzer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vertreter_id'], ['benutzer.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_vertretung_benutzer_id', 'vertretung', ['benutzer_id'], unique=False)
    op.create_index('ix_vertretung_vertreter_bis', 'vertretung', ['vertreter_id', 'bis'], unique=False)
    op.create_table(
        'benachrichtigung_einstellung',
        sa.Column('benutzer_id', sa.Integer(), nullable=False),
        sa.Column('art', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['benutzer_id'], ['benutzer.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('benutzer_id', 'art'),
    )
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.drop_index('ix_vorgang_oe_antragsteller')
        batch_op.create_index('ix_vorgang_oe_antragsteller_sortierung', ['oe_id', 'antragsteller_sortierung'], unique=False)
        batch_op.create_index('ix_vorgang_oe_status_bearbeiter', ['oe_id', 'status', 'bearbeiter_id'], unique=False)


_FALTUNG = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def sortierschluessel(name, antragsteller):
    """The rule of app.vorgaenge.models.sortierschluessel as of this revision (a migration keeps its own copy)."""
    daten = antragsteller or {}
    if isinstance(daten, str):
        daten = json.loads(daten or "{}")
    nachname, vorname = (daten.get("nachname") or "").strip(), (daten.get("vorname") or "").strip()
    if not nachname and daten.get("art") == "organisation":
        nachname = name or daten.get("firmenname") or ""
    elif not nachname:
        *vorn, nachname = (name or "").split() or [""]
        vorname = " ".join(vorn)
    return f"{nachname} {vorname}".strip().casefold().translate(_FALTUNG)[:300]


def _sortierung_fuellen(charge=5000):
    """Existing rows: the sort key from name and record, in batches by id."""
    verbindung = op.get_bind()
    vorgang = sa.table('vorgang', sa.column('id'), sa.column('antragsteller_name'), sa.column('antragsteller', sa.JSON),
                       sa.column('antragsteller_sortierung'))
    letzte = 0
    while True:
        zeilen = verbindung.execute(
            sa.select(vorgang.c.id, vorgang.c.antragsteller_name, vorgang.c.antragsteller)
            .where(vorgang.c.id > letzte).order_by(vorgang.c.id).limit(charge)
        ).all()
        if not zeilen:
            return
        verbindung.execute(
            vorgang.update().where(vorgang.c.id == sa.bindparam('vid')).values(antragsteller_sortierung=sa.bindparam('schluessel')),
            [{'vid': z.id, 'schluessel': sortierschluessel(z.antragsteller_name or '', z.antragsteller)} for z in zeilen],
        )
        letzte = zeilen[-1].id


def downgrade():
    op.drop_table('vertretung')
    op.drop_table('gespeicherte_ansicht')
    op.drop_table('benachrichtigung_einstellung')
    with op.batch_alter_table('vorgang', schema=None) as batch_op:
        batch_op.drop_index('ix_vorgang_oe_status_bearbeiter')
        batch_op.drop_index('ix_vorgang_oe_antragsteller_sortierung')
        batch_op.create_index('ix_vorgang_oe_antragsteller', ['oe_id', 'antragsteller_name'], unique=False)
        batch_op.drop_column('antragsteller_sortierung')
    with op.batch_alter_table('wiedervorlage', schema=None) as batch_op:
        batch_op.drop_column('schritt')
