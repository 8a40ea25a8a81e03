"""Nachricht: one message on a Vorgang, out to or in from the applicant, with its Anhänge and delivery state."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.models import Anhang, Vorgang
from app.wiedervorlagen.models import Mailausgang


class Zustand(StrEnum):
    """Delivery state of a message (stored as the lower-case word)."""

    WARTEND = "wartend"
    GESENDET = "gesendet"
    ZUGESTELLT = "zugestellt"
    FEHLGESCHLAGEN = "fehlgeschlagen"
    GELESEN = "gelesen"
    EMPFANGEN = "empfangen"


nachricht_anhang = Table(
    "nachricht_anhang",
    db.metadata,
    Column("nachricht_id", ForeignKey("nachricht.id", ondelete="CASCADE"), primary_key=True),
    Column("anhang_id", ForeignKey("anhang.id", ondelete="CASCADE"), primary_key=True),
)


class Nachricht(db.Model):
    """A message with the applicant. Content (Betreff, Text, channel, address, Anhänge) never changes after it
    was written; only the delivery state moves. An incoming message nobody could assign has no Vorgang yet and is
    listed for administrators (`vorgang_id` NULL, its files in `dateien`)."""

    __tablename__ = "nachricht"
    __table_args__ = (Index("ix_nachricht_vorgang_erstellt", "vorgang_id", "erstellt_am"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int | None] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"))
    richtung: Mapped[str] = mapped_column(String(10))  # aus | ein
    kanal: Mapped[str] = mapped_column(String(20))  # email | fitconnect | brief
    betreff: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    #: Who wrote it: the caseworker's name, or the applicant's address on the channel.
    absender: Mapped[str] = mapped_column(String(300), default="")
    benutzer_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    empfaenger: Mapped[str] = mapped_column(String(300), default="")
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=Zustand.WARTEND)
    status_seit: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gelesen_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Random token of an outgoing message; a reply that quotes it belongs to this Vorgang.
    korrelation: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The channel's id of an incoming message (Message-ID, FIT-Connect reply id): the same reply is stored once.
    extern_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    antwort_auf_id: Mapped[int | None] = mapped_column(ForeignKey("nachricht.id", ondelete="SET NULL"))
    mailausgang_id: Mapped[int | None] = mapped_column(ForeignKey("mailausgang.id", ondelete="SET NULL"))
    #: Nachforderung: the reply is due by this date; the Wiedervorlage at that date closes with the reply.
    frist: Mapped[date | None]
    wiedervorlage_id: Mapped[int | None] = mapped_column(ForeignKey("wiedervorlage.id", ondelete="SET NULL"))
    #: What went wrong with the message (e.g. files of a reply that were refused).
    letzter_fehler: Mapped[str] = mapped_column(Text, default="")
    #: Files of an incoming message that has no Vorgang yet: [{dateiname, mime_typ, groesse, sha256}].
    dateien: Mapped[list] = mapped_column(JSON, default=list)
    #: Outbox of channels that send themselves (FIT-Connect): attempts, next attempt or status check (a lease
    #: while one process works on it), the channel's id of the sent message (the FIT-Connect replyId).
    versuche: Mapped[int] = mapped_column(default=0, server_default="0")
    naechster_versuch_am: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    versand_id: Mapped[str | None] = mapped_column(String(100))

    vorgang: Mapped[Vorgang | None] = relationship()
    benutzer: Mapped[Benutzer | None] = relationship()
    anhaenge: Mapped[list[Anhang]] = relationship(secondary=nachricht_anhang, order_by=Anhang.id)
    mailausgang: Mapped[Mailausgang | None] = relationship()

    @property
    def ist_eingehend(self) -> bool:
        """True for a message from the applicant."""
        return self.richtung == "ein"

    @property
    def zustand(self) -> str:
        """The delivery state; an e-mail's comes from its row in the mail outbox."""
        if self.mailausgang is not None and self.status == Zustand.WARTEND:
            return self.mailausgang.status
        return self.status

    def __repr__(self) -> str:
        """Readable in logs and the shell (no content: personal data)."""
        return f"<Nachricht {self.id} {self.richtung} {self.kanal} {self.status}>"


#: Columns that are fixed once a message exists ("sent messages are never changed").
UNVERAENDERLICH = ("richtung", "kanal", "betreff", "text", "absender", "empfaenger", "korrelation", "extern_id")


@event.listens_for(Nachricht, "before_update")
def _inhalt_ist_unveraenderlich(_mapper, _connection, nachricht: Nachricht) -> None:
    """Refuse any change of a message's content; the state columns may move."""
    zustand = inspect(nachricht)
    if any(zustand.attrs[feld].history.has_changes() for feld in UNVERAENDERLICH):
        raise RuntimeError("Der Inhalt einer Nachricht ist unveränderlich")
