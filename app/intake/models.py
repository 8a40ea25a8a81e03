"""The Eingang: one delivery from a form service, stored raw before anything else happens."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow

#: Processing states of an Eingang.
AUSSTEHEND, VERARBEITET, FEHLERHAFT = "ausstehend", "verarbeitet", "fehlerhaft"


class Eingang(db.Model):
    """Raw bytes of one delivery plus what became of it; never changed except its processing state."""

    __tablename__ = "eingang"
    __table_args__ = (UniqueConstraint("quelle", "transaktions_id", name="uq_eingang_quelle_transaktion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quelle: Mapped[str] = mapped_column(String(40))
    transaktions_id: Mapped[str] = mapped_column(String(200))
    eingegangen_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    inhalt: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    zustand: Mapped[str] = mapped_column(String(20), default=AUSSTEHEND, index=True)
    fehler: Mapped[str] = mapped_column(Text, default="")
    versuche: Mapped[int] = mapped_column(default=0)
    vorgang_id: Mapped[int | None] = mapped_column(ForeignKey("vorgang.id", ondelete="SET NULL"))
