"""Vorgang and what hangs on it: HistorieEintrag (append-only), Anhang, Kommentar."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow
from app.vorgaenge.status import Status


class Vorgang(db.Model):
    """One case: an application and its processing."""

    __tablename__ = "vorgang"
    __table_args__ = (
        Index("ix_vorgang_oe_status_eingang", "oe_id", "status", "eingangsdatum"),
        Index("ix_vorgang_oe_eingang", "oe_id", "eingangsdatum"),
        Index("ix_vorgang_bearbeiter_eingang", "bearbeiter_id", "eingangsdatum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nummer: Mapped[str] = mapped_column(String(12), unique=True)
    aktenzeichen: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.NEU.value)
    vorheriger_status: Mapped[str | None] = mapped_column(String(20))
    status_seit: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    eingangsdatum: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    formular_id: Mapped[str] = mapped_column(String(200), default="")
    formular_name: Mapped[str] = mapped_column(String(300), default="")
    leika_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    oe_id: Mapped[int] = mapped_column(ForeignKey("organisationseinheit.id"))
    bearbeiter_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    antragsteller_name: Mapped[str] = mapped_column(String(300), default="")
    antragsteller: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The form data as an ordered tree: a list of {name, label, wert, typ, kinder}.
    formulardaten: Mapped[list] = mapped_column(JSON, default=list)
    zustaendigkeit_pruefen: Mapped[bool] = mapped_column(default=False)
    loeschung_beantragt_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    oe: Mapped[Organisationseinheit] = relationship(lazy="joined")
    bearbeiter: Mapped[Benutzer | None] = relationship(foreign_keys=[bearbeiter_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> Status:
        """The status as an enum member."""
        return Status(self.status)

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<Vorgang {self.nummer} {self.status}>"


class HistorieEintrag(db.Model):
    """One entry of the append-only audit trail: who did what when, before and after."""

    __tablename__ = "historie_eintrag"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), index=True)
    benutzer_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    akteur: Mapped[str] = mapped_column(String(200))  # name at the time, or "System"
    zeitpunkt: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    aktion: Mapped[str] = mapped_column(String(100))
    vorher: Mapped[dict | None] = mapped_column(JSON)
    nachher: Mapped[dict | None] = mapped_column(JSON)
    notiz: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(HistorieEintrag, "before_update")
def _historie_ist_unveraenderlich(_mapper, _connection, target) -> None:
    """Historie is append-only; the database trigger enforces the same below the ORM."""
    raise RuntimeError("HistorieEintrag ist unveränderlich")


class Anhang(db.Model):
    """A file attached to a Vorgang; the bytes are stored once on disk by their SHA-256."""

    __tablename__ = "anhang"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), index=True)
    dateiname: Mapped[str] = mapped_column(String(255))
    mime_typ: Mapped[str] = mapped_column(String(200))
    groesse: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    ist_gefaehrlich: Mapped[bool] = mapped_column(default=False)
    herkunft: Mapped[str] = mapped_column(String(20), default="antrag")  # antrag | bearbeitung
    beschreibung: Mapped[str] = mapped_column(Text, default="")
    hochgeladen_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    hochgeladen_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Kommentar(db.Model):
    """A note by a caseworker on a Vorgang."""

    __tablename__ = "kommentar"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), index=True)
    benutzer_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    benutzer: Mapped[Benutzer | None] = relationship(lazy="joined")
