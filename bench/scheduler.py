"""Benchmark of the scheduler on PostgreSQL with two scheduler processes (issue 6, item 7).

Part A: N due Wiedervorlagen (default 100,000) fired by two processes, then their outbox mails sent by two
processes. Mail transport: `--mail null` (the app's explicit null transport: the MIME message is built, then
dropped) or `--mail sink` (a local aiosmtpd sink in this process that counts every message it receives).
Part B: M process instances (default 10,000) waiting on a due BPMN timer, fired by two processes through
`app.engine.timers.faellige_timer_ausfuehren`, compared with the raw in-memory SpiffWorkflow timer-firing rate
of the same model in the same run.

    .venv/bin/python bench/scheduler.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres

A throwaway database is created on that server and dropped at the end. Prints a Markdown table.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import time_machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JETZT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _config(url: str, extra: dict | None = None) -> dict:
    """App config of the benchmark: no background scheduler, no process deployment on start."""
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SCHEDULER_ENABLED": False,
        "DEPLOY_PROCESSES_ON_START": False,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": "/tmp/amtsfluss-bench",
        "SCHEDULER_BUDGET_SECONDS": 3600,
        **(extra or {}),
    }


# --- database set-up --------------------------------------------------------------------------------------


def datenbank_anlegen(basis: str) -> str:
    """Create and migrate a fresh database on the server of `basis`; return its URL."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    name = f"amtsfluss_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(basis, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.engine.make_url(basis).set(database=name).render_as_string(hide_password=False)
    app = create_app(_config(url))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    return url


def datenbank_loeschen(basis: str, url: str) -> None:
    """Drop the benchmark database."""
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.create_engine(basis, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def wiedervorlagen_anlegen(url: str, anzahl: int, vorgaenge: int = 1000) -> float:
    """Seed `anzahl` due Wiedervorlagen on `vorgaenge` Vorgänge (two caseworkers); return seconds taken."""
    from sqlalchemy import insert

    from app import create_app
    from app.auth.service import benutzer_anlegen, oe_anlegen
    from app.extensions import db
    from app.vorgaenge.service import anlegen
    from app.wiedervorlagen.models import Wiedervorlage
    from app.wiedervorlagen.service import faelligkeit

    beginn = time.perf_counter()
    app = create_app(_config(url))
    with app.app_context():
        amt = oe_anlegen("Ordnungsamt", "197008", "31005")
        leute = [
            benutzer_anlegen(login, name, "bench-passwort-lang", ["sachbearbeitung"], [amt], email=f"{login}@x.example")
            for login, name in (("sabine", "Sabine Berger"), ("tom", "Tom Krause"))
        ]
        db.session.flush()
        akten = []
        for i in range(vorgaenge):
            v = anlegen(amt, formular_id="gewerbeanmeldung", formular_name="Gewerbeanmeldung")
            v.bearbeiter_id = leute[i % 2].id
            akten.append(v)
        db.session.commit()
        chunk = []
        for i in range(anzahl):
            frist = date(2026, 11, 30) - timedelta(days=i % 7)
            akte = akten[i % vorgaenge]
            chunk.append(
                {
                    "vorgang_id": akte.id,
                    "betreff": f"Wiedervorlage {i}",
                    "beschreibung": "",
                    "frist": frist,
                    "faellig_am": faelligkeit(frist),
                    "erinnerung_faellig_am": faelligkeit(frist),
                    "status": "offen",
                    "herkunft": "manuell",
                    "zugewiesen_an_id": akte.bearbeiter_id,
                    "erstellt_am": JETZT - timedelta(days=30),
                }
            )
            if len(chunk) == 10_000:
                db.session.execute(insert(Wiedervorlage), chunk)
                chunk = []
        if chunk:
            db.session.execute(insert(Wiedervorlage), chunk)
        db.session.commit()
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - beginn


# --- worker processes -------------------------------------------------------------------------------------


def worker(url: str, art: str, config: dict) -> None:
    """One scheduler process: build the app, report ready, wait for "los", work until nothing is left."""
    from app import create_app
    from app.extensions import db
    from app.scheduler import tick

    app = create_app(_config(url, config))
    # the app clock runs from the benchmark's "now" (time-machine; perf_counter is not affected)
    with app.app_context(), time_machine.travel(TIMER_JETZT if art == "timer" else JETZT, tick=True):
        db.session.execute(db.select(1))  # open the connection before the clock starts
        db.session.commit()
        print("bereit", flush=True)
        sys.stdin.readline()
        beginn = time.perf_counter()
        gesamt = 0
        runden = 0
        if art == "timer":
            from app.engine.timers import faellige_timer_ausfuehren

            while True:
                n = faellige_timer_ausfuehren(TIMER_JETZT, limit=int(config.get("LIMIT", 100)))
                gesamt += n
                runden += 1
                if n == 0:
                    break
        else:
            handler = {"feuern": "wiedervorlagen", "mails": "mailausgang"}[art]
            while True:
                ergebnis = tick(nur=[handler])
                if ergebnis[handler] is None:
                    raise SystemExit(f"Handler {handler} fehlgeschlagen")
                gesamt += ergebnis[handler]
                runden += 1
                if ergebnis[handler] == 0:
                    break
        ende = time.perf_counter()
        db.engine.dispose()
    print(json.dumps({"anzahl": gesamt, "sekunden": ende - beginn, "runden": runden, "ende": time.time()}), flush=True)


def zwei_worker(url: str, art: str, config: dict) -> dict:
    """Start two worker processes, release them at once, return wall time and each one's share."""
    befehl = [sys.executable, __file__, "--worker", art, "--db", url, "--config", json.dumps(config)]
    prozesse = [
        subprocess.Popen(befehl, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)
    ]
    for p in prozesse:
        zeile = p.stdout.readline().strip()
        if zeile != "bereit":
            raise SystemExit(f"Worker nicht bereit: {zeile!r}")
    start = time.time()
    for p in prozesse:
        p.stdin.write("los\n")
        p.stdin.flush()
    ergebnisse = []
    for p in prozesse:
        ausgabe = p.stdout.read().strip().splitlines()
        p.wait()
        if p.returncode != 0 or not ausgabe:
            raise SystemExit(f"Worker fehlgeschlagen ({p.returncode})")
        ergebnisse.append(json.loads(ausgabe[-1]))
    return {
        "sekunden": max(e["ende"] for e in ergebnisse) - start,
        "anteile": [e["anzahl"] for e in ergebnisse],
        "runden": [e["runden"] for e in ergebnisse],
    }


# --- checks -----------------------------------------------------------------------------------------------


def wiedervorlagen_pruefen(url: str) -> dict:
    """Count fired, missed and duplicated reminders, notifications, Historie entries and mails."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:

        def zahl(sql: str) -> int:
            """One integer from SQL."""
            return conn.execute(sa.text(sql)).scalar_one()

        werte = {
            "erinnert": zahl("SELECT count(*) FROM wiedervorlage WHERE erinnert_am IS NOT NULL"),
            "verpasst": zahl("SELECT count(*) FROM wiedervorlage WHERE erinnerung_faellig_am IS NOT NULL"),
            "benachrichtigungen": zahl("SELECT count(*) FROM benachrichtigung"),
            "doppelte_benachrichtigungen": zahl(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM benachrichtigung "
                "GROUP BY wiedervorlage_id HAVING count(*) > 1) d"
            ),
            "historie": zahl("SELECT count(*) FROM historie_eintrag WHERE aktion = 'Wiedervorlage fällig'"),
            "mails": zahl("SELECT count(*) FROM mailausgang"),
            "doppelte_mails": zahl(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM mailausgang "
                "GROUP BY wiedervorlage_id HAVING count(*) > 1) d"
            ),
            "gesendet": zahl("SELECT count(*) FROM mailausgang WHERE status = 'gesendet'"),
            "versuche_gesamt": zahl("SELECT coalesce(sum(versuche), 0) FROM mailausgang"),
        }
    engine.dispose()
    return werte


# --- SMTP sink --------------------------------------------------------------------------------------------


_KOPFPARSER = __import__("email.parser").parser.BytesHeaderParser(policy=__import__("email.policy").policy.default)


class Senke:
    """aiosmtpd handler counting messages and duplicate subjects."""

    def __init__(self):
        """Start empty."""
        self.anzahl = 0
        self.betreffe: dict[str, int] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd hook
        """Count the message by its Subject header."""
        self.anzahl += 1
        betreff = _KOPFPARSER.parsebytes(envelope.content)["Subject"]
        self.betreffe[betreff] = self.betreffe.get(betreff, 0) + 1
        return "250 OK"


# --- part B: BPMN timers ----------------------------------------------------------------------------------

#: The model of the timer benchmark: the instance waits on a one-hour timer, then at a user task.
TIMER_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_bench_timer"
    targetNamespace="https://amtsfluss.de/bpmn">
  <bpmn:process id="bench_timer" name="Benchmark Timer" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="warten" />
    <bpmn:intermediateCatchEvent id="warten" name="1 Stunde">
      <bpmn:timerEventDefinition id="timer_warten"><bpmn:timeDuration>'PT1H'</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="warten" targetRef="bearbeiten" />
    <bpmn:userTask id="bearbeiten" name="Bearbeiten" camunda:candidateGroups="sachbearbeitung" />
    <bpmn:sequenceFlow id="f3" sourceRef="bearbeiten" targetRef="ende" />
    <bpmn:endEvent id="ende" />
  </bpmn:process>
</bpmn:definitions>
"""

#: Timers are due at "now + 1 h" of the seeding run; firing runs with the clock a year ahead.
TIMER_JETZT = datetime.now(UTC) + timedelta(days=365)


def timer_instanzen_anlegen(url: str, anzahl: int) -> float:
    """Deploy the timer model and start `anzahl` instances (each on its own Vorgang); return seconds taken."""
    from app import create_app
    from app.auth.service import oe_anlegen
    from app.engine import runner
    from app.engine.registry import deploy_xml
    from app.extensions import db
    from app.vorgaenge.service import anlegen

    beginn = time.perf_counter()
    app = create_app(_config(url))
    with app.app_context():
        deploy_xml(TIMER_BPMN, "bench_timer.bpmn")
        amt = oe_anlegen("Bauamt", "197009", "31006")
        db.session.commit()
        for i in range(anzahl):
            v = anlegen(amt, formular_id="bench", formular_name="Benchmark")
            runner.start(v, "bench_timer")
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - beginn


def timer_roh(url: str, anzahl: int) -> tuple[float, float]:
    """Raw in-memory SpiffWorkflow rates on the same model, with the clock past the due time:
    (a) workflow objects in memory: `refresh_timers()` + `do_engine_steps()` per instance;
    (b) the same plus restoring the state from JSON before and serializing it after (the engine's own
    `zustand_laden` / `zustand_speichern`), i.e. everything the database path does except the database.
    Returns firings per second (a, b)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from app import create_app
    from app.engine.registry import modell_parsen
    from app.engine.serialisierung import zustand_laden, zustand_speichern

    app = create_app(_config(url))
    with app.app_context():
        _key, _name, spec, subprocess_specs = modell_parsen(TIMER_BPMN, "bench_timer.bpmn")
        workflows = []
        for _ in range(anzahl):
            wf = BpmnWorkflow(spec, subprocess_specs)
            wf.do_engine_steps()
            workflows.append(wf)
        zustaende = [zustand_speichern(wf) for wf in workflows]
        with time_machine.travel(TIMER_JETZT, tick=True):
            beginn = time.perf_counter()
            for wf in workflows:
                wf.refresh_timers()
                wf.do_engine_steps()
            nur_feuern = time.perf_counter() - beginn
            beginn = time.perf_counter()
            neu = []
            for zustand in zustaende:
                wf = zustand_laden(zustand, spec, subprocess_specs)
                wf.refresh_timers()
                wf.do_engine_steps()
                neu.append(zustand_speichern(wf))
            mit_json = time.perf_counter() - beginn
        bereit = sum(1 for wf in workflows if wf.get_tasks(state=TaskState.READY))
        if bereit != anzahl or any('"bearbeiten"' not in z for z in neu):
            raise SystemExit(f"Roh-Messung: nur {bereit} von {anzahl} Timern gefeuert")
    return anzahl / nur_feuern, anzahl / mit_json


def timer_pruefen(url: str) -> dict:
    """Instances still waiting, and duplicates (more than one open task per instance)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        werte = {
            "wartend": conn.execute(
                sa.text("SELECT count(*) FROM prozess_instanz WHERE next_timer_due IS NOT NULL")
            ).scalar_one(),
            "aufgaben": conn.execute(sa.text("SELECT count(*) FROM prozess_aufgabe")).scalar_one(),
            "doppelt": conn.execute(
                sa.text(
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM prozess_aufgabe "
                    "GROUP BY instanz_id HAVING count(*) > 1) d"
                )
            ).scalar_one(),
            "vorfaelle": conn.execute(
                sa.text("SELECT count(*) FROM prozess_instanz WHERE zustand_art <> 'aktiv'")
            ).scalar_one(),
        }
    engine.dispose()
    return werte


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--anzahl", type=int, default=100_000)
    parser.add_argument("--timer", type=int, default=10_000)
    parser.add_argument("--mail", choices=("null", "sink"), default="null")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--timer-limit", type=int, default=500, help="instances per timer batch (claim + commit)")
    parser.add_argument("--worker")
    parser.add_argument("--config", default="{}")
    args = parser.parse_args()
    if args.worker:
        worker(args.db, args.worker, json.loads(args.config))
        return
    if not args.db or not args.db.startswith("postgresql"):
        raise SystemExit("Bitte --db postgresql+psycopg://… angeben (oder BENCH_DATABASE_URL setzen).")

    url = datenbank_anlegen(args.db)
    zeilen = []
    try:
        if args.anzahl:  # part A (0 skips it)
            seed = wiedervorlagen_anlegen(url, args.anzahl)
            print(f"# {args.anzahl} Wiedervorlagen angelegt in {seed:.1f} s", file=sys.stderr)
            feuern = zwei_worker(url, "feuern", {"SCHEDULER_BATCH": args.batch})
            mail_config = {"SCHEDULER_BATCH": args.batch, "MAIL_TRANSPORT": "null"}
            controller = None
            senke = None
            if args.mail == "sink":
                from aiosmtpd.controller import Controller

                senke = Senke()
                controller = Controller(senke, hostname="127.0.0.1", port=_freier_port())
                controller.start()
                mail_config = {
                    "SCHEDULER_BATCH": args.batch,
                    "MAIL_TRANSPORT": "smtp",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": controller.port,
                }
            mails = zwei_worker(url, "mails", mail_config)
            if controller:
                controller.stop()
            pruefung = wiedervorlagen_pruefen(url)
            n = args.anzahl
            dup = pruefung["doppelte_benachrichtigungen"] + pruefung["doppelte_mails"]
            if senke:
                dup += sum(v - 1 for v in senke.betreffe.values() if v > 1)
            zeilen.append(
                (
                    "Wiedervorlagen feuern (Claim + Benachrichtigung + Mail in Outbox + Historie), "
                    f"Charge {args.batch}",
                    n,
                    feuern["sekunden"],
                    n / feuern["sekunden"],
                    pruefung["doppelte_benachrichtigungen"],
                    f"Anteile {feuern['anteile']}, verpasst {pruefung['verpasst']}, Historie {pruefung['historie']}",
                )
            )
            zeilen.append(
                (
                    f"Outbox senden ({'aiosmtpd-Senke' if senke else 'Null-Transport'})",
                    pruefung["mails"],
                    mails["sekunden"],
                    pruefung["mails"] / mails["sekunden"],
                    pruefung["doppelte_mails"] + (sum(v - 1 for v in senke.betreffe.values() if v > 1) if senke else 0),
                    f"Anteile {mails['anteile']}, gesendet {pruefung['gesendet']}"
                    + (f", Senke empfing {senke.anzahl}" if senke else ""),
                )
            )
            zeilen.append(
                (
                    "Wiedervorlagen gesamt (feuern + senden)",
                    n,
                    feuern["sekunden"] + mails["sekunden"],
                    n / (feuern["sekunden"] + mails["sekunden"]),
                    dup,
                    "Ziel: 100.000 in ≤ 60 s, 0 Duplikate",
                )
            )
        if args.timer:
            try:
                import app.engine.timers  # noqa: F401
            except ImportError:
                zeilen.append(
                    ("BPMN-Timer", args.timer, float("nan"), float("nan"), 0, "offen: kein app.engine.timers")
                )
            else:
                seed = timer_instanzen_anlegen(url, args.timer)
                print(f"# {args.timer} Prozessinstanzen mit Timer angelegt in {seed:.1f} s", file=sys.stderr)
                lauf = zwei_worker(url, "timer", {"LIMIT": args.timer_limit})
                n_roh = min(args.timer, 5000)
                roh, roh_json = timer_roh(url, n_roh)
                pruefung = timer_pruefen(url)
                rate = args.timer / lauf["sekunden"]
                zeilen.append(
                    (
                        f"BPMN-Timer feuern, 2 Prozesse (faellige_timer_ausfuehren, Charge {args.timer_limit})",
                        args.timer,
                        lauf["sekunden"],
                        rate,
                        pruefung["doppelt"],
                        f"Anteile {lauf['anteile']}, noch wartend {pruefung['wartend']}, "
                        f"Vorfälle {pruefung['vorfaelle']}, offene Aufgaben {pruefung['aufgaben']}",
                    )
                )
                zeilen.append(
                    (
                        "SpiffWorkflow roh (a): Objekte im Speicher, refresh_timers + do_engine_steps, 1 Thread",
                        n_roh,
                        n_roh / roh,
                        roh,
                        0,
                        f"DB-Pfad (2 Prozesse) = {rate / roh:.1%} davon",
                    )
                )
                zeilen.append(
                    (
                        "SpiffWorkflow roh (b): wie (a) + Zustand aus JSON laden und speichern, 1 Thread",
                        n_roh,
                        n_roh / roh_json,
                        roh_json,
                        0,
                        f"DB-Pfad (2 Prozesse) = {rate / roh_json:.0%} davon (Ziel ≥ 50 %)",
                    )
                )
    finally:
        datenbank_loeschen(args.db, url)

    print("| Messung | Anzahl | Sekunden | pro Sekunde | Duplikate | Bemerkung |")
    print("|---|---:|---:|---:|---:|---|")
    for name, anzahl, sekunden, rate, dup, bemerkung in zeilen:
        print(f"| {name} | {_zahl(anzahl)} | {_zahl(sekunden, 1)} | {_zahl(rate)} | {dup} | {bemerkung} |")


def _freier_port() -> int:
    """A free local TCP port for the SMTP sink."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _zahl(wert: float, stellen: int = 0) -> str:
    """German number format: 100.000 and 12,5."""
    if wert != wert:  # NaN: not measured
        return "–"
    text = f"{wert:,.{stellen}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


if __name__ == "__main__":
    main()
