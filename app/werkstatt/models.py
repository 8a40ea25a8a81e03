"""Tables of the designer's workbench: drafts of procedures, their test cases, and the workbench's audit log."""

from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow


class Entwurf(db.Model):
    """One saved state of a procedure being edited; never deployed by itself, so it never touches running cases.

    Every save adds a row (append-only): the newest row of a key is the current draft, the older ones its history.
    """

    __tablename__ = "verfahren_entwurf"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # the BPMN process id
    name: Mapped[str] = mapped_column(String(300))
    xml: Mapped[str] = mapped_column(Text, deferred=True)
    kommentar: Mapped[str] = mapped_column(String(500), default="")
    autor: Mapped[str] = mapped_column(String(80))  # login of the designer
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: The deployed version the draft started from (None for a new procedure or an upload).
    basis_version: Mapped[int | None]

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<Entwurf {self.key} #{self.id}>"


class Testfall(db.Model):
    """A recorded test run kept with the procedure: start data, task inputs, expected path and outcome (JSON)."""

    __tablename__ = "verfahren_testfall"
    __table_args__ = (UniqueConstraint("key", "name", name="uq_verfahren_testfall_key_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: {"startdaten": {...}, "schritte": [{"element": id, "daten": {...}}], "erwartet": {"pfad": [...], "beendet": b}}
    inhalt: Mapped[dict] = mapped_column(JSON)
    geaendert_von: Mapped[str] = mapped_column(String(80))
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class WerkstattEreignis(db.Model):
    """One entry of the workbench's append-only audit log: who opened, saved, deployed or tested what, when."""

    __tablename__ = "werkstatt_ereignis"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    aktion: Mapped[str] = mapped_column(String(60))
    benutzer: Mapped[str] = mapped_column(String(80))
    zeitpunkt: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
