"""Benchmark of the engine (issue 3, item 10): raw SpiffWorkflow vs. the product, SQLite and PostgreSQL.

For the 20-task reference model (`bench/reference-20-tasks.bpmn`) and the shipped procedures:
- raw: SpiffWorkflow in memory, start to the first user task (spec parsed once) — without serialization (the
  baseline issue 3 names), with `serialize_json` of the whole workflow (spec embedded, as SpiffWorkflow stores it
  by default), and with the engine's own state serialization `zustand_speichern` (exactly the serialization the
  product's start includes; the fair baseline for "what does persistence cost");
- product: `app.engine.runner.start` + commit per instance (state without spec, open-task rows, Historie);
- round trip: `app.engine.runner.abschliessen` of the first user task = load + complete + save + commit;
- bytes of stored state per instance (after start and after the first task), vs. SpiffWorkflow's JSON.

The start rates are measured in rounds — raw A, raw B, raw + JSON, product, one right after the other on n/10
instances each, every start timed on its own — and the medians of the rates (1 / median start time of a round) and
of the per-round ratios are printed, so a ratio never compares a raw run and a product run made under different
machine load (the machine is shared and noisy); the throughput ratio (starts / total time) is printed beside it.

    .venv/bin/python -m bench.engine [--n 300] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A throwaway SQLite file and a throwaway PostgreSQL database are created and removed. Prints a Markdown table.
Without a reachable PostgreSQL server (or with `--pg ''`) only SQLite is measured.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENZ = ROOT / "bench" / "reference-20-tasks.bpmn"
#: key → (file, data for the first user task)
#: rounds of the start comparison (each: raw A, raw B, raw + JSON, product on n / RUNDEN instances)
RUNDEN = 10
MODELLE = {
    "bench": (REFERENZ, {"wiedervorlage": "2999-01-01T00:00:00+00:00", "bemerkung": "ok"}),
    "allgemeines_verfahren": (ROOT / "processes" / "allgemeines_verfahren.bpmn", {"entscheidung": "annehmen"}),
    "baumfaellung": (ROOT / "processes" / "baumfaellung.bpmn", {"entscheidung": "annehmen"}),
}


def _config(url: str, instanz: str) -> dict:
    """App config: no scheduler, no deployment on start."""
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SCHEDULER_ENABLED": False,
        "DEPLOY_PROCESSES_ON_START": False,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": instanz,
    }


def p95(werte: list[float]) -> float:
    """95th percentile (nearest rank)."""
    geordnet = sorted(werte)
    return geordnet[max(0, int(round(0.95 * len(geordnet))) - 1)]


def roh_starter(pfad: Path, key: str):
    """Raw SpiffWorkflow in memory: a function `einmal(speichern)` that starts one instance to the first user task
    and returns the workflow (speichern ""), SpiffWorkflow's `serialize_json` ("json") or our state ("zustand");
    plus the parsed spec, its subprocess specs and SpiffWorkflow's serializer."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

    from app.engine.serialisierung import zustand_speichern
    from app.engine.skripte import script_engine

    parser = CamundaParser()
    parser.add_bpmn_file(str(pfad))
    spec, subs = parser.get_spec(key), parser.get_subprocess_specs(key)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    # the reference model runs with SpiffWorkflow's own script engine; the shipped models need our API
    engine = PythonScriptEngine() if key == "bench" else script_engine(None)

    def einmal(speichern: str = ""):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.do_engine_steps()
        if speichern == "json":
            return serializer.serialize_json(wf)
        return zustand_speichern(wf) if speichern == "zustand" else wf

    return einmal, spec, subs, serializer


