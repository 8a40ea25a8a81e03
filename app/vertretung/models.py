"""An absence (von–bis, local dates, both included) of a user, with the colleague who deputises."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow


class Vertretung(db.Model):
    """`benutzer` is absent from `von` to `bis`; `vertreter` works their Vorgänge meanwhile."""

    __tablename__ = "vertretung"
    __table_args__ = (Index("ix_vertretung_vertreter_bis", "vertreter_id", "bis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    benutzer_id: Mapped[int] = mapped_column(ForeignKey("benutzer.id", ondelete="CASCADE"), index=True)
    vertreter_id: Mapped[int] = mapped_column(ForeignKey("benutzer.id", ondelete="CASCADE"))
    von: Mapped[date]
    bis: Mapped[date]
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    benutzer: Mapped[Benutzer] = relationship(foreign_keys=[benutzer_id])
    vertreter: Mapped[Benutzer] = relationship(foreign_keys=[vertreter_id])
