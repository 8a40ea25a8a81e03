"""Intake benchmark: applications per second end to end over HTTP, beside the raw parse + engine-start rate.

    .venv/bin/python bench/intake.py [--anzahl 600] [--clients 4] [--db sqlite,postgresql]

For each database: a fresh, migrated database with the shipped procedures deployed, one OE, two sources; a real
gunicorn with 2 sync workers on a free port; a load generator (threads, one plain socket per request, since
gunicorn's sync workers close after each answer) sending requests encoded before the clock starts:
- OZG-Cloud multipart: ~3 KB formData JSON + 20 KB representation PDF + one 100 KB attachment (Bearer token);
- intelliForm SOAP deposit: ~3 KB myForm XML + one 100 KB PDF, base64 (HTTP Basic, Argon2 on first use).
Every answer must be 201/200; afterwards the number of Vorgänge is checked. Beside the rate, the CPU time per
request of the gunicorn workers, the PostgreSQL backends and the load generator is read from /proc: on 2 shared
cores it says more than the rate, which moves with whatever else runs on the machine. So is the largest worker's
resident memory at the end of each run and its peak (issue 12 asks for ≤ 150 MB per worker under this load).

"raw" is measured in the same run, single thread, in this process: the adapter parse of the same payloads plus
a SpiffWorkflow start of the routed procedure to its first wait state, in memory (no database, no HTTP).
Target (issue 4): ≥ 150 applications/s on PostgreSQL, and end-to-end ≥ 25 % of raw.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

PG_STANDARD = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SOAP = "text/xml; charset=utf-8"


def _freier_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lieferungen(anzahl: int, seed: int) -> tuple[list[tuple[bytes, str]], list[bytes]]:
    """Pre-built OZG multipart bodies and SOAP envelopes (unique transaction ids)."""
    from app.intake.simulation import intelliform_lieferung, ozg_lieferung

    rnd = random.Random(seed)
    ozg = [ozg_lieferung(rnd, transaktions_id=f"bench-{uuid.uuid4()}") for _ in range(anzahl)]
    soap = [intelliform_lieferung(rnd, transaktions_id=str(rnd.getrandbits(62))) for _ in range(anzahl)]
    return ozg, soap


def _app(uri: str, instanz: Path):
    """An app on the bench database (no scheduler)."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "INSTANCE_PATH": str(instanz),
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
            "DEPLOY_PROCESSES_ON_START": False,
        }
    )


def _vorbereiten(uri: str, instanz: Path) -> tuple[str, str]:
    """Migrate, deploy the procedures, create OE, routing and sources; return the two auth headers."""
    import base64

    from flask_migrate import upgrade

    from app.auth.service import oe_anlegen
    from app.engine.registry import deploy_pfad
    from app.extensions import db
    from app.intake.models import IntakeRouting
    from app.intake.zugang import quelle_anlegen

    app = _app(uri, instanz)
    with app.app_context():
        upgrade(revision="heads")
        _ergebnisse, fehler = deploy_pfad(ROOT / "processes")
        if fehler:
            raise SystemExit(f"Deploy fehlgeschlagen: {fehler}")
        amt = oe_anlegen("Ordnungsamt", "197008", "31005")
        db.session.add(IntakeRouting(art="standard", schluessel="*", oe_id=amt.id))
        _q, token = quelle_anlegen("bench-ozg", "ozgcloud")
        _q, passwort = quelle_anlegen("bench-if", "intelliform", benutzername="bench-if")
        db.session.commit()
        db.engine.dispose()
    basic = base64.b64encode(f"bench-if:{passwort}".encode()).decode()
    return f"Bearer {token}", f"Basic {basic}"


def _vorgaenge_zaehlen(uri: str, instanz: Path) -> int:
    """Number of Vorgänge in the bench database."""
    from app.extensions import db
    from app.vorgaenge.models import Vorgang

    app = _app(uri, instanz)
    with app.app_context():
        anzahl = db.session.scalar(sa.select(sa.func.count()).select_from(Vorgang))
        db.engine.dispose()
    return anzahl


