"""Vorgang and what hangs on it: HistorieEintrag (append-only), Anhang, Kommentar, the search text, the
Aktenzeichen counters and the unread-message markers."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event, func, insert, inspect, literal_column, text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow
from app.vorgaenge.status import Status
from app.vorgaenge.suchtext import suchtext

_FALTUNG = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def sortierschluessel(name: str, antragsteller: dict | None) -> str:
    """How the list sorts an applicant (DIN 5007: ä as a): surname, then first name; a company by its name; a
    name without record by its last word."""
    daten = antragsteller or {}
    nachname, vorname = (daten.get("nachname") or "").strip(), (daten.get("vorname") or "").strip()
    if not nachname and daten.get("art") == "organisation":
        nachname = name or daten.get("firmenname") or ""
    elif not nachname:
        *vorn, nachname = (name or "").split() or [""]
        vorname = " ".join(vorn)
    return f"{nachname} {vorname}".strip().casefold().translate(_FALTUNG)[:300]


def _sortierschluessel_vorgabe(kontext) -> str:
    """Column default: the sort key from the row's name and record (ORM and Core inserts alike)."""
    werte = kontext.get_current_parameters()
    return sortierschluessel(werte.get("antragsteller_name") or "", werte.get("antragsteller"))


class Vorgang(db.Model):
    """One case: an application and its processing.

    The fields the dashboard counts have `active_history`: a change keeps the old value for `app.vorgaenge.zaehler`.
    """

    __tablename__ = "vorgang"
    __table_args__ = (
        Index("ix_vorgang_oe_status_eingang", "oe_id", "status", "eingangsdatum"),
        Index("ix_vorgang_oe_eingang", "oe_id", "eingangsdatum"),
        Index("ix_vorgang_bearbeiter_eingang", "bearbeiter_id", "eingangsdatum"),
        # "Meine Vorgänge", "Nicht zugewiesen" (bearbeiter_id IS NULL) and the Sachbearbeiter filter within the OE.
        Index("ix_vorgang_oe_bearbeiter_eingang", "oe_id", "bearbeiter_id", "eingangsdatum"),
        # The form filter within the OE, newest first.
        Index("ix_vorgang_oe_formular_eingang", "oe_id", "formular_id", "eingangsdatum"),
        # The dashboard's workload per caseworker and status (index-only).
        Index("ix_vorgang_oe_status_bearbeiter", "oe_id", "status", "bearbeiter_id"),
        # Sorting by applicant (surname first) within the OE.
        Index("ix_vorgang_oe_antragsteller_sortierung", "oe_id", "antragsteller_sortierung"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nummer: Mapped[str] = mapped_column(String(12), unique=True)
    aktenzeichen: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.NEU.value, active_history=True)
    vorheriger_status: Mapped[str | None] = mapped_column(String(20))
    status_seit: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, active_history=True)
    eingangsdatum: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, active_history=True)
    formular_id: Mapped[str] = mapped_column(String(200), default="", active_history=True)
    formular_name: Mapped[str] = mapped_column(String(300), default="", active_history=True)
    leika_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    oe_id: Mapped[int] = mapped_column(ForeignKey("organisationseinheit.id"), active_history=True)
    bearbeiter_id: Mapped[int | None] = mapped_column(
        ForeignKey("benutzer.id", ondelete="SET NULL"), active_history=True
    )
    antragsteller_name: Mapped[str] = mapped_column(String(300), default="")
    antragsteller: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Sort key of the applicant (surname first, folded), set on insert; see `sortierschluessel`.
    antragsteller_sortierung: Mapped[str] = mapped_column(String(300), default=_sortierschluessel_vorgabe)
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


class VorgangSuchtext(db.Model):
    """The searchable text of one Vorgang (number, Aktenzeichen, applicant, form name, form data text).

    Written by the mapper events below on every insert of a Vorgang and every change of a searchable field.
    PostgreSQL indexes it with a GIN index on `to_tsvector('german', text)`; SQLite with the FTS5 table
    `vorgang_suche_fts` (external content, maintained by triggers). Both are created in migration 0002_webapp.
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


#: The Vorgang fields whose change requires re-indexing.
SUCHFELDER = (
    "nummer",
    "aktenzeichen",
    "antragsteller_name",
    "antragsteller",
    "formular_name",
    "formulardaten",
    "oe_id",
)


@event.listens_for(Vorgang, "after_insert")
def _suchtext_einfuegen(_mapper, connection, vorgang: Vorgang) -> None:
    """Index a new Vorgang in the same transaction."""
    connection.execute(insert(VorgangSuchtext).values(vorgang_id=vorgang.id, text=suchtext(vorgang)))


@event.listens_for(Vorgang, "after_update")
def _suchtext_aendern(_mapper, connection, vorgang: Vorgang) -> None:
    """Re-index only when a searchable field changed (status changes, assignments etc. do not cost a write)."""
    zustand = inspect(vorgang)
    if any(zustand.attrs[feld].history.has_changes() for feld in SUCHFELDER):
        connection.execute(
            update(VorgangSuchtext).where(VorgangSuchtext.vorgang_id == vorgang.id).values(text=suchtext(vorgang))
        )


class FormularBeschriftung(db.Model):
    """The labels of one form's fields (a label file `processes/formulare/<formular>.toml` taken over)."""

    __tablename__ = "formular_beschriftung"

    id: Mapped[int] = mapped_column(primary_key=True)
    formular: Mapped[str] = mapped_column(String(120), unique=True)  # the file stem, `_gemeinsam` for all forms
    felder: Mapped[dict] = mapped_column(JSON, default=dict)  # field name or "gruppe.feld" → label
    geaendert_von: Mapped[str] = mapped_column(String(200), default="System")
    geaendert_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
