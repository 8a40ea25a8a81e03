"""Bescheid templates and text blocks (kept by Administration/Verfahrensdesign) and the Bescheide of Vorgänge."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.models import Anhang, Vorgang

#: The kinds of Bescheid (stored as the key).
ARTEN = {
    "genehmigung": "Genehmigung",
    "ablehnung": "Ablehnung",
    "teilgenehmigung": "Teilgenehmigung",
    "gebuehrenbescheid": "Gebührenbescheid",
}


class BescheidStatus(StrEnum):
    """Entwurf → (zur Freigabe → freigegeben) → final; final is frozen."""

    ENTWURF = "entwurf"
    ZUR_FREIGABE = "zur_freigabe"
    FREIGEGEBEN = "freigegeben"
    FINAL = "final"


class Textbaustein(db.Model):
    """A reusable text (Begründung, Rechtsbehelfsbelehrung …), used in templates as `{{ textbaustein.<key> }}`."""

    __tablename__ = "textbaustein"

    id: Mapped[int] = mapped_column(primary_key=True)
    schluessel: Mapped[str] = mapped_column(String(60), unique=True)
    titel: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BescheidVorlage(db.Model):
    """An HTML template of a Bescheid for one procedure (BPMN process id; empty = every procedure) and kind."""

    __tablename__ = "bescheid_vorlage"
    __table_args__ = (UniqueConstraint("verfahren", "art", "name", name="uq_bescheid_vorlage_verfahren_art_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verfahren: Mapped[str] = mapped_column(String(200), default="")
    art: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    #: The team lead approves a Bescheid from this template before it can be finalised.
    freigabe_noetig: Mapped[bool] = mapped_column(default=False)
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def art_titel(self) -> str:
        """The kind as people read it."""
        return ARTEN.get(self.art, self.art)


class Bescheid(db.Model):
    """One Bescheid of a Vorgang: an editable draft until finalised, then a frozen PDF/A Anhang with its hash,
    Bekanntgabe date and the end of the Rechtsbehelfsfrist."""

    __tablename__ = "bescheid"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), index=True)
    vorlage_id: Mapped[int | None] = mapped_column(ForeignKey("bescheid_vorlage.id", ondelete="SET NULL"))
    art: Mapped[str] = mapped_column(String(20))
    titel: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=BescheidStatus.ENTWURF)
    freigabe_noetig: Mapped[bool] = mapped_column(default=False)
    erstellt_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    freigegeben_von_id: Mapped[int | None] = mapped_column(ForeignKey("benutzer.id", ondelete="SET NULL"))
    freigegeben_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalisiert_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bescheid_datum: Mapped[date | None]
    bekanntgabe_am: Mapped[date | None]
    rechtsbehelfsfrist_bis: Mapped[date | None]
    anhang_id: Mapped[int | None] = mapped_column(ForeignKey("anhang.id", ondelete="SET NULL"))
    sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    vorgang: Mapped[Vorgang] = relationship()
    vorlage: Mapped[BescheidVorlage | None] = relationship()
    anhang: Mapped[Anhang | None] = relationship()
    erstellt_von: Mapped[Benutzer | None] = relationship(foreign_keys=[erstellt_von_id])
    freigegeben_von: Mapped[Benutzer | None] = relationship(foreign_keys=[freigegeben_von_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def art_titel(self) -> str:
        """The kind as people read it."""
        return ARTEN.get(self.art, self.art)

    @property
    def ist_final(self) -> bool:
        """True once frozen."""
        return self.status == BescheidStatus.FINAL


@event.listens_for(Bescheid, "before_update")
def _final_ist_eingefroren(_mapper, _connection, bescheid: Bescheid) -> None:
    """A final Bescheid is never changed again (its PDF and hash are what the applicant received)."""
    zustand = inspect(bescheid)
    status = zustand.attrs.status.history
    war_final = BescheidStatus.FINAL in (status.deleted or status.unchanged or ())
    if war_final and any(a.history.has_changes() for a in zustand.attrs if a.key != "version"):
        raise RuntimeError("Ein finaler Bescheid ist unveränderlich")