def _roh_rate(ozg: list[tuple[bytes, str]], soap: list[bytes], uri: str, instanz: Path) -> dict[str, float]:
    """Single thread, in memory: adapter parse + SpiffWorkflow start to the first wait state, per kind."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from app.engine import registry
    from app.engine.routing import verfahren_fuer
    from app.engine.skripte import Kontext, script_engine
    from app.extensions import db
    from app.intake.parsen import antrag_parsen
    from app.vorgaenge.models import Vorgang

    app = _app(uri, instanz)
    ergebnis = {}
    with app.app_context():
        modelle = {}
        for datei in sorted((ROOT / "processes").glob("*.bpmn")):
            key, _name, spec, subs = registry.modell_parsen(datei.read_bytes(), str(datei))
            modelle[key] = (spec, subs)

        def einmal(art: str, body: bytes, typ: str) -> None:
            antrag = antrag_parsen(art, body, typ)
            key = verfahren_fuer(antrag.kopf.formular_id or "", antrag.kopf.leika_ids)
            spec, subs = modelle[key]
            vorgang = Vorgang(
                nummer="31005-BENCH1",
                status="Neu",
                formular_id=antrag.kopf.formular_id or "",
                formulardaten=[f.to_dict() for f in antrag.formulardaten],
                leika_ids=[],
            )
            workflow = BpmnWorkflow(spec, subs)
            workflow.script_engine = script_engine(Kontext(vorgang, None))
            workflow.do_engine_steps()

        for name, art, liste in (("ozg", "ozgcloud", ozg), ("soap", "intelliform", [(b, SOAP) for b in soap])):
            for body, typ in liste[:20]:  # warm-up
                einmal(art, body, typ)
            start = time.perf_counter()
            for body, typ in liste:
                einmal(art, body, typ)
            ergebnis[name] = len(liste) / (time.perf_counter() - start)
            db.session.rollback()
            db.session.expunge_all()
        db.engine.dispose()
    return ergebnis


class Server:
    """gunicorn with 2 sync workers on a free port."""

    def __init__(self, uri: str, instanz: Path, workers: int = 2, threads: int = 1, app: str = "wsgi:app") -> None:
        """Start `app` and wait until it answers."""
        self.port = _freier_port()
        env = dict(
            os.environ,
            DATABASE_URL=uri,
            SECRET_KEY="bench",
            AMTSFLUSS_SCHEDULER_ENABLED="false",
            AMTSFLUSS_INSTANCE_PATH=str(instanz),
            PYTHONPATH=str(ROOT),
        )
        self.log = open(instanz / "gunicorn.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--threads",
                str(threads),
                "--log-level",
                "warning",
                "--timeout",
                "120",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        frist = time.monotonic() + 60
        while time.monotonic() < frist:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/anmelden")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn startet nicht, siehe {instanz / 'gunicorn.log'}")

    def prozesse(self) -> list[int]:
        """The pids of the gunicorn workers (children of the master)."""
        kinder = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in kinder.read_text().split()] if kinder.exists() else []

    def stop(self) -> None:
        """Terminate gunicorn."""
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def _anfrage_bytes(port: int, pfad: str, body: bytes, typ: str, auth: str) -> bytes:
    """One complete HTTP/1.1 request (head and body) as bytes, built before the clock starts."""
    kopf = (
        f"POST {pfad} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {typ}\r\nAuthorization: {auth}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return kopf.encode("latin-1") + body


def _last(port: int, pfad: str, anfragen: list[tuple[bytes, str, str]], clients: int) -> dict:
    """POST all requests with `clients` threads; return rate, latencies, failures and the generator's CPU.

    The requests are encoded before the clock starts and sent over a plain socket each (gunicorn's sync workers
    close the connection after every answer): the generator shares the 2 cores with the server, so every
    millisecond it spends in http.client would be missing from the measured rate.
    """
    roh = [_anfrage_bytes(port, pfad, body, typ, auth) for body, typ, auth in anfragen]
    zeiten: list[float] = []
    fehler: list[str] = []
    sperre = threading.Lock()

    def senden(anfrage: bytes) -> None:
        beginn = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(anfrage)
            teile = []
            while stueck := sock.recv(65536):
                teile.append(stueck)
        dauer = time.perf_counter() - beginn
        antwort = b"".join(teile)
        status = antwort[9:12]
        with sperre:
            zeiten.append(dauer)
            if status not in (b"200", b"201"):
                fehler.append(f"{status.decode('latin-1')}: {antwort[:300]!r}")

    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(senden, roh))
    gesamt, cpu = time.perf_counter() - start, time.process_time() - cpu
    zeiten.sort()
    return {
        "rate": len(anfragen) / gesamt,
        "median_ms": statistics.median(zeiten) * 1000,
        "p95_ms": zeiten[int(len(zeiten) * 0.95) - 1] * 1000,
        "fehler": fehler,
        "last_cpu_ms": cpu / len(anfragen) * 1000,
    }


def _cpu_sekunden(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc; 0 where unreadable)."""
    summe = 0
    for pid in pids:
        try:
            felder = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        summe += int(felder[11]) + int(felder[12])
    return summe / os.sysconf("SC_CLK_TCK")


