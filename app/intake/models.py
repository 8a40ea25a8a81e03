"""The Eingang: one delivery from a form service, stored raw before anything else happens."""

import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow

#: Processing states of an Eingang.
AUSSTEHEND, VERARBEITET, FEHLERHAFT = "ausstehend", "verarbeitet", "fehlerhaft"


def schluessel(transaktions_id: str) -> str:
    """The idempotency key of a transaction id: SHA-256 hex of the whole id (lone surrogates kept as such)."""
    return hashlib.sha256(transaktions_id.encode("utf-8", "surrogatepass")).hexdigest()


def _schluessel_standard(kontext) -> str:
    """Column default of ``Eingang.schluessel``: the key of the row's transaction id."""
    return schluessel(kontext.get_current_parameters()["transaktions_id"])


class Eingang(db.Model):
    """Raw bytes of one delivery plus what became of it; never changed except its processing state.

    ``zustand`` is the version column: an UPDATE only applies while the row still has the state it was read
    with, so of two processors (request and scheduler) only the first marks it ``verarbeitet`` (the other gets
    ``StaleDataError``). The raw bytes are loaded only when read.
    """

    __tablename__ = "eingang"
    __table_args__ = (UniqueConstraint("quelle", "schluessel", name="uq_eingang_quelle_schluessel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quelle: Mapped[str] = mapped_column(String(40))
    #: The whole transaction id as delivered (NUL and lone surrogates shown as U+FFFD).
    transaktions_id: Mapped[str] = mapped_column(Text)
    #: SHA-256 hex of the idempotency key (the whole transaction id, see app.intake.annahme): unique per source.
    schluessel: Mapped[str] = mapped_column(String(64), default=_schluessel_standard)
    eingegangen_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    content_type: Mapped[str] = mapped_column(Text, default="")
    inhalt: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    zustand: Mapped[str] = mapped_column(String(20), default=AUSSTEHEND, index=True)
    fehler: Mapped[str] = mapped_column(Text, default="")
    versuche: Mapped[int] = mapped_column(default=0)
    vorgang_id: Mapped[int | None] = mapped_column(ForeignKey("vorgang.id", ondelete="SET NULL"))
    #: Adapter kind that parses this Eingang (ozgcloud | intelliform | formsolutions); kept so a re-process
    #: works even after the source was renamed or deleted.
    art: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: Stable machine-readable error code (AdapterFehler.code, ``routing``, ``engine`` …) beside ``fehler``.
    fehler_code: Mapped[str] = mapped_column(String(60), default="", server_default="")
    #: Small JSON facts about the delivery that the raw bytes do not carry (client address, Mandant, form number).
    metadaten: Mapped[dict] = mapped_column(JSON, default=dict)
    bearbeitet_am: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When an ``ausstehend`` Eingang is due for (another) processing attempt by the scheduler.
    naechster_versuch: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: Warnings about the delivery that did not stop processing (NUL replaced, referenced file missing …).
    hinweise: Mapped[list[str]] = mapped_column(JSON, default=list)

    __mapper_args__ = {"version_id_col": zustand, "version_id_generator": False}


#: Kinds of sources, one per adapter.
ARTEN = ("ozgcloud", "intelliform", "formsolutions")


class IntakeQuelle(db.Model):
    """One form service allowed to deliver: its name (= ``Eingang.quelle``), adapter kind and credentials.

    Credentials are stored hashed: an HTTP Basic password as Argon2id, a bearer token (256 random bits, so not
    guessable) as SHA-256. ``ip_erlaubt`` is an optional list of addresses/networks (CIDR); empty = any.
    """

    __tablename__ = "intake_quelle"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    art: Mapped[str] = mapped_column(String(20))
    benutzername: Mapped[str | None] = mapped_column(String(100), unique=True)
    passwort_hash: Mapped[str | None] = mapped_column(String(255))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ip_erlaubt: Mapped[list[str]] = mapped_column(JSON, default=list)
    aktiv: Mapped[bool] = mapped_column(default=True)
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<IntakeQuelle {self.name} {self.art}>"


#: Kinds of routing keys, checked in this order (see docs/intake.md).
ROUTING_ARTEN = ("zustaendige_stelle", "intelliform_kunde", "formsolutions_mandant", "standard")


class IntakeRouting(db.Model):
    """Maps a key of an Antrag (zuständige Stelle, intelliForm customer, Form-Solutions Mandant) to an OE.

    The one row of kind ``standard`` names the default OE for everything unmatched; such Vorgänge are
    flagged "Zuständigkeit prüfen".
    """

    __tablename__ = "intake_routing"
    __table_args__ = (UniqueConstraint("art", "schluessel", name="uq_intake_routing_art_schluessel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    art: Mapped[str] = mapped_column(String(30))
    schluessel: Mapped[str] = mapped_column(String(200))
    oe_id: Mapped[int] = mapped_column(ForeignKey("organisationseinheit.id", ondelete="CASCADE"))

    oe: Mapped[Organisationseinheit] = relationship(lazy="joined")


class FormSolutionsMandant(db.Model):
    """Poll configuration of one Form-Solutions Mandant on one form server.

    ``api_key`` is stored in clear text because the poller must present it (HTTP Basic) — protect the
    database and its backups accordingly (docs/intake.md). ``optionen`` holds the configurable, undocumented
    parts of the API (status write-back method/path/body, list filter style, interval).
    """

    __tablename__ = "formsolutions_mandant"
    __table_args__ = (UniqueConstraint("base_url", "mandant", name="uq_formsolutions_mandant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quelle_id: Mapped[int] = mapped_column(ForeignKey("intake_quelle.id", ondelete="CASCADE"))
    base_url: Mapped[str] = mapped_column(String(300))
    mandant: Mapped[str] = mapped_column(String(100))
    api_key: Mapped[str] = mapped_column(String(300))
    formularnummern: Mapped[list[str]] = mapped_column(JSON, default=list)
    optionen: Mapped[dict] = mapped_column(JSON, default=dict)
    aktiv: Mapped[bool] = mapped_column(default=True)
    intervall_sekunden: Mapped[int] = mapped_column(default=60)
    naechster_abruf: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    letzter_abruf: Mapped[datetime | None] = mapped_column(UTCDateTime())
    letzter_fehler: Mapped[str] = mapped_column(Text, default="")

    quelle: Mapped[IntakeQuelle] = relationship(lazy="joined")
