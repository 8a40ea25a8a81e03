"""A local stand-in for a Form-Solutions Submission-API server, serving the documented objects.

Used by the adapter tests (and usable by the poller tests in app/intake): start it with
:func:`standin_starten`, put submissions into ``server.daten`` and read ``server.anfragen`` /
``server.status_meldungen`` afterwards.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.adapters.formsolutions_bauen import metadaten


@dataclass
class Anfrage:
    """One request as the stand-in saw it."""

    methode: str
    pfad: str
    query: dict[str, list[str]]
    kopfzeilen: dict[str, str]
    body: bytes


@dataclass
class StandinZustand:
    """What the stand-in serves and what it received."""

    mandant: str = "4711"
    api_key: str = "geheim"
    prefix: str = "/submission/api/v2/"
    daten: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (formnr, transID) → object
    anfragen: list[Anfrage] = field(default_factory=list)
    status_meldungen: list[tuple[str, str, str, Any]] = field(default_factory=list)
    erzwungener_status: int | None = None
    umleitung: str | None = None
    verzoegerung: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    """Implements list, detail and status write-back of the documented API."""

    zustand: StandinZustand

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep test output quiet."""

    def _antwort(self, status: int, daten: Any = None, kopfzeilen: dict[str, str] | None = None) -> None:
        """Send a JSON answer."""
        body = b"" if daten is None else json.dumps(daten).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, wert in (kopfzeilen or {}).items():
            self.send_header(name, wert)
        self.end_headers()
        self.wfile.write(body)

    def _bearbeiten(self) -> None:
        """Record the request, check auth, route it."""
        z = self.zustand
        teile = urllib.parse.urlsplit(self.path)
        laenge = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(laenge) if laenge else b""
        z.anfragen.append(
            Anfrage(self.command, teile.path, urllib.parse.parse_qs(teile.query), dict(self.headers.items()), body)
        )
        if z.verzoegerung:
            threading.Event().wait(z.verzoegerung)
        if z.umleitung:
            return self._antwort(302, kopfzeilen={"Location": z.umleitung})
        erwartet = "Basic " + base64.b64encode(f"{z.mandant}:{z.api_key}".encode()).decode()
        if self.headers.get("Authorization") != erwartet:
            return self._antwort(401, {"error": "Unauthorized"}, {"WWW-Authenticate": 'Basic realm="fs"'})
        if z.erzwungener_status:
            return self._antwort(z.erzwungener_status, {"error": "erzwungen"})
        if not teile.path.startswith(z.prefix + "submission/"):
            return self._antwort(404, {"error": "not found"})
        segmente = [urllib.parse.unquote(s) for s in teile.path[len(z.prefix + "submission/") :].split("/")]
        if segmente[0] != z.mandant:
            return self._antwort(403, {"error": "falscher Mandant"})
        if self.command == "GET" and len(segmente) == 2:
            gewuenscht = {s for wert in urllib.parse.parse_qs(teile.query).get("status", []) for s in wert.split(",")}
            liste = [
                metadaten(obj)
                for (formnr, _), obj in z.daten.items()
                if formnr == segmente[1] and (not gewuenscht or obj["status"] in gewuenscht)
            ]
            return self._antwort(200, liste)
        if self.command == "GET" and len(segmente) == 3:
            obj = z.daten.get((segmente[1], segmente[2]))
            return self._antwort(200, obj) if obj else self._antwort(404, {"error": "unbekannt"})
        if self.command in ("PUT", "POST") and len(segmente) == 4 and segmente[3] == "status":
            obj = z.daten.get((segmente[1], segmente[2]))
            if not obj:
                return self._antwort(404, {"error": "unbekannt"})
            neu = json.loads(body)["status"] if body else urllib.parse.parse_qs(teile.query)["status"][0]
            obj["status"] = neu
            z.status_meldungen.append((self.command, segmente[1], segmente[2], neu))
            return self._antwort(204)
        return self._antwort(405, {"error": "method not allowed"})

    do_GET = do_PUT = do_POST = _bearbeiten  # noqa: N815


class _LeiserServer(ThreadingHTTPServer):
    """Does not print tracebacks when a client hangs up early (timeout and size-limit tests do)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore connection errors caused by the client closing first."""


def standin_starten(zustand: StandinZustand | None = None) -> tuple[ThreadingHTTPServer, StandinZustand, str]:
    """Start the stand-in on a free localhost port; returns (server, state, base_url). Call
    ``server.shutdown(); server.server_close()`` when done."""
    zustand = zustand or StandinZustand()
    handler = type("StandinHandler", (_Handler,), {"zustand": zustand})
    server = _LeiserServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, zustand, f"http://127.0.0.1:{server.server_address[1]}"
