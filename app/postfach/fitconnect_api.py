"""The FIT-Connect Submission API as far as a reply from the administration needs it (see docs/postfach.md).

OAuth 2.0 client credentials (client_secret_post) for the token; every payload is end-to-end encrypted as a JWE in
compact serialization (RSA-OAEP-256, A256GCM) for the public key the online service sent in its metadata
(`replyChannel.fitConnect.encryptionPublicKey`). The delivery state comes from the case's event log (Security Event
Tokens). No database, no Flask: the channel (`app.postfach.fitconnect`) calls this with its configuration.
"""

import base64
import functools
import json
import time
from dataclasses import dataclass, field

import httpx

#: Key and content encryption FIT-Connect prescribes for payloads.
JWE_ALG, JWE_ENC = "RSA-OAEP-256", "A256GCM"
#: Event types of the case's event log that settle a reply.
EREIGNIS = "https://schema.fitko.de/fit-connect/events/"
ANGENOMMEN, ABGELEHNT = EREIGNIS + "accept-reply", EREIGNIS + "reject-reply"


class FitConnectFehler(Exception):
    """A call failed; `endgueltig` when retrying cannot help (a refused request, an unusable key)."""

    def __init__(self, text: str, endgueltig: bool = False):
        """Keep the text (no personal data) and whether a retry makes sense."""
        super().__init__(text)
        self.endgueltig = endgueltig


@functools.cache
def _jose():
    """joserfc's JWE functions, RSA key class, error class and registry for ALG/ENC.

    Imported on first use, not at the top: joserfc loads OpenSSL's bindings (about 21 MB per process), which only
    the FIT-Connect reply channel needs (the memory limit per worker of issue 12; docs/performance.md).
    """
    from joserfc import errors, jwe, jwk

    return jwe, jwk.RSAKey, errors.JoseError, jwe.JWERegistry(algorithms=[JWE_ALG, JWE_ENC])


def verschluesseln(inhalt: bytes, schluessel: dict, cty: str | None = None) -> str:
    """`inhalt` as JWE compact serialization for the public RSA key `schluessel` (a JWK)."""
    jwe, rsa_key, jose_fehler, registry = _jose()
    try:
        key = rsa_key.import_key(schluessel)
    except (jose_fehler, ValueError, TypeError) as fehler:
        raise FitConnectFehler("Der Verschlüsselungsschlüssel des Onlinedienstes ist unbrauchbar", True) from fehler
    kopf = {"alg": JWE_ALG, "enc": JWE_ENC, "zip": None, "kid": schluessel.get("kid"), "cty": cty}
    return jwe.encrypt_compact({k: v for k, v in kopf.items() if v}, inhalt, key, registry=registry)


def entschluesseln(token: str, privat: dict) -> bytes:
    """Decrypt a JWE with a private JWK (the stand-in and tests read what was sent)."""
    jwe, rsa_key, _fehler, registry = _jose()
    return jwe.decrypt_compact(token, rsa_key.import_key(privat), registry=registry).plaintext


def set_inhalt(token: str) -> dict:
    """The claims of a Security Event Token (JWS compact); the signature is not checked (see docs/postfach.md)."""
    try:
        teil = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(teil + "=" * (-len(teil) % 4)))
    except (IndexError, ValueError) as fehler:
        raise FitConnectFehler("Ereignis im Event-Log ist kein lesbares Security Event Token") from fehler


