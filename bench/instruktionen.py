"""Instructions per delivery, counted by valgrind's callgrind: a figure that a busy machine does not move.

    .venv/bin/python bench/instruktionen.py [--anzahl 40] [--db postgresql] [--checkout DIR ...]

Throughput on two shared cores moves by 20–30 % from run to run (docs/performance.md), so two versions of the
intake are compared here by the instructions the app's process executes per delivery. For each checkout (default:
this one) a fresh database is migrated and set up as in bench/intake.py; then a process under
`valgrind --tool=callgrind --instr-atstart=no` takes `--anzahl` deliveries through the Flask test client and
switches counting on only around them (not imports, migrations, deploy or warm-up). Counted is everything in the
app's process (HTTP parsing, Flask, adapters, ORM, psycopg, SpiffWorkflow), not PostgreSQL's. "roh" is counted the
same way in the same run: the adapter parse plus the SpiffWorkflow start in memory (bench/intake.py's raw rate).
Needs Debian's valgrind; one checkout takes about two minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTEN = ("ozg", "soap", "roh-ozg", "roh-soap")
SOAP = "text/xml; charset=utf-8"


def _zaehlen(an: bool) -> None:
    """Switch callgrind's counting on, or off and write what was counted to the next dump file."""
    for befehl in (["-i", "on"],) if an else (["-i", "off"], ["--dump"]):
        subprocess.run(["callgrind_control", *befehl, str(os.getpid())], check=True, capture_output=True)


def _innen(db: str, anzahl: int) -> None:
    """Inside valgrind, in the checkout: set up a database, then count each kind after a warm-up."""
    from bench import intake as b

    basis = Path(tempfile.mkdtemp(prefix="instruktionen-db-"))
    uri, aufraeumen = b._datenbank(db, basis)
    try:
        ozg_auth, if_auth = b._vorbereiten(uri, basis)
        ozg, soap = b._lieferungen(anzahl + 10, 7)
        app = b._app(uri, basis)
        client = app.test_client()

        def senden(pfad: str, body: bytes, typ: str, auth: str) -> None:
            antwort = client.post(pfad, data=body, headers={"Authorization": auth, "Content-Type": typ})
            if antwort.status_code not in (200, 201):
                raise SystemExit(f"{pfad}: {antwort.status_code} {antwort.data[:200]!r}")

        for anfragen in (
            [("/antrag", body, typ, ozg_auth) for body, typ in ozg],
            [("/intelliform/deposit", body, SOAP, if_auth) for body in soap],
        ):
            for anfrage in anfragen[anzahl:]:
                senden(*anfrage)
            _zaehlen(True)
            for anfrage in anfragen[:anzahl]:
                senden(*anfrage)
            _zaehlen(False)
        _roh(app, ozg, soap, anzahl)
    finally:
        aufraeumen()
        shutil.rmtree(basis, ignore_errors=True)


def _roh(app, ozg: list, soap: list, n: int) -> None:
    """The raw baseline: adapter parse + SpiffWorkflow start to the first wait state, in memory."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from app.engine import registry
    from app.engine.routing import verfahren_fuer
    from app.engine.skripte import Kontext, script_engine
    from app.intake.parsen import antrag_parsen
    from app.vorgaenge.models import Vorgang

    with app.app_context():
        modelle = {}
        for datei in sorted(Path("processes").glob("*.bpmn")):
            key, _name, spec, subs = registry.modell_parsen(datei.read_bytes(), str(datei))
            modelle[key] = (spec, subs)

        def einmal(adapter: str, body: bytes, typ: str) -> None:
            antrag = antrag_parsen(adapter, body, typ)
            spec, subs = modelle[verfahren_fuer(antrag.kopf.formular_id or "", antrag.kopf.leika_ids)]
            vorgang = Vorgang(nummer="31005-BENCH1", status="Neu", formular_id=antrag.kopf.formular_id or "")
            vorgang.formulardaten = [f.to_dict() for f in antrag.formulardaten]
            workflow = BpmnWorkflow(spec, subs)
            workflow.script_engine = script_engine(Kontext(vorgang, None))
            workflow.do_engine_steps()

        for liste in ([("ozgcloud", b, t) for b, t in ozg], [("intelliform", b, SOAP) for b in soap]):
            for eintrag in liste[n:]:
                einmal(*eintrag)
            _zaehlen(True)
            for eintrag in liste[:n]:
                einmal(*eintrag)
            _zaehlen(False)


def _messen(checkout: Path, db: str, anzahl: int) -> dict[str, int]:
    """Instructions per delivery (and per raw parse + start) of one checkout: one process under callgrind."""
    ausgabe = Path(tempfile.mkdtemp(prefix="instruktionen-"))
    datei = ausgabe / "cg.out"
    befehl = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={datei}",
        str(checkout / ".venv/bin/python"),
        str(Path(__file__).resolve()),
        "--innen",
        f"--db={db}",
        f"--anzahl={anzahl}",
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(checkout))
    try:
        lauf = subprocess.run(befehl, cwd=checkout, env=env, capture_output=True, text=True)
        if lauf.returncode != 0:
            raise SystemExit(f"callgrind-Lauf in {checkout} fehlgeschlagen:\n{lauf.stderr[-3000:]}")
        summen = []
        for nummer in range(1, len(ARTEN) + 1):
            text = Path(f"{datei}.{nummer}").read_text()
            summen.append(int(next(z for z in text.splitlines() if z.startswith("totals:")).split()[1]))
    finally:
        shutil.rmtree(ausgabe, ignore_errors=True)
    return {art: summe // anzahl for art, summe in zip(ARTEN, summen, strict=True)}


def main() -> None:
    """Count each checkout and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anzahl", type=int, default=40, help="counted deliveries per kind")
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--checkout", action="append", type=Path, help="a checkout with its own .venv (repeatable)")
    parser.add_argument("--innen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.innen:
        _innen(args.db, args.anzahl)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind fehlt (Debian: apt-get install valgrind)")
    zeilen = []
    for checkout in [c.resolve() for c in args.checkout or [ROOT]]:
        print(f"Zähle {checkout} ({args.anzahl} Lieferungen je Art, {args.db}) …", flush=True)
        zeilen.append((checkout, _messen(checkout, args.db, args.anzahl)))
    print()
    print(f"Millionen Instruktionen je Lieferung im App-Prozess (callgrind, {args.db}; PostgreSQL nicht mitgezählt)")
    print(f"{'Checkout':<32} {'OZG':>7} {'SOAP':>7} {'roh OZG':>8} {'roh SOAP':>9} {'OZG/roh':>8}")
    for checkout, z in zeilen:
        print(
            f"{str(checkout)[-32:]:<32} {z['ozg'] / 1e6:>7.1f} {z['soap'] / 1e6:>7.1f} "
            f"{z['roh-ozg'] / 1e6:>8.1f} {z['roh-soap'] / 1e6:>9.1f} {z['ozg'] / z['roh-ozg']:>8.1f}"
        )


if __name__ == "__main__":
    main()
