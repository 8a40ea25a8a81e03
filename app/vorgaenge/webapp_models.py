"""Tables of the caseworker web app: search text, Aktenzeichen counters, unread-message markers.

They live apart from `models.py` (the foundation's) and are created by migration `0002_webapp`. Two extra
indexes on `vorgang` serve the list views "Meine Vorgänge"/"Nicht zugewiesen" and the form filter.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, func, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang

_v = Vorgang.__table__.c
#: "Meine Vorgänge", "Nicht zugewiesen" (bearbeiter_id IS NULL) and the Sachbearbeiter filter within the OE.
Index("ix_vorgang_oe_bearbeiter_eingang", _v.oe_id, _v.bearbeiter_id, _v.eingangsdatum)
#: The form filter within the OE, newest first.
Index("ix_vorgang_oe_formular_eingang", _v.oe_id, _v.formular_id, _v.eingangsdatum)
#: Sorting by applicant within the OE.
Index("ix_vorgang_oe_antragsteller", _v.oe_id, _v.antragsteller_name)


class VorgangSuchtext(db.Model):
    """The searchable text of one Vorgang (number, Aktenzeichen, applicant, form name, form data text).

    Kept in sync by `app.vorgaenge.suche` on every insert/update of a Vorgang. PostgreSQL indexes it with a
    GIN index on `to_tsvector('german', text)`; SQLite with the FTS5 table `vorgang_suche_fts`
    (external content, maintained by triggers). Both are created in migration 0002_webapp.
    """

    __tablename__ = "vorgang_suchtext"
    __table_args__ = (
        # PostgreSQL full-text index; the search query repeats this expression exactly. SQLite uses FTS5.
        Index(
            "ix_vorgang_suchtext_tsv",
            func.to_tsvector(literal_column("'german'::regconfig"), text("text")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class AktenzeichenZaehler(db.Model):
    """The running number per OE and year for generated Aktenzeichen (`{LAUFNR}`)."""

    __tablename__ = "aktenzeichen_zaehler"

    oe_id: Mapped[int] = mapped_column(ForeignKey("organisationseinheit.id", ondelete="CASCADE"), primary_key=True)
    jahr: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    laufnr: Mapped[int] = mapped_column(default=0)


class UngeleseneNachricht(db.Model):
    """Marker: the applicant sent a message on this Vorgang that nobody has read yet.

    Whoever receives an applicant message calls `app.vorgaenge.aktionen.nachricht_als_ungelesen_markieren`;
    opening the Vorgang's detail page removes the marker. One row per Vorgang at most.
    """

    __tablename__ = "ungelesene_nachricht"

    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), primary_key=True)
    seit: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
