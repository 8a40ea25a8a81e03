"""Tables of the engine: deployed model versions, process instances and the open user tasks of each instance."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow


class ProzessModellVersion(db.Model):
    """One deployed version of a BPMN procedure: the XML and the parsed spec, stored once."""

    __tablename__ = "prozess_modell_version"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_prozess_modell_version_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # the BPMN process id
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[int]
    dateiname: Mapped[str] = mapped_column(String(300), default="")
    xml: Mapped[str] = mapped_column(Text, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The parsed spec (SpiffWorkflow serializer dict of spec and subprocess specs).
    spec: Mapped[dict] = mapped_column(JSON, deferred=True)
    deployed_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deployed_von: Mapped[str] = mapped_column(String(200), default="System")

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<ProzessModellVersion {self.key} v{self.version}>"


#: Values of `ProzessInstanz.zustand_art`.
AKTIV, BEENDET, VORFALL, ABGEBROCHEN = "aktiv", "beendet", "vorfall", "abgebrochen"


class ProzessInstanz(db.Model):
    """The running procedure of one Vorgang: its model version and its workflow state (without the spec)."""

    __tablename__ = "prozess_instanz"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), unique=True)
    modell_version_id: Mapped[int] = mapped_column(ForeignKey("prozess_modell_version.id"), index=True)
    #: aktiv | beendet | vorfall | abgebrochen
    zustand_art: Mapped[str] = mapped_column(String(20), default=AKTIV, index=True)
    #: The SpiffWorkflow state without `spec`/`subprocess_specs`, as JSON text (dumped once by the serializer's
    #: encoder; a JSON column would encode it a second time).
    zustand: Mapped[str] = mapped_column(Text)
    next_timer_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    vorfall_element: Mapped[str | None] = mapped_column(String(200))
    vorfall_text: Mapped[str | None] = mapped_column(Text)
    vorfall_seit: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The instance's own log: `print` output of its scripts, one line each with time (shown to designers/admins).
    protokoll: Mapped[str | None] = mapped_column(Text, deferred=True)
    gestartet_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    modell_version: Mapped[ProzessModellVersion] = relationship(lazy="joined")
    #: the open user tasks; a row dropped from the list is deleted with the next flush
    aufgaben: Mapped[list["ProzessAufgabe"]] = relationship(
        back_populates="instanz", cascade="all, delete-orphan", passive_deletes=True
    )
    #: the external tasks waiting for a worker (kept in step like `aufgaben`)
    externe: Mapped[list["ExterneAufgabe"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<ProzessInstanz vorgang={self.vorgang_id} {self.zustand_art}>"


class ProzessAufgabe(db.Model):
    """An open (ready) user task, kept in step with the instance state so inboxes need no workflow load."""

    __tablename__ = "prozess_aufgabe"
    __table_args__ = (Index("ix_prozess_aufgabe_vorgang", "vorgang_id"),)

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instanz_id: Mapped[int] = mapped_column(ForeignKey("prozess_instanz.id", ondelete="CASCADE"), index=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(200))
    titel: Mapped[str] = mapped_column(String(300))
    kandidatengruppen: Mapped[list[str]] = mapped_column(JSON, default=list)
    zugewiesen_an: Mapped[str | None] = mapped_column(String(80), index=True)
    faellig: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    instanz: Mapped[ProzessInstanz] = relationship(back_populates="aufgaben")


class RollenZuordnung(db.Model):
    """A candidate group or lane name of the models that is not a product role, mapped to one (designer-kept)."""

    __tablename__ = "rollen_zuordnung"

    id: Mapped[int] = mapped_column(primary_key=True)
    gruppe: Mapped[str] = mapped_column(String(200), unique=True)  # lower case
    rolle: Mapped[str] = mapped_column(String(40))
    geaendert_von: Mapped[str] = mapped_column(String(200), default="System")
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ExternClient(db.Model):
    """An external worker (Fachverfahren, script) allowed to fetch and complete external tasks of some topics.

    The bearer token (256 random bits, shown once) is stored as SHA-256, like the intake's bearer tokens.
    """

    __tablename__ = "extern_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Topics this client may fetch; empty = all.
    themen: Mapped[list[str]] = mapped_column(JSON, default=list)
    aktiv: Mapped[bool] = mapped_column(default=True)
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExterneAufgabe(db.Model):
    """An external service task waiting for a worker, kept in step with the instance state (like ProzessAufgabe).

    A worker locks it for a while (`gesperrt_bis`); a lock that ran out may be fetched again. `versuche_uebrig`
    is what the worker's last failure said (Camunda's retries); at 0 the instance becomes an incident.
    """

    __tablename__ = "externe_aufgabe"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instanz_id: Mapped[int] = mapped_column(ForeignKey("prozess_instanz.id", ondelete="CASCADE"), index=True)
    vorgang_id: Mapped[int] = mapped_column(ForeignKey("vorgang.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    thema: Mapped[str] = mapped_column(String(200), index=True)
    gesperrt_bis: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worker_id: Mapped[str | None] = mapped_column(String(200))
    versuche_uebrig: Mapped[int | None]
    fehler_text: Mapped[str | None] = mapped_column(Text)
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class VerfahrensRouting(db.Model):
    """Which procedure a form id or a LeiKa id starts (`art` formular/leika), or the fallback (`standard`, key `*`)."""

    __tablename__ = "verfahren_routing"
    __table_args__ = (UniqueConstraint("art", "schluessel", name="uq_verfahren_routing_art_schluessel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    art: Mapped[str] = mapped_column(String(20))
    schluessel: Mapped[str] = mapped_column(String(200))
    verfahren: Mapped[str] = mapped_column(String(200))
    geaendert_von: Mapped[str] = mapped_column(String(200), default="System")
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