def starts_vergleichen(einmal, key: str, ids: list[int], vorgang_klasse) -> dict:
    """Start rates of raw A, raw B, raw + JSON and the product (on the Vorgänge `ids`), in rounds.

    Each round runs the four one right after the other, so each ratio compares runs under the same machine load.
    Every start is timed on its own; a round's rate is 1 / its median start time, so a stall caused by another job
    on the shared machine does not decide the result. Returned are the medians over the rounds of every rate and of
    the ratios product/A and product/B, plus the throughput ratio product/A (starts / total time, stalls included).
    """
    from app.engine import runner
    from app.extensions import db

    offen = iter(ids)

    def produkt_einmal() -> float:
        """One start as the intake does it: a fresh session, one transaction per Vorgang; returns seconds."""
        db.session.expunge_all()
        vorgang = db.session.get(vorgang_klasse, next(offen))
        t0 = time.perf_counter()
        runner.start(vorgang, key)
        db.session.commit()
        return time.perf_counter() - t0

    messen = {
        "roh": lambda: _dauer(einmal),
        "roh_mit_zustand": lambda: _dauer(lambda: einmal("zustand")),
        "roh_mit_json": lambda: _dauer(lambda: einmal("json")),
        "start": produkt_einmal,
    }
    runden: dict[str, list[float]] = {name: [] for name in messen}
    summen = dict.fromkeys(messen, 0.0)
    je_runde = max(1, len(ids) // RUNDEN)
    for _ in range(RUNDEN):
        for name, einzeln in messen.items():
            dauern = [einzeln() for _ in range(je_runde)]
            runden[name].append(1 / statistics.median(dauern))
            summen[name] += sum(dauern)
    ergebnis = {name: statistics.median(werte) for name, werte in runden.items()}
    ergebnis["anteil_a"] = statistics.median(p / a for p, a in zip(runden["start"], runden["roh"], strict=True))
    ergebnis["anteil_b"] = statistics.median(
        p / b for p, b in zip(runden["start"], runden["roh_mit_zustand"], strict=True)
    )
    ergebnis["anteil_a_durchsatz"] = summen["roh"] / summen["start"]
    return ergebnis


def _dauer(funktion) -> float:
    """Seconds one call of `funktion()` takes."""
    t0 = time.perf_counter()
    funktion()
    return time.perf_counter() - t0


def laden_messen(einmal, spec, subs, serializer, n: int) -> dict:
    """Stored bytes and load time: SpiffWorkflow's deserialize_json (restores the spec) vs. state + cached spec."""
    from app.engine.serialisierung import zustand_laden, zustand_speichern

    json_text = einmal("json")
    zustand = zustand_speichern(serializer.deserialize_json(json_text))
    return {
        "roh_bytes": len(json_text.encode()),
        "laden_roh_ms": _dauer_ms(lambda: serializer.deserialize_json(json_text), n),
        "laden_ms": _dauer_ms(lambda: zustand_laden(zustand, spec, subs), n),
    }


def _dauer_ms(funktion, n: int) -> float:
    """Median duration of `funktion()` in milliseconds over n calls."""
    zeiten = []
    for _ in range(n):
        t0 = time.perf_counter()
        funktion()
        zeiten.append((time.perf_counter() - t0) * 1000)
    return statistics.median(zeiten)


def boden_messen(zustand: str, n: int) -> dict:
    """The least any durable start costs on this database: INSERT of one stored state into a bare table (key +
    text, compressed like the product's column) and COMMIT, on the DBAPI connection; medians in ms."""
    from app.extensions import db

    tabelle = f"bench_boden_{uuid.uuid4().hex[:8]}"
    roh = db.engine.raw_connection()
    try:
        cursor = roh.cursor()
        cursor.execute(f"CREATE TABLE {tabelle} (id integer PRIMARY KEY, zustand text)")
        if db.engine.dialect.name == "postgresql":
            try:
                cursor.execute(f"ALTER TABLE {tabelle} ALTER COLUMN zustand SET COMPRESSION lz4")
            except Exception:  # noqa: BLE001 — a server without lz4 keeps pglz, as the product's migration does
                roh.rollback()
                cursor.execute(f"CREATE TABLE {tabelle} (id integer PRIMARY KEY, zustand text)")
        roh.commit()
        platz = "%s" if db.engine.dialect.paramstyle in ("format", "pyformat") else "?"
        einfuegen, festschreiben = [], []
        anweisung = f"INSERT INTO {tabelle} (id, zustand) VALUES ({platz}, {platz})"  # noqa: S608 — own table name
        for nummer in range(n):
            t0 = time.perf_counter()
            cursor.execute(anweisung, (nummer, zustand))
            t1 = time.perf_counter()
            roh.commit()
            einfuegen.append(t1 - t0)
            festschreiben.append(time.perf_counter() - t1)
        cursor.execute(f"DROP TABLE {tabelle}")
        roh.commit()
    finally:
        roh.close()
    return {
        "boden_insert_ms": statistics.median(einfuegen) * 1000,
        "boden_commit_ms": statistics.median(festschreiben) * 1000,
    }


def produkt_messen(url: str, n: int) -> dict:
    """The product on one database: start rate, task round trip, stored bytes — for every model."""
    from app import create_app
    from app.auth.models import Benutzer
    from app.auth.service import benutzer_anlegen, oe_anlegen
    from app.engine import runner
    from app.engine.aufgaben import offene_aufgaben
    from app.engine.models import ProzessInstanz
    from app.engine.registry import deploy_xml
    from app.extensions import db
    from app.organisation.models import Organisationseinheit
    from app.vorgaenge.service import anlegen

    app = create_app(_config(url, tempfile.mkdtemp(prefix="amtsfluss-bench-")))
    ergebnisse = {}
    with app.app_context():
        for pfad, _daten in MODELLE.values():
            deploy_xml(pfad.read_bytes(), str(pfad))
        amt = oe_anlegen("Bench-Amt", f"b{uuid.uuid4().hex[:6]}", "31005")
        benutzer = benutzer_anlegen(
            f"bench{uuid.uuid4().hex[:6]}", "Bench Nutzer", "Messlauf-Engine-2026!", ["sachbearbeitung"], [amt]
        )
        db.session.commit()
        benutzer_id, amt_id = benutzer.id, amt.id
        for key, (pfad, daten) in MODELLE.items():
            einmal, spec, subs, serializer = roh_starter(pfad, key)
            vorgaenge = []
            amt = db.session.get(Organisationseinheit, amt_id)
            for _ in range(n):
                vorgaenge.append(anlegen(amt, formular_id="bench"))
            db.session.commit()
            ids = [v.id for v in vorgaenge]
            vorgang_klasse = type(vorgaenge[0])
            einmal(), einmal("json"), einmal("zustand")  # warm-up
            runner.start(db.session.get(vorgang_klasse, ids[0]), key)  # warm-up (spec cache, statements)
            db.session.commit()
            roh = starts_vergleichen(einmal, key, ids[1:], vorgang_klasse)
            roh.update(laden_messen(einmal, spec, subs, serializer, n))
            zustaende = db.session.scalars(db.select(ProzessInstanz.zustand)).all()
            bytes_start = statistics.median(len(z.encode()) for z in zustaende)
            roh.update(boden_messen(zustaende[0], n))
            # round trip: complete the first open task of each instance
            aufgaben = {a.vorgang_id: a.task_id for a in offene_aufgaben()}
            zeiten = []
            for vorgang_id in (i for i in ids if i in aufgaben):  # the started ones (rounds may leave a rest)
                db.session.expunge_all()  # a fresh request: nothing of the case is in the session …
                benutzer = db.session.get(Benutzer, benutzer_id)  # … except the user, loaded by Flask-Login
                benutzer.oe_ids  # noqa: B018
                t0 = time.perf_counter()
                runner.abschliessen(aufgaben[vorgang_id], daten, benutzer)
                zeiten.append((time.perf_counter() - t0) * 1000)
            zeiten = zeiten[1:]
            zustaende = db.session.scalars(
                db.select(ProzessInstanz.zustand).where(ProzessInstanz.vorgang_id.in_(ids))
            ).all()
            ergebnisse[key] = {
                **roh,
                "start": roh["start"],
                "rt_median": statistics.median(zeiten),
                "rt_p95": p95(zeiten),
                "bytes_start": bytes_start,
                "bytes_nach": statistics.median(len(z.encode()) for z in zustaende),
            }
            db.session.execute(db.delete(ProzessInstanz))  # keep the tables small for the next model
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ergebnisse


def sqlite_url() -> tuple[str, str]:
    """A migrated throwaway SQLite file."""
    ordner = tempfile.mkdtemp(prefix="amtsfluss-bench-")
    url = f"sqlite:///{ordner}/bench.db"
    _migrieren(url)
    return url, ordner


def _migrieren(url: str) -> None:
    """Run all migrations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app(_config(url, tempfile.mkdtemp(prefix="amtsfluss-bench-")))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def postgres_anlegen(basis: str) -> str | None:
    """A migrated throwaway database on the server of `basis` (None when unreachable)."""
    import sqlalchemy as sa

    name = f"amtsfluss_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(basis, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except sa.exc.OperationalError as error:
        print(f"PostgreSQL nicht erreichbar ({error.__class__.__name__}); nur SQLite.", file=sys.stderr)
        return None
    url = sa.engine.make_url(basis).set(database=name).render_as_string(hide_password=False)
    _migrieren(url)
    return url


def postgres_loeschen(basis: str, url: str) -> None:
    """Drop the throwaway database."""
    import sqlalchemy as sa

    admin = sa.create_engine(basis, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    """Measure and print the table."""
    import logging

    logging.disable(logging.WARNING)
    argumente = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    argumente.add_argument("--n", type=int, default=300, help="instances per model and database")
    argumente.add_argument(
        "--pg", default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    args = argumente.parse_args()

    datenbanken = {}
    url, _ordner = sqlite_url()
    datenbanken["SQLite"] = produkt_messen(url, args.n)
    pg_url = postgres_anlegen(args.pg) if args.pg else None
    if pg_url:
        try:
            datenbanken["PostgreSQL"] = produkt_messen(pg_url, args.n)
        finally:
            postgres_loeschen(args.pg, pg_url)

    print(
        f"\nEngine-Benchmark, {args.n} Instanzen je Modell und Datenbank, ein Thread. Basis A = roh im Speicher "
        "ohne Serialisierung (Issue 3), Basis B = roh + zustand_speichern (dieselbe Serialisierung wie im "
        f"Produkt); Start in {RUNDEN} Runden abwechselnd roh A, roh B, roh+JSON, Produkt gemessen, jeder Start "
        "einzeln: Rate einer Runde = 1 / Median der Startdauer; Raten und Anteile sind Mediane über die Runden "
        "(jeder Anteil vergleicht Läufe unter derselben Last). 'Durchsatz' = Starts / Gesamtzeit, "
        "Stockungen durch Fremdlast eingeschlossen. 'Boden' = INSERT des gespeicherten Zustands in eine nackte "
        "Tabelle + COMMIT über die DBAPI-Verbindung: das Mindeste, was ein dauerhafter Start kostet.\n"
    )
    print(
        "| Modell | DB | roh Start/s (A) | roh+SpiffWorkflow-JSON Start/s | roh+Zustand Start/s (B) | "
        "Produkt Start/s | Produkt/A | Produkt/B | Produkt/A Durchsatz | Runde Median ms | Runde p95 ms | "
        "Zustand Bytes (Start / nach 1 Aufgabe) | SpiffWorkflow-JSON Bytes | "
        "Laden ms (deserialize_json / Zustand + Spec-Cache) | Boden ms (INSERT + COMMIT) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in MODELLE:
        for db_name, werte in datenbanken.items():
            w = werte[key]
            print(
                f"| {key} | {db_name} | {w['roh']:.0f} | {w['roh_mit_json']:.0f} | {w['roh_mit_zustand']:.0f} | "
                f"{w['start']:.0f} | {w['anteil_a']:.0%} | {w['anteil_b']:.0%} | {w['anteil_a_durchsatz']:.0%} | "
                f"{w['rt_median']:.2f} | {w['rt_p95']:.2f} | "
                f"{w['bytes_start']:.0f} / {w['bytes_nach']:.0f} | {w['roh_bytes']} | "
                f"{w['laden_roh_ms']:.2f} / {w['laden_ms']:.2f} | "
                f"{w['boden_insert_ms']:.2f} + {w['boden_commit_ms']:.2f} |"
            )


if __name__ == "__main__":
    main()
