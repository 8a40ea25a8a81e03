"""Fault runs of the intake: bursts of deliveries while processes die and database connections drop.

    .venv/bin/python bench/stoerung.py [--anzahl 300] [--clients 4] [--nur worker,master,datenbank]

Each scenario gets a fresh PostgreSQL database (`BENCH_PG_URL`, default the local server) and a real gunicorn
with 2 sync workers. Senders behave like a form service: each delivery (half OZG-Cloud multipart, half
intelliForm SOAP, unique transaction ids) is resent on a connection error, 202, 503 or 500 until it is answered
200/201 (acknowledged) or 120 s have passed. During the burst:

- ``worker``: ``kill -9`` of one gunicorn worker at 20, 40, 60 and 80 % of the deliveries (gunicorn starts new
  ones);
- ``master``: ``kill -9`` of the gunicorn master and its workers at 40 % (the whole server dies mid-request), a
  new gunicorn after 2 s;
- ``datenbank``: ``pg_terminate_backend`` of every connection of the app at 5 moments.

Afterwards the scheduler's recovery tick runs once (as it would within a minute) and the table shows: sent,
resends (connection errors, 202, 503), acknowledged, Eingänge still pending before the tick, Eingänge,
Vorgänge, duplicates (Vorgänge no Eingang points to, Eingänge per transaction id > 1), lost (sent, but no
Eingang with a Vorgang in the end) and stuck (Eingänge still ``ausstehend`` after the tick).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.extensions import db  # noqa: E402
from app.intake.models import AUSSTEHEND, VERARBEITET, Eingang  # noqa: E402
from app.intake.parsen import transaktions_id_suchen  # noqa: E402
from app.intake.simulation import intelliform_lieferung, ozg_lieferung  # noqa: E402
from app.intake.verarbeitung import ausstehende_verarbeiten  # noqa: E402
from app.timeutil import utcnow  # noqa: E402
from app.vorgaenge.models import Vorgang  # noqa: E402
from bench.intake import PG_STANDARD, SOAP, Server, _app, _datenbank, _vorbereiten  # noqa: E402

SZENARIEN = ("worker", "master", "datenbank")
WIEDERHOLEN = {202, 500, 502, 503}


class Burst:
    """The senders and what they saw."""

    def __init__(self, lieferungen: list[tuple[str, bytes, str, str]], port: int) -> None:
        """``lieferungen``: (path, body, Content-Type, Authorization) each."""
        self.lieferungen = lieferungen
        self.port = port
        self.bestaetigt = 0
        self.fertig = 0
        self.wiederholt = 0
        self.abgelehnt: list[int] = []
        self.sperre = threading.Lock()

    def _einmal(self, pfad: str, body: bytes, typ: str, auth: str) -> int | None:
        """One POST; None on a connection error."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("POST", pfad, body=body, headers={"Content-Type": typ, "Authorization": auth})
            status = conn.getresponse().status
            conn.close()
            return status
        except (OSError, http.client.HTTPException):
            return None

    def senden(self, lieferung: tuple[str, bytes, str, str]) -> None:
        """Send until acknowledged (or 120 s passed), like a form service that retries."""
        frist = time.monotonic() + 120
        while time.monotonic() < frist:
            status = self._einmal(*lieferung)
            if status in (200, 201):
                with self.sperre:
                    self.bestaetigt += 1
                break
            if status is not None and status not in WIEDERHOLEN:
                with self.sperre:
                    self.abgelehnt.append(status)
                break
            with self.sperre:
                self.wiederholt += 1
            time.sleep(0.3)
        with self.sperre:
            self.fertig += 1


def _lieferungen(anzahl: int, ozg_auth: str, if_auth: str) -> list[tuple[str, bytes, str, str]]:
    """Half OZG-Cloud, half intelliForm, small attachments, unique transaction ids."""
    rnd = random.Random(13)
    ergebnis = []
    for i in range(anzahl):
        if i % 2 == 0:
            body, typ = ozg_lieferung(rnd, transaktions_id=f"stoerung-{uuid.uuid4()}", anhang_bytes=5000)
            ergebnis.append(("/antrag", body, typ, ozg_auth))
        else:
            body = intelliform_lieferung(rnd, transaktions_id=str(rnd.getrandbits(62)), anhang_bytes=5000)
            ergebnis.append(("/intelliform/deposit", body, SOAP, if_auth))
    return ergebnis


