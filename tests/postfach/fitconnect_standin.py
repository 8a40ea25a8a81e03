"""A local stand-in for the FIT-Connect token endpoint and the reply part of the Submission API, real HTTP on a
free port (the real delivery service cannot be reached here). It checks what the real one would refuse: a missing
or wrong bearer token, a reply to an unknown case, an attachment that was not announced or is no JWE, a submit with
attachments missing, a second submit (409). It decrypts what it receives with the online service's private key and
keeps it for the tests; `annehmen`/`ablehnen` append the online service's event to the case's event log."""

import base64
import json
import re
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from app.postfach.fitconnect_api import ABGELEHNT, ANGENOMMEN, entschluesseln


def _b64(daten: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(daten).encode()).rstrip(b"=").decode()


class Zustelldienst:
    """State of the stand-in: clients, cases, replies, event logs, and a counter of every request."""

    def __init__(self, privater_schluessel: dict, client: tuple[str, str]):
        self.privat = privater_schluessel
        self.client = client
        self.tokens: set[str] = set()
        self.faelle: set[str] = set()
        self.antworten: dict[str, dict] = {}
        self.events: dict[str, list[str]] = {}
        self.aufrufe: list[tuple[str, str]] = []
        self.stoerung = 0  # the next n API calls answer 503
        self.lock = threading.Lock()

    def ereignis(self, case_id: str, reply_id: str, typ: str, inhalt: dict) -> None:
        """Append a Security Event Token (signature part is a placeholder: the client does not verify it)."""
        claims = {"iss": "onlinedienst", "sub": f"reply:{reply_id}", "txn": f"case:{case_id}", "events": {typ: inhalt}}
        kopf = {"alg": "PS512", "typ": "secevent+jwt"}
        self.events.setdefault(case_id, []).append(f"{_b64(kopf)}.{_b64(claims)}.c2lnbmF0dXI")

    def annehmen(self, reply_id: str) -> None:
        antwort = self.antworten[reply_id]
        self.ereignis(antwort["caseId"], reply_id, ANGENOMMEN, {})

    def ablehnen(self, reply_id: str, titel: str) -> None:
        antwort = self.antworten[reply_id]
        self.ereignis(antwort["caseId"], reply_id, ABGELEHNT, {"problems": [{"title": titel}]})


def _handler(zd: Zustelldienst):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):  # quiet
            pass

        def _antwort(self, status: int, inhalt: dict | None = None):
            daten = json.dumps(inhalt).encode() if inhalt is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(daten)))
            self.end_headers()
            self.wfile.write(daten)

        def _koerper(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _berechtigt(self) -> bool:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in zd.tokens:
                self._antwort(401, {"title": "Unauthorized"})
                return False
            if zd.stoerung:
                zd.stoerung -= 1
                self._antwort(503, {"title": "Service Unavailable"})
                return False
            return True

        def do_POST(self):
            zd.aufrufe.append(("POST", self.path))
            with zd.lock:
                if self.path == "/token":
                    form = parse_qs(self._koerper().decode())
                    paar = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
                    if form.get("grant_type") != ["client_credentials"] or paar != zd.client:
                        return self._antwort(401, {"error": "invalid_client"})
                    token = secrets.token_hex(16)
                    zd.tokens.add(token)
                    return self._antwort(200, {"access_token": token, "token_type": "Bearer", "expires_in": 1800})
                if self.path != "/v1/replies":
                    return self._antwort(404, {"title": "Not found"})
                if self._berechtigt():
                    inhalt = json.loads(self._koerper())
                    if inhalt.get("caseId") not in zd.faelle:
                        return self._antwort(404, {"title": "Case not found"})
                    reply_id = str(uuid.uuid4())
                    zd.antworten[reply_id] = {
                        "caseId": inhalt["caseId"],
                        "announced": list(inhalt.get("announcedAttachments") or []),
                        "anhaenge": {},
                        "eingereicht": False,
                    }
                    return self._antwort(201, {"replyId": reply_id, "caseId": inhalt["caseId"]})
                return None

        def do_PUT(self):
            zd.aufrufe.append(("PUT", self.path))
            with zd.lock:
                if not self._berechtigt():
                    return None
                if treffer := re.fullmatch(r"/v1/replies/([^/]+)/attachments/([^/]+)", self.path):
                    antwort = zd.antworten.get(treffer.group(1))
                    if antwort is None or treffer.group(2) not in antwort["announced"]:
                        return self._antwort(404, {"title": "Not announced"})
                    if self.headers.get("Content-Type") != "application/jose":
                        return self._antwort(415, {"title": "application/jose expected"})
                    antwort["anhaenge"][treffer.group(2)] = entschluesseln(self._koerper().decode(), zd.privat)
                    return self._antwort(204)
                if treffer := re.fullmatch(r"/v1/replies/([^/]+)", self.path):
                    antwort = zd.antworten.get(treffer.group(1))
                    if antwort is None:
                        return self._antwort(404, {"title": "Reply not found"})
                    if antwort["eingereicht"]:
                        return self._antwort(409, {"title": "Reply already submitted"})
                    if set(antwort["announced"]) != set(antwort["anhaenge"]):
                        return self._antwort(422, {"detail": "Not all announced attachments uploaded"})
                    inhalt = json.loads(self._koerper())
                    antwort["metadaten"] = json.loads(entschluesseln(inhalt["encryptedMetadata"], zd.privat))
                    antwort["daten"] = json.loads(entschluesseln(inhalt["encryptedData"], zd.privat))
                    antwort["eingereicht"] = True
                    zd.ereignis(
                        antwort["caseId"],
                        treffer.group(1),
                        "https://schema.fitko.de/fit-connect/events/submit-reply",
                        {},
                    )
                    return self._antwort(200, {"replyId": treffer.group(1), "caseId": antwort["caseId"]})
                return self._antwort(404, {"title": "Not found"})

        def do_GET(self):
            zd.aufrufe.append(("GET", self.path))
            with zd.lock:
                if not self._berechtigt():
                    return None
                if treffer := re.fullmatch(r"/v1/cases/([^/]+)/events", self.path):
                    return self._antwort(200, {"eventLog": list(zd.events.get(treffer.group(1), []))})
                return self._antwort(404, {"title": "Not found"})

    return Handler


class Server:
    """The stand-in on 127.0.0.1 and a free port, served from a thread."""

    def __init__(self, zustelldienst: Zustelldienst):
        self.zustelldienst = zustelldienst
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(zustelldienst))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.httpd.shutdown()
        self.httpd.server_close()
