"""Form-Solutions (MACH formsolutions) Submission-API: parser and a small stdlib HTTP client.

Form-Solutions does not push; the receiving side polls ``<server>/submission/api/v2/``:
``GET submission/<Mandant>/<Formularnummer>?status=NEW`` lists submissions (metadata only),
``GET submission/<Mandant>/<Formularnummer>/<transID>`` fetches one with ``pdf``, ``xml`` and ``attachments``
filled, and a processing status is reported back. Authentication is preemptive HTTP Basic
(Mandantennummer / API key). See ``docs/adapters.md`` (Form-Solutions Submission-API).

What the vendor documentation leaves open (content encoding, the status write-back request, the time-filter
header format, pagination, the XML shape) is tolerated and configurable in :class:`FormSolutionsOptionen`.

Typical use from the poller (one client per Mandant)::

    client = FormSolutionsClient(base_url, mandant, api_key, optionen)
    for eintrag in client.list_new(formularnummer):
        roh = client.fetch(formularnummer, eintrag.trans_id)      # store raw as Eingang first
        antrag = parse_submission(roh, mandant=mandant, formularnummer=formularnummer, optionen=optionen)
        …                                                          # create the Vorgang
        client.report_status(formularnummer, eintrag.trans_id)     # status_nach_import, default READ
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
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


@dataclass
class SubmissionEintrag:
    """One entry of a list response (metadata only)."""

    trans_id: str
    formularnummer: str | None
    status: str | None
    eingereicht_am: datetime | None
    roh: dict[str, Any] = field(repr=False, default_factory=dict)


class FormSolutionsFehler(AdapterFehler):
    """An HTTP or network failure talking to the form server.

    ``status`` is the HTTP status (None for network errors); ``voruebergehend`` says whether retrying later
    makes sense (timeouts, connection errors, 429, 5xx) or the configuration must be fixed (401, 403, 404 …).
    """

    def __init__(self, message: str, code: str, *, status: int | None = None, voruebergehend: bool = False) -> None:
        """Store the remote status and whether the failure is transient."""
        super().__init__(message, code, http_status=502)
        self.status = status
        self.voruebergehend = voruebergehend


# --- parsing ----------------------------------------------------------------------------------------------


def _als_objekt(daten: bytes | str | Mapping[str, Any], was: str) -> Any:
    """Raw JSON bytes/str are decoded; an already decoded object is used as is."""
    if isinstance(daten, bytes | bytearray | str):
        return json_laden(daten, was)
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
) -> Antrag:
    """Turn one submission (detail view, raw JSON or decoded) into an Antrag.

    ``pdf`` becomes attachment ``verweis_id='pdf'``, ``xml`` attachment ``'xml'`` and, parsed with the
    hardened parser, the form data tree (one element per field); ``attachments`` the further attachments.
    Antragsteller: ``secureData`` (account) first, then the ``applicant*`` fields, then form fields by
    pattern. ``payload``, ``options``, ``status``, ``userID``, ``applicationInfoText`` go to ``Kopf.extra``.
    """
    optionen = optionen or FormSolutionsOptionen()
    submission = _als_objekt(daten, "Submission")
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
        try:
            felder = elemente_zu_feldern(parse_xml(xml, "Formulardaten-XML (xml)"))
        except AdapterFehler as fehler:
            if not optionen.xml_fehler_tolerieren:
                raise
            extra["xml_fehler"] = fehler.message
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


def submission_bauen(
    trans_id: str,
    *,
    identifier: str | None = None,
    formular_xml: bytes | None = None,
    pdf: bytes | None = None,
    anhaenge: Iterable[tuple[str, str, bytes]] = (),
    secure_data: Mapping[str, str] | None = None,
    status: str = "NEW",
    eingereicht_am: datetime | None = None,
    **weitere: Any,
) -> dict[str, Any]:
    """A detail-view submission object as the documented API delivers it (tests, stand-in server,
    simulation): contents base64, attachments as ``{name, mimeType, content}``, date in epoch ms."""
    zeit = eingereicht_am or datetime.now(UTC)

    def b64(inhalt: bytes | None) -> str | None:
        """Base64 text, or None for absent content."""
        return None if inhalt is None else base64.b64encode(inhalt).decode("ascii")

    objekt: dict[str, Any] = {
        "transID": trans_id,
        "identifier": identifier or trans_id.rsplit("-", 1)[0],
        "status": status,
        "options": {"submissionType": "REGULAR", "paymentType": "NONE", "npa": False},
        "payload": None,
        "submissionDate": int(zeit.timestamp() * 1000),
        "pdf": b64(pdf),
        "xml": b64(formular_xml),
        "attachments": [{"name": n, "mimeType": m, "content": b64(c)} for n, m, c in anhaenge] or None,
    }
    if secure_data is not None:
        objekt["secureData"] = dict(secure_data)
    objekt.update(weitere)
    return objekt


def metadaten(submission: Mapping[str, Any]) -> dict[str, Any]:
    """The list-view form of a submission: ``pdf``, ``xml``, ``attachments`` null."""
    return {**submission, "pdf": None, "xml": None, "attachments": None}


# --- HTTP client ------------------------------------------------------------------------------------------


class _KeineWeiterleitung(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would forward the Basic credentials to wherever the redirect points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        """Raise instead of following."""
        raise FormSolutionsFehler(
            f"Form-Server leitet um ({code} nach {newurl}); Weiterleitungen werden nicht verfolgt, "
            "bitte base_url prüfen",
            "formsolutions_umleitung",
            status=code,
        )


class FormSolutionsClient:
    """Stdlib HTTP client for one Mandant of a Form-Solutions server (thread-safe, no state but config).

    ``base_url`` is the server root (``https://formserver.example``); ``optionen.api_pfad`` is appended.
    Every request sends preemptive Basic auth (Mandant / API key), ``Accept: application/json`` and times out
    after ``timeout`` seconds. Failures raise :class:`FormSolutionsFehler` (an AdapterFehler) with
    ``status`` and ``voruebergehend``.
    """

    def __init__(
        self,
        base_url: str,
        mandant: str,
        api_key: str,
        optionen: FormSolutionsOptionen | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Validate the URL (https; http only for localhost unless allowed) and prepare the auth header."""
        self.optionen = optionen or FormSolutionsOptionen()
        teile = urllib.parse.urlsplit(base_url)
        lokal = teile.hostname in ("localhost", "127.0.0.1", "::1")
        if teile.scheme not in ("https", "http") or not teile.hostname:
            raise ValueError(f"base_url muss eine http(s)-URL sein: {base_url!r}")
        if teile.scheme == "http" and not (lokal or self.optionen.unsicheres_http_erlauben):
            raise ValueError(f"base_url ohne TLS ist nur für localhost erlaubt: {base_url!r}")
        if not mandant or not api_key:
            raise ValueError("Mandant und API-Key sind Pflicht")
        self.base_url = base_url.rstrip("/") + "/" + self.optionen.api_pfad.strip("/") + "/"
        self.mandant = mandant
        self.timeout = timeout
        token = base64.b64encode(f"{mandant}:{api_key}".encode()).decode("ascii")
        self._auth = f"Basic {token}"
        self._opener = urllib.request.build_opener(_KeineWeiterleitung())

    def _url(self, *teile: str, query: list[tuple[str, str]] | None = None) -> str:
        """Absolute URL of path segments (each percent-encoded) plus query."""
        pfad = "/".join(urllib.parse.quote(t, safe="") for t in teile)
        return self.base_url + pfad + (f"?{urllib.parse.urlencode(query)}" if query else "")

    def _anfrage(
        self, methode: str, url: str, *, kopfzeilen: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> bytes:
        """Send one request and return the body; raise FormSolutionsFehler on any failure."""
        anfrage = urllib.request.Request(url, data=body, method=methode)  # noqa: S310 (scheme checked in __init__)
        anfrage.add_header("Authorization", self._auth)
        anfrage.add_header("Accept", "application/json")
        if body is not None:
            anfrage.add_header("Content-Type", "application/json")
        for name, wert in (kopfzeilen or {}).items():
            anfrage.add_header(name, wert)
        try:
            with self._opener.open(anfrage, timeout=self.timeout) as antwort:
                daten = antwort.read(self.optionen.max_antwort_bytes + 1)
        except urllib.error.HTTPError as fehler:
            text = fehler.read(2000).decode("utf-8", "replace").strip()
            raise _http_fehler(methode, url, fehler.code, text) from fehler
        except FormSolutionsFehler:
            raise
        except (urllib.error.URLError, TimeoutError, OSError) as fehler:
            grund = getattr(fehler, "reason", fehler)
            raise FormSolutionsFehler(
                f"Form-Server nicht erreichbar ({methode} {url}): {grund}",
                "formsolutions_verbindung",
                voruebergehend=True,
            ) from fehler
        if len(daten) > self.optionen.max_antwort_bytes:
            raise FormSolutionsFehler(
                f"Antwort des Form-Servers größer als {self.optionen.max_antwort_bytes} Bytes ({url})",
                "formsolutions_antwort_zu_gross",
            )
        return daten

    def list_new(
        self, formularnummer: str, *, seit: datetime | None = None, status: Iterable[str] = ("NEW",)
    ) -> list[SubmissionEintrag]:
        """``GET submission/<Mandant>/<Formularnummer>?status=NEW`` → entries (metadata only).

        ``seit`` restricts by submission time through ``optionen.zeitfilter_header``.
        """
        werte = [s.upper() for s in status]
        if self.optionen.status_filter_stil == "komma":
            query = [("status", ",".join(werte))]
        else:
            query = [("status", s) for s in werte]
        kopfzeilen = {self.optionen.zeitfilter_header: self._zeit_format(seit)} if seit else None
        roh = self._anfrage(
            "GET", self._url("submission", self.mandant, formularnummer, query=query), kopfzeilen=kopfzeilen
        )
        return parse_submission_liste(roh, self.optionen)

    def fetch(self, formularnummer: str, trans_id: str) -> bytes:
        """``GET submission/<Mandant>/<Formularnummer>/<transID>`` → the raw detail JSON (store it as the
        Eingang first, then :func:`parse_submission` it)."""
        return self._anfrage("GET", self._url("submission", self.mandant, formularnummer, trans_id))

    def fetch_antrag(self, formularnummer: str, trans_id: str) -> tuple[bytes, Antrag]:
        """:meth:`fetch` plus :func:`parse_submission` with this client's Mandant and options."""
        roh = self.fetch(formularnummer, trans_id)
        return roh, parse_submission(roh, mandant=self.mandant, formularnummer=formularnummer, optionen=self.optionen)

    def report_status(self, formularnummer: str, trans_id: str, status: str | None = None) -> None:
        """Report a processing status (default ``optionen.status_nach_import``) as configured in the options."""
        status = (status or self.optionen.status_nach_import).upper()
        if status not in STATUS_WERTE:
            raise ValueError(f"Unbekannter Status {status!r}; erlaubt: {', '.join(STATUS_WERTE)}")
        platzhalter = {
            "mandant": self.mandant,
            "formularnummer": formularnummer,
            "trans_id": trans_id,
            "status": status,
        }
        pfad = "/".join(
            urllib.parse.quote(teil.format(**platzhalter), safe="")
            for teil in self.optionen.status_pfad.strip("/").split("/")
        )
        url = self.base_url + pfad
        body = None
        if self.optionen.status_uebergabe == "json":
            body = json.dumps({self.optionen.status_feld: status}).encode()
        elif self.optionen.status_uebergabe == "query":
            url += "?" + urllib.parse.urlencode({self.optionen.status_feld: status})
        self._anfrage(self.optionen.status_methode.upper(), url, body=body)

    def _zeit_format(self, zeit: datetime) -> str:
        """Format the time-filter header value as configured."""
        zeit = zeit if zeit.tzinfo else zeit.replace(tzinfo=UTC)
        if self.optionen.zeitfilter_format == "iso":
            return zeit.isoformat()
        if self.optionen.zeitfilter_format == "epoch_ms":
            return str(int(zeit.timestamp() * 1000))
        return format_datetime(zeit.astimezone(UTC), usegmt=True)


def _http_fehler(methode: str, url: str, status: int, text: str) -> FormSolutionsFehler:
    """FormSolutionsFehler for an HTTP error status, classified (auth, not found, transient)."""
    auszug = f": {text[:300]}" if text else ""
    if status in (401, 403):
        return FormSolutionsFehler(
            f"Form-Server lehnt die Anmeldung ab ({status}, {methode} {url}); Mandant/API-Key prüfen{auszug}",
            "formsolutions_auth",
            status=status,
        )
    if status == 404:
        return FormSolutionsFehler(
            f"Form-Server kennt die Adresse nicht (404, {methode} {url}){auszug}",
            "formsolutions_nicht_gefunden",
            status=status,
        )
    return FormSolutionsFehler(
        f"Form-Server antwortet mit HTTP {status} ({methode} {url}){auszug}",
        "formsolutions_http",
        status=status,
        voruebergehend=status == 429 or status >= 500,
    )


__all__ = [
    "FormSolutionsClient",
    "FormSolutionsFehler",
    "FormSolutionsOptionen",
    "SubmissionEintrag",
    "metadaten",
    "parse_submission",
    "parse_submission_liste",
    "submission_bauen",
    "zeitpunkt_lesen",
]
