"""The Form-Solutions poller against a local stand-in form server (a real http.server in a thread)."""

import base64
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app import scheduler
from app.extensions import db
from app.intake.models import FEHLERHAFT, VERARBEITET, Eingang, FormSolutionsMandant, IntakeRouting
from app.intake.simulation import pdf
from app.intake.zugang import quelle_anlegen
from app.vorgaenge.models import Anhang, Vorgang
from tests.adapters.formsolutions_bauen import metadaten, submission_bauen
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge

MANDANT, API_KEY, FORMULAR = "22222222", "geheimer-api-key", "AS_940000"
PFAD = f"/submission/api/v2/submission/{MANDANT}/{FORMULAR}"
FORMULAR_XML = (
    "<formular><antragsteller><vorname>Jana</vorname><nachname>Krüger</nachname><plz>04109</plz>"
    "<ort>Leipzig</ort></antragsteller><baum><art>Linde</art><stammumfang>180</stammumfang></baum></formular>"
).encode()


class FormServer(ThreadingHTTPServer):
    """Holds the submissions and records the requests."""

    def __init__(self) -> None:
        """Listen on a free local port."""
        super().__init__(("127.0.0.1", 0), FormServerHandler)
        self.submissions: dict[str, dict] = {}
        self.anfragen: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        """Server root URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class FormServerHandler(BaseHTTPRequestHandler):
    """The documented endpoints: list by status, detail, status write-back (PUT …/status)."""

    def log_message(self, *_args) -> None:
        """Quiet."""

    def _antwort(self, status: int, daten=None) -> None:
        body = json.dumps(daten).encode() if daten is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _angemeldet(self) -> bool:
        erwartet = "Basic " + base64.b64encode(f"{MANDANT}:{API_KEY}".encode()).decode()
        if self.headers.get("Authorization") != erwartet:
            self._antwort(401, {"error": "Unauthorized"})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        """List (`?status=NEW`) or detail."""
        self.server.anfragen.append(("GET", self.path))
        if not self._angemeldet():
            return
        pfad, _, query = self.path.partition("?")
        if pfad == PFAD:
            status = {teil.split("=", 1)[1] for teil in query.split("&") if teil.startswith("status=")}
            liste = [metadaten(s) for s in self.server.submissions.values() if s["status"] in status]
            return self._antwort(200, liste)
        trans_id = pfad.rsplit("/", 1)[-1]
        if pfad.startswith(PFAD + "/") and trans_id in self.server.submissions:
            return self._antwort(200, self.server.submissions[trans_id])
        return self._antwort(404, {"error": "Not Found"})

    def do_PUT(self) -> None:  # noqa: N802
        """Status write-back."""
        self.server.anfragen.append(("PUT", self.path))
        if not self._angemeldet():
            return
        laenge = int(self.headers.get("Content-Length", 0))
        neu = json.loads(self.rfile.read(laenge))["status"]
        trans_id = self.path.removesuffix("/status").rsplit("/", 1)[-1]
        if trans_id not in self.server.submissions:
            return self._antwort(404, {"error": "Not Found"})
        self.server.submissions[trans_id]["status"] = neu
        return self._antwort(204)


@pytest.fixture
def formserver():
    """A running stand-in form server."""
    server = FormServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _mandant_anlegen(intake, formserver, api_key: str = API_KEY) -> FormSolutionsMandant:
    """A Form-Solutions source with one Mandant polling FORMULAR, routed to the Ordnungsamt."""
    quelle, _ = quelle_anlegen("fs-server", "formsolutions")
    mandant = FormSolutionsMandant(
        quelle_id=quelle.id,
        base_url=formserver.url,
        mandant=MANDANT,
        api_key=api_key,
        formularnummern=[FORMULAR],
        optionen={},
        intervall_sekunden=60,
    )
    db.session.add_all(
        [mandant, IntakeRouting(art="formsolutions_mandant", schluessel=MANDANT, oe_id=intake.ordnungsamt.id)]
    )
    db.session.commit()
    return mandant


def test_poller_imports_new_submissions_reports_them_read_and_keeps_a_broken_one(uhr, app, intake, formserver):
    """Two NEW submissions: the good one becomes a Vorgang and is reported READ; the broken one is stored
    fehlerhaft under its transID and stays NEW; the next round imports nothing twice."""
    gut = submission_bauen(
        f"{FORMULAR}-gut12345",
        formular_xml=FORMULAR_XML,
        pdf=pdf(3000),
        anhaenge=[("lageplan.pdf", "application/pdf", pdf(4000))],
        secure_data={"Origin": "BUNDID", "PostkorbId": "c0ffee00-postkorb"},
    )
    kaputt = submission_bauen(f"{FORMULAR}-kaputt99", formular_xml=FORMULAR_XML)
    kaputt["pdf"] = "@@@ kein base64"
    formserver.submissions = {s["transID"]: s for s in (gut, kaputt)}
    mandant_id = _mandant_anlegen(intake, formserver).id

    jetzt = uhr.jetzt
    assert scheduler.tick(nur=["intake-formsolutions"]) == {"intake-formsolutions": 1}

    vorgang = db.session.scalars(select(Vorgang)).one()
    assert vorgang.oe_id == intake.ordnungsamt.id and not vorgang.zustaendigkeit_pruefen
    assert vorgang.formular_id == FORMULAR and vorgang.antragsteller_name == "Jana Krüger"
    assert vorgang.antragsteller["konto"]["postfach_adresse"] == "c0ffee00-postkorb"
    namen = sorted(db.session.scalars(select(Anhang.dateiname).where(Anhang.vorgang_id == vorgang.id)))
    assert namen == sorted([f"{FORMULAR}-gut12345.pdf", f"{FORMULAR}-gut12345.xml", "lageplan.pdf"])
    eingaenge = {e.transaktions_id: e for e in db.session.scalars(select(Eingang))}
    assert eingaenge[gut["transID"]].zustand == VERARBEITET
    assert eingaenge[kaputt["transID"]].zustand == FEHLERHAFT
    assert eingaenge[kaputt["transID"]].fehler_code == "base64_ungueltig"
    assert (gut["status"], kaputt["status"]) == ("READ", "NEW")
    mandant = db.session.get(FormSolutionsMandant, mandant_id, populate_existing=True)
    assert mandant.letzter_abruf is not None and mandant.naechster_abruf > jetzt

    # not due yet: nothing happens; due again: the broken one is not fetched again, nothing doubles
    anfragen_vorher = len(formserver.anfragen)
    uhr.jetzt = jetzt + timedelta(seconds=10)
    assert scheduler.tick(nur=["intake-formsolutions"]) == {"intake-formsolutions": 0}
    assert len(formserver.anfragen) == anfragen_vorher
    uhr.jetzt = jetzt + timedelta(seconds=61)
    assert scheduler.tick(nur=["intake-formsolutions"]) == {"intake-formsolutions": 0}
    assert ("GET", f"{PFAD}/{kaputt['transID']}") in formserver.anfragen
    assert formserver.anfragen.count(("GET", f"{PFAD}/{kaputt['transID']}")) == 1
    assert (anzahl_eingaenge(), anzahl_vorgaenge()) == (2, 1)


def test_poller_records_a_rejected_api_key_on_the_mandant(app, intake, formserver):
    """A wrong API key: nothing imported, the reason is shown on the Mandant (admin page)."""
    formserver.submissions = {"x": submission_bauen(f"{FORMULAR}-x", formular_xml=FORMULAR_XML)}
    mandant_id = _mandant_anlegen(intake, formserver, api_key="falsch").id
    assert scheduler.tick(nur=["intake-formsolutions"]) == {"intake-formsolutions": 0}
    mandant = db.session.get(FormSolutionsMandant, mandant_id, populate_existing=True)
    assert "401" in mandant.letzter_fehler
    assert anzahl_eingaenge() == 0