@dataclass
class Zustelldienst:
    """One FIT-Connect delivery service (Zustelldienst) reached with one API client's credentials."""

    token_url: str
    submission_url: str
    client_id: str
    client_secret: str
    timeout: float = 10.0
    _token: str | None = field(default=None, repr=False)
    _token_bis: float = 0.0

    def __post_init__(self) -> None:
        """One HTTP client (connection pool) for all calls of this round."""
        self._http = httpx.Client(timeout=self.timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self):
        """Use as context manager."""
        return self

    def __exit__(self, *_exc) -> None:
        """Close on leaving."""
        self.close()

    def token(self, erneuern: bool = False) -> str:
        """An access token (client credentials), reused until 30 s before it expires."""
        if self._token and not erneuern and time.monotonic() < self._token_bis:
            return self._token
        daten = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            antwort = self._http.post(self.token_url, data=daten)
        except httpx.HTTPError as fehler:
            raise FitConnectFehler(f"Token-Endpunkt nicht erreichbar ({fehler.__class__.__name__})") from fehler
        if antwort.status_code != 200:  # the body is not echoed: it may reflect the secret
            raise FitConnectFehler(f"Token-Endpunkt antwortet HTTP {antwort.status_code}", antwort.status_code < 500)
        inhalt = antwort.json()
        self._token = inhalt.get("access_token")
        if not self._token:
            raise FitConnectFehler("Token-Endpunkt lieferte kein access_token")
        self._token_bis = time.monotonic() + max(int(inhalt.get("expires_in") or 300) - 30, 0)
        return self._token

    def _anfrage(self, methode: str, pfad: str, **kwargs) -> httpx.Response:
        """One authorized call; a 401 fetches a new token once. Errors become FitConnectFehler."""
        url = self.submission_url.rstrip("/") + pfad
        for versuch in (0, 1):
            kopf = {"Authorization": f"Bearer {self.token(erneuern=versuch == 1)}", **kwargs.pop("headers", {})}
            try:
                antwort = self._http.request(methode, url, headers=kopf, **kwargs)
            except httpx.HTTPError as fehler:
                raise FitConnectFehler(f"Zustelldienst nicht erreichbar ({fehler.__class__.__name__})") from fehler
            if antwort.status_code != 401:
                break
            kwargs["headers"] = {k: v for k, v in kopf.items() if k != "Authorization"}
        return antwort

    @staticmethod
    def _pruefen(antwort: httpx.Response, was: str) -> None:
        """Raise for an error status: 4xx (except 408/429) is final, 5xx is retried."""
        if antwort.status_code < 400:
            return
        endgueltig = antwort.status_code < 500 and antwort.status_code not in (401, 408, 429)
        try:
            detail = str(antwort.json().get("detail") or antwort.json().get("title") or "")[:300]
        except ValueError:
            detail = ""
        raise FitConnectFehler(f"{was}: HTTP {antwort.status_code} {detail}".strip(), endgueltig)

    def antwort_anlegen(self, case_id: str, anhang_ids: list[str]) -> str:
        """Announce a reply to the case with its attachments; returns the replyId."""
        antwort = self._anfrage("POST", "/v1/replies", json={"caseId": case_id, "announcedAttachments": anhang_ids})
        self._pruefen(antwort, "Antwort anlegen")
        reply_id = antwort.json().get("replyId")
        if not isinstance(reply_id, str) or not reply_id:
            raise FitConnectFehler("Antwort anlegen: keine replyId in der Antwort")
        return reply_id

    def anhang_hochladen(self, reply_id: str, anhang_id: str, verschluesselt: str) -> None:
        """Upload one encrypted attachment of an announced reply."""
        antwort = self._anfrage(
            "PUT",
            f"/v1/replies/{reply_id}/attachments/{anhang_id}",
            content=verschluesselt.encode("ascii"),
            headers={"Content-Type": "application/jose"},
        )
        self._pruefen(antwort, "Anhang hochladen")

    def antwort_absenden(self, reply_id: str, metadaten: str, daten: str) -> bool:
        """Submit the reply (encrypted metadata and data). False when it had been submitted before (409)."""
        antwort = self._anfrage(
            "PUT", f"/v1/replies/{reply_id}", json={"encryptedMetadata": metadaten, "encryptedData": daten}
        )
        if antwort.status_code == 409:
            return False
        self._pruefen(antwort, "Antwort absenden")
        return True

    def ereignisse(self, case_id: str) -> list[dict]:
        """The claims of every event in the case's event log."""
        antwort = self._anfrage("GET", f"/v1/cases/{case_id}/events")
        self._pruefen(antwort, "Event-Log lesen")
        return [set_inhalt(t) for t in antwort.json().get("eventLog") or [] if isinstance(t, str)]


def antwort_zustand(ereignisse: list[dict], reply_id: str) -> tuple[str | None, str]:
    """(`angenommen` | `abgelehnt` | None, reason) of one reply from the case's event claims (the latest wins)."""
    ergebnis: tuple[str | None, str] = (None, "")
    for claims in ereignisse:
        if claims.get("sub") != f"reply:{reply_id}":
            continue
        events = claims.get("events") or {}
        if ANGENOMMEN in events:
            ergebnis = ("angenommen", "")
        elif ABGELEHNT in events:
            gruende = (events[ABGELEHNT] or {}).get("problems") or []
            text = "; ".join(str(g.get("title") or g.get("type") or g) for g in gruende if g)[:500]
            ergebnis = ("abgelehnt", text or "vom Onlinedienst abgelehnt")
    return ergebnis
