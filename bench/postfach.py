"""Benchmark of issue 16: Bescheid PDF rendering, and Postfach messages through the outbox with two workers.

Part A (in-process, SQLite): a two-page Bescheid (template with text blocks) rendered to PDF/A N times; median
and 95th percentile in ms. Part B (PostgreSQL): M messages (default 1,000) written on Vorgänge through
`app.postfach.service.schreiben` (e-mail, each with a 1-page PDF Anhang), then sent by two scheduler processes
(`bench/scheduler.py` workers, handler `mailausgang`) to a local aiosmtpd sink that counts every message by its
Betreff (each carries its own correlation token); duplicates = mails received more than once.

    .venv/bin/python bench/postfach.py [--pdf 20] [--nachrichten 1000] [--db postgresql+psycopg://…/postgres]
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import time_machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scheduler import (  # noqa: E402 — after the path set-up, like the other benchmarks
    JETZT,
    Senke,
    _config,
    _freier_port,
    _zahl,
    datenbank_anlegen,
    datenbank_loeschen,
    zwei_worker,
)

ABSATZ = (
    "Die untere Naturschutzbehörde hat den Baum am Ortstermin begutachtet. Der Stamm ist im unteren Bereich "
    "morsch, die Standsicherheit ist nicht mehr gegeben; eine Erhaltung durch Pflegeschnitte ist nicht möglich. "
)
VORLAGE = (
    "<p>Sehr geehrte Frau {{ antragsteller.name }},</p><p>auf Ihren Antrag vom {{ vorgang.eingangsdatum }} "
    "ergeht folgender</p><h2>Bescheid</h2><p>Die Fällung wird genehmigt.</p><h3>Begründung</h3>"
    "{{ textbaustein.begruendung }}<h3>Rechtsbehelfsbelehrung</h3>{{ textbaustein.rechtsbehelf }}"
)
ANTRAGSTELLER = {"vorname": "Anna", "nachname": "Schäfer", "strasse": "Domstraße", "hausnummer": "4",
                 "plz": "97070", "ort": "Würzburg", "email": "anna@example.org"}  # fmt: skip


def _daten(anzahl_vorgaenge: int):
    """OE, caseworker, text blocks, template and Vorgänge; returns (caseworker, template, Vorgänge)."""
    from app.bescheide import service as bescheide
    from app.extensions import db
    from tests import factories

    amt = factories.oe("Umweltamt", "197010", "31005")
    sabine = factories.benutzer("sabine", "Sabine Berger", ["sachbearbeitung"], [amt])
    bescheide.textbaustein_speichern(None, "begruendung", "Begründung", "\n\n".join([ABSATZ * 3] * 5))
    bescheide.textbaustein_speichern(None, "rechtsbehelf", "Rechtsbehelf", ABSATZ * 2)
    vorlage = bescheide.vorlage_speichern(None, "", "genehmigung", "Genehmigung", VORLAGE, False)
    vorgaenge = [factories.vorgang(amt, antragsteller=dict(ANTRAGSTELLER)) for _ in range(anzahl_vorgaenge)]
    db.session.commit()
    return sabine, vorlage, vorgaenge


def pdf_messen(anzahl: int) -> dict:
    """Part A: render one two-page Bescheid `anzahl` times (plus one warm-up)."""
    import io

    from flask_migrate import upgrade
    from pypdf import PdfReader

    from app import create_app
    from app.bescheide import service as bescheide

    ordner = Path(tempfile.mkdtemp(prefix="amtsfluss-bench-pdf-"))
    app = create_app(_config(f"sqlite:///{ordner / 'a.db'}", {"INSTANCE_PATH": str(ordner)}))
    with app.app_context():
        upgrade()
        sabine, vorlage, [vorgang] = _daten(1)
        bescheid = bescheide.entwurf_anlegen(vorgang, vorlage, sabine)
        seiten = len(PdfReader(io.BytesIO(bescheide.pdf(bescheid, entwurf=False))).pages)
        zeiten = []
        for _ in range(anzahl):
            beginn = time.perf_counter()
            bescheide.pdf(bescheid, entwurf=False)
            zeiten.append((time.perf_counter() - beginn) * 1000)
    zeiten.sort()
    return {"seiten": seiten, "median": statistics.median(zeiten), "p95": zeiten[int(0.95 * (len(zeiten) - 1))]}


def nachrichten_anlegen(url: str, anzahl: int) -> float:
    """Part B set-up: `anzahl` e-mail messages with a PDF Anhang on 100 Vorgänge; returns seconds."""
    from app import create_app
    from app.extensions import db
    from app.postfach import service
    from app.vorgaenge.anhaenge import anhang_anlegen

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    app = create_app(_config(url, {"POSTFACH_EINGANGSBESTAETIGUNG": False}))
    # queued before the workers' clock (bench/scheduler.py runs them at JETZT), so every mail is due
    with app.app_context(), time_machine.travel(JETZT - timedelta(hours=1), tick=True):
        beginn = time.perf_counter()
        sabine, _vorlage, vorgaenge = _daten(100)
        anhaenge = {v.id: anhang_anlegen(v, "Merkblatt.pdf", pdf, "application/pdf") for v in vorgaenge}
        for i in range(anzahl):
            v = vorgaenge[i % len(vorgaenge)]
            service.schreiben(v, sabine, "email", f"Rückfrage {i}", "Bitte melden Sie sich.", [anhaenge[v.id]])
            if i % 200 == 199:
                db.session.commit()
        db.session.commit()
        dauer = time.perf_counter() - beginn
        db.engine.dispose()
    return dauer


def main() -> None:
    """Run both parts and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=int, default=20)
    parser.add_argument("--nachrichten", type=int, default=1000)
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    zeilen = []
    if args.pdf:
        pdf = pdf_messen(args.pdf)
        zeilen.append((f"Bescheid-PDF/A ({pdf['seiten']} Seiten), Median / p95 ms", args.pdf,
                       f"{_zahl(pdf['median'])} / {_zahl(pdf['p95'])}", "–", "Ziel Median ≤ 500 ms"))  # fmt: skip
    if args.nachrichten and args.db.startswith("postgresql"):
        from aiosmtpd.controller import Controller

        url = datenbank_anlegen(args.db)
        try:
            anlegen = nachrichten_anlegen(url, args.nachrichten)
            senke = Senke()
            controller = Controller(senke, hostname="127.0.0.1", port=_freier_port())
            controller.start()
            config = {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port}
            lauf = zwei_worker(url, "mails", config)
            controller.stop()
            doppelt = sum(n - 1 for n in senke.betreffe.values() if n > 1)
            zeilen.append((
                "Nachrichten per E-Mail-Outbox, 2 Prozesse (aiosmtpd)", args.nachrichten,
                f"{_zahl(lauf['sekunden'], 1)} s", doppelt,
                f"angelegt in {anlegen:.1f} s; Senke empfing {senke.anzahl}; Anteile {lauf['anteile']}",
            ))  # fmt: skip
        finally:
            datenbank_loeschen(args.db, url)
    print("| Messung | Anzahl | Ergebnis | Duplikate | Bemerkung |")
    print("|---|---:|---:|---:|---|")
    for name, anzahl, ergebnis, doppelt, bemerkung in zeilen:
        print(f"| {name} | {_zahl(anzahl)} | {ergebnis} | {doppelt} | {bemerkung} |")


if __name__ == "__main__":
    main()