def _verbindungen_kappen(uri: str) -> int:
    """pg_terminate_backend of every other connection to the bench database; the number terminated."""
    engine = sa.create_engine(uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        anzahl = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    return int(anzahl or 0)


def _stoeren(szenario: str, burst: Burst, server: list[Server], uri: str, instanz: Path, protokoll: list[str]):
    """Inject the scenario's faults while the burst runs (called in its own thread)."""
    anzahl = len(burst.lieferungen)

    def warten_bis(anteil: float) -> None:
        while burst.fertig < anteil * anzahl:
            time.sleep(0.05)

    if szenario == "worker":
        for anteil in (0.2, 0.4, 0.6, 0.8):
            warten_bis(anteil)
            opfer = server[0].prozesse()[:1]
            for pid in opfer:
                os.kill(pid, signal.SIGKILL)
            protokoll.append(f"kill -9 Worker {opfer} bei {burst.fertig}/{anzahl}")
    elif szenario == "master":
        warten_bis(0.4)
        alt = server[0]
        worker = alt.prozesse()
        os.kill(alt.proc.pid, signal.SIGKILL)
        for pid in worker:  # the whole server dies mid-request, as in a crash of the machine or container
            os.kill(pid, signal.SIGKILL)
        protokoll.append(f"kill -9 Master {alt.proc.pid} und Worker {worker} bei {burst.fertig}/{anzahl}")
        alt.proc.wait()
        time.sleep(2)
        alt.log.close()
        server[0] = Server(uri, instanz, workers=2)
        burst.port = server[0].port
        protokoll.append(f"neuer gunicorn auf Port {burst.port}")
    else:
        for anteil in (0.15, 0.3, 0.45, 0.6, 0.75):
            warten_bis(anteil)
            protokoll.append(f"{_verbindungen_kappen(uri)} Verbindungen gekappt bei {burst.fertig}/{anzahl}")


def _auswerten(uri: str, instanz: Path, transaktionen: list[str]) -> dict[str, int]:
    """Run the recovery tick once, then count Eingänge, Vorgänge, duplicates, lost and stuck."""
    app = _app(uri, instanz)
    with app.app_context():
        vorher = db.session.scalar(sa.select(sa.func.count()).select_from(Eingang).where(Eingang.zustand == AUSSTEHEND))
        db.session.rollback()
        while ausstehende_verarbeiten(utcnow() + timedelta(hours=1), limit=500):
            pass
        zaehlen = db.session.scalar
        eingaenge = zaehlen(sa.select(sa.func.count()).select_from(Eingang))
        vorgaenge = zaehlen(sa.select(sa.func.count()).select_from(Vorgang))
        mit_vorgang = zaehlen(
            sa.select(sa.func.count(sa.distinct(Eingang.vorgang_id))).where(Eingang.vorgang_id.isnot(None))
        )
        doppelte_eingaenge = zaehlen(
            sa.select(sa.func.count()).select_from(
                sa.select(Eingang.transaktions_id)
                .group_by(Eingang.transaktions_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
        erledigt = set(
            db.session.scalars(sa.select(Eingang.transaktions_id).where(Eingang.zustand == VERARBEITET)).all()
        )
        haengend = zaehlen(sa.select(sa.func.count()).select_from(Eingang).where(Eingang.zustand == AUSSTEHEND))
        db.engine.dispose()
    return {
        "ausstehend vor Tick": vorher,
        "Eingänge": eingaenge,
        "Vorgänge": vorgaenge,
        "doppelt": (vorgaenge - mit_vorgang) + doppelte_eingaenge,
        "verloren": sum(1 for t in transaktionen if t not in erledigt),
        "hängend": haengend,
    }


def _transaktions_id(lieferung: tuple[str, bytes, str, str]) -> str:
    """The transaction id inside a prepared delivery."""
    art = "ozgcloud" if lieferung[0] == "/antrag" else "intelliform"
    return transaktions_id_suchen(art, lieferung[1], lieferung[2]) or ""


def szenario_laufen(szenario: str, anzahl: int, clients: int) -> dict:
    """One scenario on a fresh database; returns its table row."""
    os.environ.update(
        AMTSFLUSS_INTAKE_AUSSTEHEND_NACH_SEKUNDEN="2",
        AMTSFLUSS_INTAKE_RETRY_AFTER_SEKUNDEN="1",
        AMTSFLUSS_INTAKE_WIEDERHOLEN_NACH_SEKUNDEN="2",
    )
    with tempfile.TemporaryDirectory() as tmp:
        instanz = Path(tmp)
        uri, aufraeumen = _datenbank("postgresql", instanz)
        try:
            ozg_auth, if_auth = _vorbereiten(uri, instanz)
            lieferungen = _lieferungen(anzahl, ozg_auth, if_auth)
            transaktionen = [_transaktions_id(lf) for lf in lieferungen]
            server = [Server(uri, instanz, workers=2)]
            burst = Burst(lieferungen, server[0].port)
            protokoll: list[str] = []
            stoerer = threading.Thread(target=_stoeren, args=(szenario, burst, server, uri, instanz, protokoll))
            start = time.perf_counter()
            stoerer.start()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(burst.senden, lieferungen))
            stoerer.join()
            dauer = time.perf_counter() - start
            server[0].stop()
            zeile = {
                "Szenario": szenario,
                "gesendet": anzahl,
                "erneut gesendet": burst.wiederholt,
                "bestätigt": burst.bestaetigt,
            }
            zeile |= _auswerten(uri, instanz, transaktionen)
            zeile["abgelehnt"] = len(burst.abgelehnt)
            zeile["Dauer s"] = round(dauer)
            for zeile_text in protokoll:
                print(f"  {szenario}: {zeile_text}", flush=True)
            return zeile
        finally:
            aufraeumen()


def main() -> None:
    """Run the chosen scenarios and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anzahl", type=int, default=300, help="deliveries per scenario")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--nur", default=",".join(SZENARIEN))
    args = parser.parse_args()
    try:
        sa.create_engine(PG_STANDARD).connect().close()
    except sa.exc.OperationalError:
        raise SystemExit(f"PostgreSQL unter {PG_STANDARD} nicht erreichbar (BENCH_PG_URL)") from None
    zeilen = [szenario_laufen(s, args.anzahl, args.clients) for s in args.nur.split(",") if s in SZENARIEN]
    spalten = list(zeilen[0])
    print("\n| " + " | ".join(spalten) + " |")
    print("|" + "|".join("---" if s == "Szenario" else "---:" for s in spalten) + "|")
    for zeile in zeilen:
        print("| " + " | ".join(str(zeile[s]) for s in spalten) + " |")


if __name__ == "__main__":
    main()