def _speicher_mb(pids: list[int], feld: str) -> float:
    """The largest value of a /proc status field among the processes, in MB: `VmRSS` (resident now) or `VmHWM`
    (its peak so far); 0 where unreadable."""
    werte = [0.0]
    for pid in pids:
        try:
            zeilen = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        werte += [int(z.split()[1]) / 1024 for z in zeilen if z.startswith(f"{feld}:")]
    return max(werte)


def _pg_backends(uri: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to the bench database (the gunicorn workers' pools)."""
    if not uri.startswith("postgresql"):
        return []
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        pids = (
            conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return list(pids)


def _gemessen(server: Server, uri: str, pfad: str, anfragen: list, clients: int) -> dict:
    """`_last` plus the CPU the gunicorn workers and the PostgreSQL backends spent per request, and the largest
    worker's resident memory at the end and at its peak so far."""
    pids = server.prozesse(), _pg_backends(uri)
    vorher = [_cpu_sekunden(p) for p in pids]
    ergebnis = _last(server.port, pfad, anfragen, clients)
    nachher = [_cpu_sekunden(p) for p in pids]
    je_anfrage = [(n - v) / len(anfragen) * 1000 for v, n in zip(vorher, nachher, strict=True)]
    ergebnis["server_cpu_ms"], ergebnis["pg_cpu_ms"] = je_anfrage
    ergebnis["rss_mb"], ergebnis["spitze_mb"] = _speicher_mb(pids[0], "VmRSS"), _speicher_mb(pids[0], "VmHWM")
    return ergebnis


def _datenbank(art: str, basis: Path) -> tuple[str, callable]:
    """(URI, clean-up) of a fresh database."""
    if art == "sqlite":
        return f"sqlite:///{basis / 'bench.db'}", lambda: None
    name = f"amtsfluss_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_STANDARD, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    uri = sa.engine.make_url(PG_STANDARD).set(database=name).render_as_string(hide_password=False)

    def aufraeumen() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return uri, aufraeumen


def _boden(ozg: list[tuple[bytes, str]], clients: int, threads: int) -> dict:
    """The same OZG requests against gunicorn serving `bench/leerlauf.py` (no Flask, no database)."""
    print("gunicorn allein (bench/leerlauf.py) …", flush=True)
    basis = Path(tempfile.mkdtemp(prefix="intake-bench-leer-"))
    server = Server("", basis, threads=threads, app="bench.leerlauf:app")
    try:
        return _gemessen(server, "", "/antrag", [(b, t, "Bearer -") for b, t in ozg], clients)
    finally:
        server.stop()
        shutil.rmtree(basis, ignore_errors=True)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anzahl", type=int, default=600, help="deliveries per kind and database")
    parser.add_argument("--clients", type=int, default=4, help="concurrent load-generator threads")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (>1: gthread)")
    args = parser.parse_args()

    last_vorher = f"{os.getloadavg()[0]:.2f}"
    print(f"Erzeuge {args.anzahl} OZG- und {args.anzahl} SOAP-Lieferungen …", flush=True)
    ozg, soap = _lieferungen(args.anzahl, args.seed)
    print(
        f"  OZG-Körper {statistics.mean(len(b) for b, _ in ozg) / 1024:.0f} KB, "
        f"SOAP-Umschlag {statistics.mean(len(b) for b in soap) / 1024:.0f} KB",
        flush=True,
    )

    zeilen = []
    roh = None
    boden = _boden(ozg, args.clients, args.threads)
    for art in args.db.split(","):
        basis = Path(tempfile.mkdtemp(prefix=f"intake-bench-{art}-"))
        uri, aufraeumen = _datenbank(art, basis)
        try:
            ozg_auth, if_auth = _vorbereiten(uri, basis)
            if roh is None:
                print("Roh-Rate (Parsen + Verfahrensstart im Speicher, ein Thread) …", flush=True)
                roh = _roh_rate(ozg, soap, uri, basis)
            server = Server(uri, basis, threads=args.threads)
            try:
                # warm-up: the first deposit pays Argon2 once per worker; both workers import everything
                aufwaermen = [(b, t, ozg_auth) for b, t in _lieferungen(10, args.seed + 1)[0]]
                _last(server.port, "/antrag", aufwaermen, 2)
                aufwaermen = [(b, SOAP, if_auth) for b in _lieferungen(10, args.seed + 2)[1]]
                _last(server.port, "/intelliform/deposit", aufwaermen, 2)
                print(f"[{art}] OZG multipart …", flush=True)
                r_ozg = _gemessen(server, uri, "/antrag", [(b, t, ozg_auth) for b, t in ozg], args.clients)
                print(f"[{art}] intelliForm SOAP …", flush=True)
                r_soap = _gemessen(
                    server, uri, "/intelliform/deposit", [(b, SOAP, if_auth) for b in soap], args.clients
                )
            finally:
                server.stop()
            vorgaenge = _vorgaenge_zaehlen(uri, basis)
            erwartet = 2 * args.anzahl + 20
            for name, r in (("OZG multipart", r_ozg), ("intelliForm SOAP", r_soap)):
                zeilen.append((art, name, r, roh["ozg" if name.startswith("OZG") else "soap"]))
                if r["fehler"]:
                    print(f"  {len(r['fehler'])} Fehler, z. B. {r['fehler'][0]}")
            if vorgaenge != erwartet:
                print(f"  ACHTUNG: {vorgaenge} Vorgänge, erwartet {erwartet}")
        finally:
            aufraeumen()
            shutil.rmtree(basis, ignore_errors=True)

    print()
    worker = "sync" if args.threads == 1 else f"gthread × {args.threads}"
    print(
        f"{args.anzahl} Lieferungen je Art, {args.clients} Client-Threads, gunicorn 2 Worker ({worker}), "
        f"{os.cpu_count()} Kerne"
    )
    print(
        f"{'Datenbank':<11} {'Lieferung':<17} {'Ende-zu-Ende/s':>15} {'Median ms':>10} {'p95 ms':>8} "
        f"{'roh/s':>8} {'Anteil':>7} {'Fehler':>7} {'CPU ms: Worker':>15} {'PG':>5} {'Last':>5} "
        f"{'RSS MB':>7} {'Spitze':>7}"
    )
    for art, name, r, roh_rate in zeilen:
        print(
            f"{art:<11} {name:<17} {r['rate']:>15.1f} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f} "
            f"{roh_rate:>8.1f} {r['rate'] / roh_rate:>7.0%} {len(r['fehler']):>7} "
            f"{r['server_cpu_ms']:>15.2f} {r['pg_cpu_ms']:>5.2f} {r['last_cpu_ms']:>5.2f} "
            f"{r['rss_mb']:>7.0f} {r['spitze_mb']:>7.0f}"
        )
    print(
        f"{'–':<11} {'gunicorn allein':<17} {boden['rate']:>15.1f} {boden['median_ms']:>10.1f} "
        f"{boden['p95_ms']:>8.1f} {'':>8} {'':>7} {len(boden['fehler']):>7} {boden['server_cpu_ms']:>15.2f} "
        f"{'':>5} {boden['last_cpu_ms']:>5.2f} {boden['rss_mb']:>7.0f} {boden['spitze_mb']:>7.0f}"
    )
    print(
        "gunicorn allein = die OZG-Anfragen an bench/leerlauf.py (liest den Körper, antwortet 201): der Boden "
        "unter jeder Lieferung."
    )
    print(
        f"Last vorher {last_vorher}, nachher {os.getloadavg()[0]:.2f} (1-min-Mittel). CPU ms = CPU-Zeit je Anfrage "
        "der gunicorn-Worker, der PostgreSQL-Backends und des Lastgenerators; RSS MB = Speicher des größten "
        "gunicorn-Workers am Ende der Messung (VmRSS), Spitze = sein Höchststand bis dahin (VmHWM; das erste "
        "intelliForm-Passwort prüft Argon2 mit 64 MB)"
    )


if __name__ == "__main__":
    main()
