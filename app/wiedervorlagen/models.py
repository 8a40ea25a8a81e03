"""Wiedervorlage (a dated reminder on a Vorgang), Benachrichtigung (in-app) and Mailausgang (e-mail outbox)."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang


class WiedervorlageStatus(StrEnum):
    """A Wiedervorlage is open until someone marks it done (stored as the lower-case word)."""

    OFFEN = "offen"
    ERLEDIGT = "erledigt"


class Wiedervorlage(db.Model):
    """A resubmission date on a Vorgang: Betreff, Frist, assignee, open or done; fired once by the scheduler.

    `erinnerung_faellig_am` is the scheduler's queue: the moment the reminder is due while it is still to be
    fired, NULL once fired or when the Wiedervorlage is done. The claim is a conditional UPDATE that sets it to
    NULL, so a reminder can be claimed by exactly one process (see docs/scheduler.md).
    """

    __tablename__ = "wiedervorlage"
    __table_args__ = (
        Index("ix_wiedervorlage_zugewiesen_status_frist", "zugewiesen_an_id", "status", "frist"),
        Index("ix_wiedervorlage_vorgang_status_frist", "vorgang_id", "status", "frist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"))
    betreff: Mapped[str] = mapped_column(String(300))
    beschreibung: Mapped[str] = mapped_column(Text, default="")
    #: The Frist as people see it: a local date, optionally with a local time.
    frist: Mapped[date]
    frist_uhrzeit: Mapped[time | None] = mapped_column(Time)
    #: The Frist as a UTC moment (date-only Fristen count from SCHEDULER_ERINNERUNG_UHRZEIT local time).
    faellig_am: Mapped[datetime] = mapped_column(UTCDateTime())
    erinnerung_faellig_am: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    erinnert_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default=WiedervorlageStatus.OFFEN)
    herkunft: Mapped[str] = mapped_column(String(20), default="manuell")  # manuell | prozess
    #: The procedure step (user task id) that set it; it is done once that step is left.
    schritt: Mapped[str | None] = mapped_column(String(64))
    erstellt_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    zugewiesen_an_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    erledigt_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    erledigt_am: Mapped[datetime | None] = mapped_column(UTCDateTime())

    vorgang: Mapped[Vorgang] = relationship(lazy="joined")
    zugewiesen_an: Mapped[Benutzer | None] = relationship(foreign_keys=[zugewiesen_an_id], lazy="joined")
    erstellt_von: Mapped[Benutzer | None] = relationship(foreign_keys=[erstellt_von_id])
    erledigt_von: Mapped[Benutzer | None] = relationship(foreign_keys=[erledigt_von_id])

    @property
    def ist_offen(self) -> bool:
        """True while not done."""
        return self.status == WiedervorlageStatus.OFFEN

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<Wiedervorlage {self.id} {self.frist} {self.status}>"


class Benachrichtigung(db.Model):
    """An in-app notification for one user (e.g. a Wiedervorlage is due); unread until `gelesen_am` is set."""

    __tablename__ = "benachrichtigung"
    __table_args__ = (Index("ix_benachrichtigung_empfaenger_gelesen", "empfaenger_id", "gelesen_am"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    empfaenger_id: Mapped[int] = mapped_column(ForeignKey("benutzer.id", ondelete="CASCADE"))
    vorgang_id: Mapped[int | None] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"))
    wiedervorlage_id: Mapped[int | None] = mapped_column(ForeignKey("wiedervorlage.id", ondelete="CASCADE"))
    titel: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gelesen_am: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Mailausgang(db.Model):
    """One e-mail in the outbox: sent by the scheduler, retried with back-off, visible to admins when it failed.

    `naechster_versuch_am` is the queue (NULL once sent or given up). A sender claims a mail by moving it into the
    future by a lease (conditional UPDATE), so a crash while sending retries it after the lease, never in
    parallel. `schluessel` makes enqueueing idempotent (one digest per user and day, one reminder per firing).
    """

    __tablename__ = "mailausgang"

    id: Mapped[int] = mapped_column(primary_key=True)
    art: Mapped[str] = mapped_column(String(20))  # erinnerung | digest
    schluessel: Mapped[str | None] = mapped_column(String(120), unique=True)
    empfaenger: Mapped[str] = mapped_column(String(254))
    empfaenger_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    wiedervorlage_id: Mapped[int | None] = mapped_column(ForeignKey("wiedervorlage.id", ondelete="SET NULL"))
    betreff: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), default="wartend", index=True
    )  # wartend | gesendet | fehlgeschlagen
    versuche: Mapped[int] = mapped_column(default=0)
    naechster_versuch_am: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    letzter_fehler: Mapped[str] = mapped_column(Text, default="")
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gesendet_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anhang_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # Anhänge sent along (Postfach mails)
