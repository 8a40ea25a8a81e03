"""All benchmarks in one command: `make bench` (= `python -m bench`).

    .venv/bin/python -m bench [--quick | --voll] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                              [--nur engine,intake,scheduler,inbox,fuzz,stoerung,postfach]

`--quick` (the default) runs every benchmark in a small variant, so the whole run takes a few minutes on the
2-core development machine; `--voll` runs the sizes the issues name (engine 300 instances per model; intake 600
deliveries per kind; scheduler 100,000 Wiedervorlagen and 10,000 BPMN timers; inbox 1,000,000 Vorgänge — that
one alone takes long). Each benchmark runs as its own process with its own throwaway databases and prints its
own table; this driver only chooses sizes and collects the output. The PostgreSQL parts need a reachable server
(`--pg`, default `BENCH_DATABASE_URL` or the local one); without it only SQLite parts run. See
docs/performance.md for what each number means and the targets.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_STANDARD = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_erreichbar(url: str) -> bool:
    """True when the PostgreSQL server of `url` accepts a connection."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def laeufe(quick: bool, pg: str | None) -> list[tuple[str, list[str], dict]]:
    """(name, command line, extra environment) of each benchmark in the chosen variant."""
    python = sys.executable
    dbs = "sqlite,postgresql" if pg else "sqlite"
    env = {"BENCH_DATABASE_URL": pg or "", "BENCH_PG_URL": pg or ""}
    laeufe = [
        ("engine", [python, "-m", "bench.engine", "--n", "100" if quick else "300", "--pg", pg or ""], env),
        ("intake", [python, "bench/intake.py", "--anzahl", "150" if quick else "600", "--db", dbs], env),
    ]
    if pg:
        groessen = ["--anzahl", "20000", "--timer", "2000"] if quick else ["--anzahl", "100000", "--timer", "10000"]
        laeufe.append(("scheduler", [python, "bench/scheduler.py", "--db", pg, *groessen], env))
    inbox = ["--anzahl", "20000", "--wiederholungen", "10"] if quick else []
    laeufe.append(("inbox", [python, "bench/inbox.py", "--db", dbs, *inbox], env))
    laeufe.append(("fuzz", [python, "bench/fuzz.py", "--anzahl", "1000" if quick else "10000"], env))
    if pg:
        laeufe.append(("stoerung", [python, "bench/stoerung.py", "--anzahl", "100" if quick else "300"], env))
        postfach = ["--pdf", "10", "--nachrichten", "200"] if quick else []
        laeufe.append(("postfach", [python, "bench/postfach.py", "--db", pg, *postfach], env))
    return laeufe


def main() -> None:
    """Run the chosen benchmarks one after the other and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    variante = parser.add_mutually_exclusive_group()
    variante.add_argument("--quick", action="store_true", default=True, help="small sizes, a few minutes (default)")
    variante.add_argument("--voll", action="store_true", help="the sizes the issues name (long)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", PG_STANDARD))
    parser.add_argument(
        "--nur", default="", help="comma-separated subset: engine,intake,scheduler,inbox,fuzz,stoerung,postfach"
    )
    args = parser.parse_args()
    pg = args.pg if args.pg and _postgres_erreichbar(args.pg) else None
    if pg is None:
        print("PostgreSQL nicht erreichbar: nur SQLite, ohne Scheduler-Benchmark.", flush=True)
    auswahl = {n.strip() for n in args.nur.split(",") if n.strip()}
    fehler = []
    for name, befehl, env in laeufe(not args.voll, pg):
        if auswahl and name not in auswahl:
            continue
        print(f"\n## {name} ({'voll' if args.voll else 'quick'}): {' '.join(befehl[1:])}\n", flush=True)
        beginn = time.perf_counter()
        ergebnis = subprocess.run(befehl, cwd=ROOT, env={**os.environ, **env}, check=False)  # noqa: S603
        print(f"\n({name}: {time.perf_counter() - beginn:.0f} s, Exit-Code {ergebnis.returncode})", flush=True)
        if ergebnis.returncode != 0:
            fehler.append(name)
    if fehler:
        raise SystemExit(f"Fehlgeschlagen: {', '.join(fehler)}")


if __name__ == "__main__":
    main()
