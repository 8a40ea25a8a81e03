"""Form-Solutions (MACH formsolutions) Submission-API: list and detail responses → Antrag (pure, no I/O).

Form-Solutions does not push; the receiving side polls ``<server>/submission/api/v2/`` with the client in
:mod:`adapters.formsolutions_client`. See ``docs/adapters.md``
(Form-Solutions Submission-API). What the vendor
documentation leaves open (content encoding, the status write-back request, the time-filter header format,
pagination, the XML shape) is tolerated and configurable in :class:`FormSolutionsOptionen`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from adapters.anhaenge import anhang_erstellen, base64_dekodieren
from adapters.antrag import (
    MAX_ANHANG_BYTES,
    AdapterFehler,
    Anhang,
    Antrag,
    Antragsteller,
    Feld,
    Kopf,
    mit_zeitzone,
)
from adapters.antragsteller import antragsteller_aus_feldern, antragsteller_ergaenzen, datum_lesen, strasse_aufteilen
from adapters.grenzen import STANDARD, Grenzen, felder_pruefen, xml_vorpruefen
from adapters.ozgcloud import json_laden
from adapters.xml import elemente_zu_feldern, parse_xml

QUELLE = "formsolutions"
STATUS_WERTE = ("NEW", "READ", "CLOSED", "PRELIMINARY", "HIDDEN", "DELETED")


@dataclass
class FormSolutionsOptionen:
    """The configurable, undocumented parts of the Submission-API (defaults are the likely forms).

    Content: ``inhalt_kodierung`` ``auto`` accepts base64, a ``data:`` URI, or for ``xml`` also plain XML
    text; ``base64`` insists on base64. Attachment objects are read through the candidate key lists.
    List: ``listen_schluessel`` unwraps ``{"content": […]}``-style pages; ``status_filter_stil`` sends
    ``?status=NEW&status=READ`` (``wiederholt``) or ``?status=NEW,READ`` (``komma``). The time filter goes in
    header ``zeitfilter_header`` as ``http`` date, ``iso`` or ``epoch_ms``.
    Status write-back: ``status_methode`` on ``status_pfad`` (placeholders ``{mandant}``, ``{formularnummer}``,
    ``{trans_id}``, ``{status}``), the status as JSON body ``{status_feld: status}`` (``json``), as query
    parameter (``query``) or only in the path (``pfad``). Check it against the installation's Swagger UI.
    """

    api_pfad: str = "submission/api/v2/"
    status_filter_stil: Literal["wiederholt", "komma"] = "wiederholt"
    zeitfilter_header: str = "Last-Modified"
    zeitfilter_format: Literal["http", "iso", "epoch_ms"] = "http"
    listen_schluessel: tuple[str, ...] = ("submissions", "content", "items", "data", "results")
    inhalt_kodierung: Literal["auto", "base64"] = "auto"
    anhang_name_schluessel: tuple[str, ...] = ("name", "fileName", "filename", "dateiname", "title", "originalName")
    anhang_mime_schluessel: tuple[str, ...] = ("mimeType", "contentType", "mimetype", "mime", "type")
    anhang_inhalt_schluessel: tuple[str, ...] = ("content", "data", "base64", "file", "inhalt", "value", "bytes")
    anhang_id_schluessel: tuple[str, ...] = ("id", "attachmentId", "uuid")
    status_methode: str = "PUT"
    status_pfad: str = "submission/{mandant}/{formularnummer}/{trans_id}/status"
    status_uebergabe: Literal["json", "query", "pfad"] = "json"
    status_feld: str = "status"
    status_nach_import: str = "READ"
    xml_fehler_tolerieren: bool = False
    antragsteller_muster: Mapping[str, str | re.Pattern[str] | None] | None = None
    max_antwort_bytes: int = 512 * 1024 * 1024
    unsicheres_http_erlauben: bool = False

    @classmethod
    def aus_json(
        cls, werte: Mapping[str, Any] | None, antragsteller_muster: Mapping[str, Any] | None = None
    ) -> FormSolutionsOptionen:
        """Options from their stored JSON form (unknown keys ignored, lists become tuples)."""
        namen = {f.name for f in dataclasses.fields(cls)}
        daten = {k: tuple(v) if isinstance(v, list) else v for k, v in (werte or {}).items() if k in namen}
        if antragsteller_muster and "antragsteller_muster" not in daten:
            daten["antragsteller_muster"] = antragsteller_muster
        return cls(**daten)


@dataclass
class SubmissionEintrag:
    """One entry of a list response (metadata only)."""

    trans_id: str
    formularnummer: str | None
    status: str | None
    eingereicht_am: datetime | None
    roh: dict[str, Any] = field(repr=False, default_factory=dict)


def _als_objekt(daten: bytes | str | Mapping[str, Any], was: str, grenzen: Grenzen = STANDARD) -> Any:
    """Raw JSON bytes/str are decoded; an already decoded object is used as is."""
    if isinstance(daten, bytes | bytearray | str):
        return json_laden(daten, was, grenzen)
    return daten


def _text(objekt: Mapping[str, Any], schluessel: str, *, pflicht: bool = False) -> str | None:
    """A string member (numbers are accepted and converted, other types are an error)."""
    wert = objekt.get(schluessel)
    if wert is None or wert == "":
        if pflicht:
            raise AdapterFehler(f"{schluessel} fehlt in der Submission", "transaktions_id_fehlt")
        return None
    if isinstance(wert, bool) or not isinstance(wert, str | int | float):
        raise AdapterFehler(f"{schluessel} muss ein Text sein, ist aber {type(wert).__name__}", "typ_ungueltig")
    return str(wert)


def zeitpunkt_lesen(wert: Any) -> datetime | None:
    """``submissionDate``: epoch milliseconds as documented; epoch seconds and ISO strings are tolerated
    (an ISO string without offset is German local time)."""
    if wert is None or wert == "":
        return None
    if isinstance(wert, str) and re.fullmatch(r"-?\d+", wert.strip()):
        wert = int(wert)
    if isinstance(wert, int | float) and not isinstance(wert, bool):
        sekunden = wert / 1000 if abs(wert) > 100_000_000_000 else wert
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(sekunden, tz=UTC)
    if isinstance(wert, str):
        try:
            zeit = datetime.fromisoformat(wert.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return mit_zeitzone(zeit)
    raise AdapterFehler(f"submissionDate {wert!r} ist kein Zeitpunkt (Epoch-Millisekunden erwartet)", "typ_ungueltig")


def parse_submission_liste(
    daten: bytes | str | list[Any] | Mapping[str, Any], optionen: FormSolutionsOptionen | None = None
) -> list[SubmissionEintrag]:
    """The list response as :class:`SubmissionEintrag` entries (a bare array, or wrapped in an object under
    one of ``optionen.listen_schluessel``). Entries without ``transID`` are an AdapterFehler."""
    optionen = optionen or FormSolutionsOptionen()
    dokument = _als_objekt(daten, "Submission-Liste")
    if isinstance(dokument, Mapping):
        liste = next((dokument[s] for s in optionen.listen_schluessel if isinstance(dokument.get(s), list)), None)
        if liste is None:
            raise AdapterFehler(
                f"Submission-Liste: Objekt ohne Liste unter {', '.join(optionen.listen_schluessel)}", "typ_ungueltig"
            )
    elif isinstance(dokument, list):
        liste = dokument
    else:
        raise AdapterFehler("Submission-Liste muss ein JSON-Array sein", "typ_ungueltig")
    ergebnis = []
    for i, eintrag in enumerate(liste):
        if not isinstance(eintrag, Mapping):
            raise AdapterFehler(f"Submission-Liste[{i}] ist kein Objekt", "typ_ungueltig")
        trans_id = _text(eintrag, "transID")
        if not trans_id:
            raise AdapterFehler(f"Submission-Liste[{i}]: Transaktions-ID fehlt (transID)", "transaktions_id_fehlt")
        ergebnis.append(
            SubmissionEintrag(
                trans_id=trans_id,
                formularnummer=_text(eintrag, "identifier"),
                status=_text(eintrag, "status"),
                eingereicht_am=zeitpunkt_lesen(eintrag.get("submissionDate")),
                roh=dict(eintrag),
            )
        )
    return ergebnis


def _inhalt_dekodieren(
    wert: Any, beschreibung: str, optionen: FormSolutionsOptionen, max_bytes: int, *, xml_text: bool = False
) -> bytes:
    """Decode one content value: base64 string, ``data:`` URI, or (``auto`` and ``xml_text``) literal XML."""
    if not isinstance(wert, str):
        raise AdapterFehler(f"{beschreibung}: Inhalt muss ein Text (Base64) sein", "typ_ungueltig")
    if optionen.inhalt_kodierung == "auto":
        if wert.startswith("data:") and "," in wert:
            kopf, _, wert = wert.partition(",")
            if not kopf.endswith(";base64"):
                return urllib.parse.unquote_to_bytes(wert)
        elif xml_text and wert.lstrip().startswith("<"):
            return wert.encode("utf-8")
    return base64_dekodieren(wert, beschreibung, max_bytes=max_bytes)


def _erster(objekt: Mapping[str, Any], schluessel: Iterable[str]) -> Any:
    """Value of the first present key."""
    for s in schluessel:
        if objekt.get(s) not in (None, ""):
            return objekt[s]
    return None


def _anhaenge_lesen(roh: Any, trans_id: str, optionen: FormSolutionsOptionen, max_bytes: int) -> list[Anhang]:
    """``attachments`` in any of the tolerated shapes: list of objects, list of base64 strings, a
    ``{name: content}`` mapping or a single object."""
    if roh in (None, "", []):
        return []
    if isinstance(roh, Mapping):
        if _erster(roh, optionen.anhang_inhalt_schluessel) is not None:
            roh = [roh]
        else:
            roh = [{"name": name, "content": inhalt} for name, inhalt in roh.items()]
    if not isinstance(roh, list):
        raise AdapterFehler("attachments muss eine Liste sein", "typ_ungueltig")
    ergebnis = []
    for i, eintrag in enumerate(roh, start=1):
        if isinstance(eintrag, str):
            eintrag = {"content": eintrag}
        if not isinstance(eintrag, Mapping):
            raise AdapterFehler(f"attachments[{i - 1}] ist weder Objekt noch Base64-Text", "typ_ungueltig")
        name = _erster(eintrag, optionen.anhang_name_schluessel)
        name = str(name) if name is not None else f"{trans_id}-anhang-{i}"
        inhalt = _erster(eintrag, optionen.anhang_inhalt_schluessel)
        if isinstance(inhalt, Mapping):  # {"content": {"data": "…", "mimeType": …}}
            eintrag = {**eintrag, **inhalt}
            inhalt = _erster(inhalt, optionen.anhang_inhalt_schluessel)
        beschreibung = f"Anhang {name!r}"
        daten = _inhalt_dekodieren(inhalt if inhalt is not None else "", beschreibung, optionen, max_bytes)
        mime = _erster(eintrag, optionen.anhang_mime_schluessel)
        verweis = _erster(eintrag, optionen.anhang_id_schluessel)
        ergebnis.append(
            anhang_erstellen(
                name,
                mime if isinstance(mime, str) else None,
                daten,
                verweis_id=str(verweis) if verweis is not None else f"attachment-{i}",
                max_bytes=max_bytes,
            )
        )
    return ergebnis


def _secure_data_antragsteller(secure: Mapping[str, Any]) -> Antragsteller | None:
    """Antragsteller from ``secureData`` (BUNDID person or MUK company account); keys case-insensitive."""
    klein = {str(k).lower(): v for k, v in secure.items()}

    def wert(*namen: str) -> str | None:
        """The first non-empty value among ``namen`` (case-insensitive), as stripped text."""
        for name in namen:
            inhalt = klein.get(name.lower())
            if isinstance(inhalt, str | int) and not isinstance(inhalt, bool) and str(inhalt).strip():
                return str(inhalt).strip()
        return None

    firma = wert("CompanyName")
    if firma or (wert("Origin") or "").upper() == "MUK":
        strasse, nummer = wert("CompanyAddressStreet"), wert("CompanyAddressStreetNumber")
        if strasse and not nummer:
            strasse, nummer = strasse_aufteilen(strasse)
        ergebnis = Antragsteller(
            art="organisation",
            firmenname=firma,
            strasse=strasse,
            hausnummer=nummer,
            plz=wert("CompanyAddressPostCode"),
            ort=wert("CompanyAddressLocality"),
            email=wert("Email", "CompanyEmail"),
            telefon=wert("Phone", "CompanyPhone"),
        )
    else:
        strasse, nummer = strasse_aufteilen(wert("Street"))
        ergebnis = Antragsteller(
            art="person",
            vorname=wert("FirstName"),
            nachname=wert("LastName"),
            strasse=strasse,
            hausnummer=wert("StreetNumber", "HouseNumber") or nummer,
            plz=wert("ZipCode", "PostCode"),
            ort=wert("City"),
            geburtsdatum=datum_lesen(wert("DateOfBirth")),
            email=wert("Email"),
            telefon=wert("Phone"),
        )
    return None if ergebnis.ist_leer() else ergebnis


def _kopfdaten_antragsteller(submission: Mapping[str, Any]) -> Antragsteller | None:
    """Antragsteller from the top-level ``applicant*`` fields (``applicantName`` split when needed)."""
    vorname, nachname = _text(submission, "applicantFirstname"), _text(submission, "applicantLastname")
    firma = _text(submission, "applicantCompanyname")
    organisation = submission.get("applicantType") == "NOT_NATURAL_PERSON"
    voll = _text(submission, "applicantName")
    if voll and not (vorname or nachname or firma):
        if organisation:
            firma = voll
        elif " " in voll.strip():
            vorname, nachname = voll.strip().rsplit(" ", 1)
        else:
            nachname = voll.strip()
    ergebnis = Antragsteller(
        art="organisation" if organisation or (firma and not (vorname or nachname)) else "person",
        vorname=vorname,
        nachname=nachname,
        firmenname=firma,
        email=_text(submission, "applicantEMail"),
    )
    return None if ergebnis.ist_leer() else ergebnis


def parse_submission(
    daten: bytes | str | Mapping[str, Any],
    *,
    mandant: str | None = None,
    formularnummer: str | None = None,
    optionen: FormSolutionsOptionen | None = None,
    max_anhang_bytes: int = MAX_ANHANG_BYTES,
    grenzen: Grenzen = STANDARD,
) -> Antrag:
    """Turn one submission (detail view, raw JSON or decoded) into an Antrag.

    ``pdf`` becomes attachment ``verweis_id='pdf'``, ``xml`` attachment ``'xml'`` and, parsed with the
    hardened parser, the form data tree (one element per field); ``attachments`` the further attachments.
    Antragsteller: ``secureData`` (account) first, then the ``applicant*`` fields, then form fields by
    pattern. ``payload``, ``options``, ``status``, ``userID``, ``applicationInfoText`` go to ``Kopf.extra``.
    """
    optionen = optionen or FormSolutionsOptionen()
    submission = _als_objekt(daten, "Submission", grenzen)
    if not isinstance(submission, Mapping):
        raise AdapterFehler("Submission muss ein JSON-Objekt sein", "typ_ungueltig")
    trans_id = _text(submission, "transID")
    if not trans_id:
        raise AdapterFehler("Transaktions-ID fehlt (transID)", "transaktions_id_fehlt")
    secure = submission.get("secureData")
    secure = {} if secure is None else secure
    if not isinstance(secure, Mapping):
        raise AdapterFehler("secureData muss ein Objekt sein", "typ_ungueltig")
    optionen_roh = submission.get("options")
    optionen_roh = {} if optionen_roh is None else optionen_roh
    if not isinstance(optionen_roh, Mapping):
        raise AdapterFehler("options muss ein Objekt sein", "typ_ungueltig")

    anhaenge: list[Anhang] = []
    felder: list[Feld] = []
    extra: dict[str, Any] = {}
    if submission.get("pdf") not in (None, ""):
        pdf = _inhalt_dekodieren(submission["pdf"], "pdf", optionen, max_anhang_bytes)
        anhaenge.append(anhang_erstellen(f"{trans_id}.pdf", "application/pdf", pdf, verweis_id="pdf"))
    if submission.get("xml") not in (None, ""):
        xml = _inhalt_dekodieren(submission["xml"], "xml", optionen, max_anhang_bytes, xml_text=True)
        anhaenge.append(anhang_erstellen(f"{trans_id}.xml", "application/xml", xml, verweis_id="xml"))
        xml_vorpruefen(xml, grenzen, "Das Formulardaten-XML")
        try:
            felder = elemente_zu_feldern(parse_xml(xml, "Formulardaten-XML (xml)"))
        except AdapterFehler as fehler:
            if not optionen.xml_fehler_tolerieren:
                raise
            extra["xml_fehler"] = fehler.message
    felder_pruefen(felder, grenzen)
    anhaenge += _anhaenge_lesen(submission.get("attachments"), trans_id, optionen, max_anhang_bytes)

    klein = {str(k).lower(): v for k, v in secure.items()}
    herkunft = klein.get("origin") if isinstance(klein.get("origin"), str) else None
    postfach = klein.get("postkorbid") if isinstance(klein.get("postkorbid"), str) else None
    payload = submission.get("payload")
    if isinstance(payload, str):
        with contextlib.suppress(ValueError):  # "embedded JSON" may come as a string or as an object
            payload = json.loads(payload)
    extra.update(
        {
            "userID": _text(submission, "userID"),
            "status": _text(submission, "status"),
            "options": dict(optionen_roh),
            "payload": payload,
            "applicationInfoText": _text(submission, "applicationInfoText"),
            "applicantType": _text(submission, "applicantType"),
        }
    )
    kopf = Kopf(
        quelle=QUELLE,
        transaktions_id=trans_id,
        formular_id=_text(submission, "identifier") or formularnummer,
        eingegangen_am=zeitpunkt_lesen(submission.get("submissionDate")),
        konto_typ=herkunft or ("nPA" if optionen_roh.get("npa") is True else None),
        vertrauensniveau=klein.get("storkqaalevel") if isinstance(klein.get("storkqaalevel"), str) else None,
        postfach_adresse=postfach,
        postfach_typ=(herkunft or "BundID") if postfach else None,
        mandant=mandant,
        extra={k: v for k, v in extra.items() if v not in (None, {}, "")},
    )
    antragsteller = antragsteller_ergaenzen(
        antragsteller_ergaenzen(_secure_data_antragsteller(secure), _kopfdaten_antragsteller(submission)),
        antragsteller_aus_feldern(felder, optionen.antragsteller_muster),
    )
    return Antrag(kopf=kopf, antragsteller=antragsteller, formulardaten=felder, anhaenge=anhaenge)


__all__ = [
    "STATUS_WERTE",
    "FormSolutionsOptionen",
    "SubmissionEintrag",
    "parse_submission",
    "parse_submission_liste",
    "zeitpunkt_lesen",
]
