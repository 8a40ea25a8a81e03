"""The uniform Antrag: plain dataclasses every adapter produces, and the one error type they raise.

Nothing here knows Flask or the database. ``Feld`` and ``Antrag`` convert to JSON-safe dicts so the intake
service can store the parsed form data next to the raw Eingang.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

FeldWert = str | int | float | bool | date | None
FeldTyp = Literal["string", "number", "date", "boolean", "group", "file"]
FELD_TYPEN: tuple[str, ...] = ("string", "number", "date", "boolean", "group", "file")

#: Default maximum size of one attachment (decoded bytes).
MAX_ANHANG_BYTES = 50 * 1024 * 1024
#: Time zone assumed for timestamps a German form server sends without offset.
ORTSZEIT = ZoneInfo("Europe/Berlin")


def mit_zeitzone(zeit: datetime) -> datetime:
    """Adapters return time-zone-aware datetimes: a naive one is read as German local time."""
    return zeit if zeit.tzinfo else zeit.replace(tzinfo=ORTSZEIT)


class AdapterFehler(Exception):
    """A delivery that cannot be turned into an Antrag.

    ``message`` is a German sentence naming the problem with its technical detail (shown to administrators
    and returned to the sender), ``code`` a stable machine-readable key (e.g. ``transaktions_id_fehlt``).
    ``http_status`` is the status an HTTP endpoint should answer with (400, or 413 for size limits).
    """

    def __init__(self, message: str, code: str, *, http_status: int = 400) -> None:
        """Store message, code and the suggested HTTP status."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status

    def __str__(self) -> str:
        """Return ``message [code]``."""
        return f"{self.message} [{self.code}]"


@dataclass
class Kopf:
    """Header data of an Antrag: where it came from and whom it concerns.

    ``extra`` holds source-specific data that routing may use (intelliForm customer and custom parameters,
    Form-Solutions status and options, …); its values are JSON-safe.
    """

    quelle: str
    transaktions_id: str
    formular_id: str | None = None
    formular_name: str | None = None
    leika_ids: list[str] = field(default_factory=list)
    zustaendige_stelle: str | None = None
    eingegangen_am: datetime | None = None
    konto_typ: str | None = None
    vertrauensniveau: str | None = None
    postfach_adresse: str | None = None
    postfach_typ: str | None = None
    mandant: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (``eingegangen_am`` as ISO string)."""
        return {
            "quelle": self.quelle,
            "transaktions_id": self.transaktions_id,
            "formular_id": self.formular_id,
            "formular_name": self.formular_name,
            "leika_ids": list(self.leika_ids),
            "zustaendige_stelle": self.zustaendige_stelle,
            "eingegangen_am": self.eingegangen_am.isoformat() if self.eingegangen_am else None,
            "konto_typ": self.konto_typ,
            "vertrauensniveau": self.vertrauensniveau,
            "postfach_adresse": self.postfach_adresse,
            "postfach_typ": self.postfach_typ,
            "mandant": self.mandant,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, daten: dict[str, Any]) -> Kopf:
        """Rebuild a Kopf from :meth:`to_dict` output."""
        werte = dict(daten)
        if werte.get("eingegangen_am"):
            werte["eingegangen_am"] = datetime.fromisoformat(werte["eingegangen_am"])
        return cls(**werte)


@dataclass
class Antragsteller:
    """The applicant: a natural person (``art='person'``) or a company/organisation."""

    art: Literal["person", "organisation"] = "person"
    vorname: str | None = None
    nachname: str | None = None
    firmenname: str | None = None
    strasse: str | None = None
    hausnummer: str | None = None
    plz: str | None = None
    ort: str | None = None
    geburtsdatum: date | None = None
    email: str | None = None
    telefon: str | None = None

    def ist_leer(self) -> bool:
        """True when not a single field beyond ``art`` is filled."""
        return all(getattr(self, name) in (None, "") for name in ANTRAGSTELLER_FELDER)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (``geburtsdatum`` as ISO string)."""
        daten: dict[str, Any] = {"art": self.art}
        for name in ANTRAGSTELLER_FELDER:
            wert = getattr(self, name)
            daten[name] = wert.isoformat() if isinstance(wert, date) else wert
        return daten

    @classmethod
    def from_dict(cls, daten: dict[str, Any]) -> Antragsteller:
        """Rebuild an Antragsteller from :meth:`to_dict` output."""
        werte = dict(daten)
        if werte.get("geburtsdatum"):
            werte["geburtsdatum"] = date.fromisoformat(werte["geburtsdatum"])
        return cls(**werte)


ANTRAGSTELLER_FELDER: tuple[str, ...] = (
    "vorname",
    "nachname",
    "firmenname",
    "strasse",
    "hausnummer",
    "plz",
    "ort",
    "geburtsdatum",
    "email",
    "telefon",
)


