"""HTTP client for one Mandant of a Form-Solutions server (Submission-API, httpx).

``GET submission/<Mandant>/<Formularnummer>?status=NEW`` lists submissions (metadata only),
``GET submission/<Mandant>/<Formularnummer>/<transID>`` fetches one with ``pdf``, ``xml`` and ``attachments``
filled, and a processing status is reported back. Authentication is preemptive HTTP Basic
(Mandantennummer / API key); redirects are refused so the credentials never travel elsewhere.

Typical use from the poller::

    with FormSolutionsClient(base_url, mandant, api_key, optionen) as client:
        for eintrag in client.list_new(formularnummer):
            roh = client.fetch(formularnummer, eintrag.trans_id)   # store raw as Eingang, then parse_submission
            client.report_status(formularnummer, eintrag.trans_id)  # status_nach_import, default READ
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx

from adapters.antrag import AdapterFehler
from adapters.formsolutions import STATUS_WERTE, FormSolutionsOptionen, SubmissionEintrag, parse_submission_liste


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


class FormSolutionsClient:
    """Client for one Mandant; ``base_url`` is the server root, ``optionen.api_pfad`` is appended.

    Every request sends Basic auth (Mandant / API key) and ``Accept: application/json`` and times out after
    ``timeout`` seconds. Failures raise :class:`FormSolutionsFehler` (an AdapterFehler). Close it (or use it
    as a context manager) to release its connections.
    """

    def __init__(
        self,
        base_url: str,
        mandant: str,
        api_key: str,
        optionen: FormSolutionsOptionen | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Validate the URL (https; http only for localhost unless allowed) and open the connection pool."""
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
        self._http = httpx.Client(
            auth=httpx.BasicAuth(mandant, api_key),
            headers={"Accept": "application/json"},
            timeout=timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def __enter__(self) -> FormSolutionsClient:
        """Use as a context manager."""
        return self

    def __exit__(self, *_exc) -> None:
        """Close on leaving the block."""
        self.close()

    def _url(self, *teile: str) -> str:
        """Absolute URL of path segments, each percent-encoded."""
        return self.base_url + "/".join(urllib.parse.quote(t, safe="") for t in teile)

    def _anfrage(
        self,
        methode: str,
        url: str,
        *,
        params: list[tuple[str, str]] | None = None,
        kopfzeilen: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> bytes:
        """Send one request and return the body (at most ``max_antwort_bytes``); FormSolutionsFehler on failure."""
        if body is not None:
            kopfzeilen = {**(kopfzeilen or {}), "Content-Type": "application/json"}
        grenze = self.optionen.max_antwort_bytes
        try:
            with self._http.stream(methode, url, params=params, headers=kopfzeilen, content=body) as antwort:
                if antwort.is_redirect:
                    raise FormSolutionsFehler(
                        f"Form-Server leitet um ({antwort.status_code} nach {antwort.headers.get('location')}); "
                        "Weiterleitungen werden nicht verfolgt, bitte base_url prüfen",
                        "formsolutions_umleitung",
                        status=antwort.status_code,
                    )
                daten = bytearray()
                for stueck in antwort.iter_bytes():
                    daten += stueck
                    if len(daten) > grenze:
                        raise FormSolutionsFehler(
                            f"Antwort des Form-Servers größer als {grenze} Bytes ({url})",
                            "formsolutions_antwort_zu_gross",
                        )
        except httpx.TransportError as fehler:
            raise FormSolutionsFehler(
                f"Form-Server nicht erreichbar ({methode} {url}): {fehler}",
                "formsolutions_verbindung",
                voruebergehend=True,
            ) from fehler
        if antwort.status_code >= 400:
            raise _http_fehler(methode, url, antwort.status_code, bytes(daten[:2000]).decode("utf-8", "replace"))
        return bytes(daten)

    def list_new(
        self, formularnummer: str, *, seit: datetime | None = None, status: Iterable[str] = ("NEW",)
    ) -> list[SubmissionEintrag]:
        """``GET submission/<Mandant>/<Formularnummer>?status=NEW`` → entries (metadata only).

        ``seit`` restricts by submission time through ``optionen.zeitfilter_header``.
        """
        werte = [s.upper() for s in status]
        if self.optionen.status_filter_stil == "komma":
            params = [("status", ",".join(werte))]
        else:
            params = [("status", s) for s in werte]
        kopfzeilen = {self.optionen.zeitfilter_header: self._zeit_format(seit)} if seit else None
        roh = self._anfrage(
            "GET", self._url("submission", self.mandant, formularnummer), params=params, kopfzeilen=kopfzeilen
        )
        return parse_submission_liste(roh, self.optionen)

    def fetch(self, formularnummer: str, trans_id: str) -> bytes:
        """``GET submission/<Mandant>/<Formularnummer>/<transID>`` → the raw detail JSON (store it as the
        Eingang first, then parse it)."""
        return self._anfrage("GET", self._url("submission", self.mandant, formularnummer, trans_id))

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
        url = self._url(*(teil.format(**platzhalter) for teil in self.optionen.status_pfad.strip("/").split("/")))
        body = params = None
        if self.optionen.status_uebergabe == "json":
            body = json.dumps({self.optionen.status_feld: status}).encode()
        elif self.optionen.status_uebergabe == "query":
            params = [(self.optionen.status_feld, status)]
        self._anfrage(self.optionen.status_methode.upper(), url, params=params, body=body)

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
    auszug = f": {text.strip()[:300]}" if text.strip() else ""
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