@dataclass
class Feld:
    """One form field, or a group of fields (``typ='group'``, children in ``kinder``).

    ``wert`` is typed: str, int/float (``number``), bool (``boolean``), ``datetime.date`` (``date``),
    the referenced attachment id (``file``) or None (empty / group). ``anzeigewert`` is the display text of a
    chosen value when the source delivers one (intelliForm ``a:label``: value ``1`` shown as ``männlich``).
    """

    name: str
    label: str | None = None
    wert: FeldWert = None
    typ: FeldTyp = "string"
    kinder: list[Feld] = field(default_factory=list)
    anzeigewert: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; a date value becomes its ISO string, ``typ`` says how to read it back."""
        wert = self.wert.isoformat() if isinstance(self.wert, date) else self.wert
        daten: dict[str, Any] = {"name": self.name, "label": self.label, "typ": self.typ, "wert": wert}
        if self.anzeigewert is not None:
            daten["anzeigewert"] = self.anzeigewert
        if self.kinder:
            daten["kinder"] = [kind.to_dict() for kind in self.kinder]
        return daten

    @classmethod
    def from_dict(cls, daten: dict[str, Any]) -> Feld:
        """Rebuild a Feld and its children from :meth:`to_dict` output; AdapterFehler if malformed."""
        if not isinstance(daten, dict) or not isinstance(daten.get("name"), str):
            raise AdapterFehler("Feld ohne Namen in gespeicherten Formulardaten", "feld_ungueltig")
        typ = daten.get("typ", "string")
        if typ not in FELD_TYPEN:
            raise AdapterFehler(f"Unbekannter Feldtyp {typ!r} in Feld {daten['name']!r}", "feld_ungueltig")
        wert = daten.get("wert")
        if typ == "date" and isinstance(wert, str):
            wert = date.fromisoformat(wert)
        return cls(
            name=daten["name"],
            label=daten.get("label"),
            wert=wert,
            typ=typ,
            kinder=[cls.from_dict(kind) for kind in daten.get("kinder", [])],
            anzeigewert=daten.get("anzeigewert"),
        )

    def alle(self) -> list[Feld]:
        """This field and all its descendants, depth first in document order."""
        ergebnis = [self]
        for kind in self.kinder:
            ergebnis.extend(kind.alle())
        return ergebnis


@dataclass
class Anhang:
    """One delivered file. Build it with :func:`adapters.anhaenge.anhang_erstellen`, which sanitizes the file
    name, sniffs the MIME type and flags dangerous content.

    ``verweis_id`` is the id under which the source references the file (intelliForm attachment id, …);
    ``mime_passt`` is False when the declared MIME type contradicts the sniffed one.
    """

    dateiname: str
    mime_deklariert: str | None
    mime_erkannt: str
    inhalt: bytes = field(repr=False)
    ist_gefaehrlich: bool = False
    verweis_id: str | None = None
    mime_passt: bool = True

    @property
    def groesse(self) -> int:
        """Size in bytes."""
        return len(self.inhalt)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return hashlib.sha256(self.inhalt).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Metadata as a JSON-safe dict (without the content; the content is stored as a file)."""
        return {
            "dateiname": self.dateiname,
            "mime_deklariert": self.mime_deklariert,
            "mime_erkannt": self.mime_erkannt,
            "ist_gefaehrlich": self.ist_gefaehrlich,
            "mime_passt": self.mime_passt,
            "verweis_id": self.verweis_id,
            "groesse": self.groesse,
            "sha256": self.sha256,
        }


@dataclass
class Antrag:
    """The uniform parsed content of one Eingang."""

    kopf: Kopf
    antragsteller: Antragsteller | None = None
    formulardaten: list[Feld] = field(default_factory=list)
    anhaenge: list[Anhang] = field(default_factory=list)
    #: Warnings about the delivery that do not stop processing (shown on the Eingang and the Vorgang).
    hinweise: list[str] = field(default_factory=list)

    def alle_felder(self) -> list[Feld]:
        """All fields of the form data tree, depth first in document order."""
        ergebnis: list[Feld] = []
        for feld_ in self.formulardaten:
            ergebnis.extend(feld_.alle())
        return ergebnis

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of header, applicant, form data and attachment metadata (not the file contents)."""
        return {
            "kopf": self.kopf.to_dict(),
            "antragsteller": self.antragsteller.to_dict() if self.antragsteller else None,
            "formulardaten": [feld_.to_dict() for feld_ in self.formulardaten],
            "anhaenge": [anhang.to_dict() for anhang in self.anhaenge],
            "hinweise": list(self.hinweise),
        }
