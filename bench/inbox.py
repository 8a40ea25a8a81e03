"""Inbox benchmark: list views, status counts, search and detail page at a million Vorgänge.

    .venv/bin/python bench/inbox.py [--anzahl 1000000] [--db sqlite,postgresql] [--wiederholungen 40]
                                    [--behalten] [--ausgabe bench-inbox.md]

For each database: a fresh, migrated database (all slices, `db upgrade heads`); 20 OEs with 5 caseworkers
each; `--anzahl` Vorgänge spread evenly over the OEs and two years, with realistic status mix, forms, names,
a small form-data tree and their search text — bulk-loaded (SQLite: executemany in one transaction; PostgreSQL:
COPY), with the secondary indexes and the full-text index dropped during the load and rebuilt afterwards,
then ANALYZE; then the dashboard's counts are built as `rebuild-counts` does. Progress is printed.

Then one caseworker of one OE (≈ 1/20 of the rows visible) is logged in through the real login form and each
scenario is requested through Flask's test client: the time is the server's time for the whole request
(routing, session, queries, template), without network. Each scenario runs a few warm-up requests, then
`--wiederholungen` measured ones, varying the search term / Vorgang where the scenario has variants; median
and p95 are printed as a Markdown table. Target (issue 5): median ≤ 50 ms, p95 ≤ 150 ms for list, counts and
search on both databases.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.demo import gruppe as datengruppe  # noqa: E402
from app.intake.simulation import NACHNAMEN as NACHNAMEN_SIMULATION  # noqa: E402
from app.vorgaenge.models import sortierschluessel  # noqa: E402
from app.vorgaenge.suchtext import WORT, oe_marke  # noqa: E402

PG_STANDARD = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ANZAHL_OE = 20
LEITUNG = "leitung"
#: The dashboard's target (issue 17): every request at most this long.
UEBERSICHT_ZIEL_MS = 200
PRO_OE_BENUTZER = 5
PASSWORT = "bench-passwort-lang-genug"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the Vorgangsnummer alphabet (no 0/O/1/I)

VORNAMEN = [
    "Anna",
    "Mehmet",
    "Jürgen",
    "Sophie",
    "Lukas",
    "Olga",
    "Maria",
    "Thomas",
    "Fatma",
    "Stefan",
    "Julia",
    "Andreas",
    "Katharina",
    "Michael",
    "Laura",
    "Peter",
    "Lea",
    "Klaus",
    "Emma",
    "Ahmet",
    "Sabine",
    "Ralf",
    "Hannah",
    "Uwe",
    "Mia",
    "Frank",
    "Leonie",
    "Dieter",
    "Elif",
    "Jan",
    "Sarah",
    "Markus",
    "Zeynep",
    "Tobias",
    "Nina",
    "Wolfgang",
    "Paula",
    "Bernd",
    "Ida",
    "Günter",
    "Marie",
    "Sven",
    "Clara",
    "Holger",
    "Ella",
    "Jörg",
    "Greta",
    "Heike",
]
#: The simulator's surnames and more, so that a name search finds a realistic share of the Vorgänge.
NACHNAMEN = [
    *NACHNAMEN_SIMULATION,
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
]
FORMULARE = [
    (
        "gewerbeanmeldung",
        "Gewerbeanmeldung",
        "taetigkeit",
        "Angemeldete Tätigkeit",
        ["Onlinehandel mit Holzspielzeug", "Hausmeisterservice", "Friseursalon", "Softwareentwicklung", "Imbiss"],
    ),
    (
        "hundesteuer",
        "Hundesteuer-Anmeldung",
        "hunderasse",
        "Hunderasse",
        ["Labrador Retriever", "Dackel", "Schäferhund", "Pudel", "Beagle", "Mischling"],
    ),
    ("baumfaellung", "Antrag auf Baumfällung", "baumart", "Baumart", ["Rotbuche", "Stieleiche", "Bergahorn", "Linde"]),
    (
        "strassensperrung",
        "Antrag auf Straßensperrung",
        "grund",
        "Grund der Sperrung",
        ["Umzug mit Möbelwagen", "Kranarbeiten", "Straßenfest", "Baustelleneinrichtung"],
    ),
    (
        "filmaufnahmen",
        "Antrag auf Filmaufnahmen im öffentlichen Raum",
        "produktion",
        "Produktion",
        ["Kurzfilm Morgenlicht", "Werbespot Bäckerei", "Dokumentation Altstadt"],
    ),
    (
        "sondernutzung",
        "Sondernutzungserlaubnis für Außengastronomie",
        "flaeche",
        "Fläche in m²",
        ["12", "24", "36", "48"],
    ),
]
ORTE = ["München", "Nürnberg", "Augsburg", "Regensburg", "Würzburg", "Ingolstadt", "Fürth", "Erlangen", "Bamberg"]
#: Status mix of an office that has run for two years: most cases are closed.
STATUS_MIX = [
    ("Abgeschlossen", 0.62),
    ("In Bearbeitung", 0.10),
    ("Neu", 0.06),
    ("Angenommen", 0.05),
    ("Beschieden", 0.06),
    ("Verworfen", 0.07),
    ("Weitergeleitet", 0.03),
    ("Zu Löschen", 0.01),
]
SPALTEN = [
    "id",
    "nummer",
    "aktenzeichen",
    "status",
    "vorheriger_status",
    "status_seit",
    "eingangsdatum",
    "formular_id",
    "formular_name",
    "leika_ids",
    "oe_id",
    "bearbeiter_id",
    "antragsteller_name",
    "antragsteller_sortierung",
    "antragsteller",
    "formulardaten",
    "zustaendigkeit_pruefen",
    "loeschung_beantragt_von_id",
    "version",
]


def _nummer(prefix: str, i: int) -> str:
    """A unique Vorgangsnummer for row i (base-32 in the unambiguous alphabet)."""
    zeichen = []
    for _ in range(6):
        i, rest = divmod(i, 32)
        zeichen.append(ALPHABET[rest])
    return f"{prefix}-{''.join(reversed(zeichen))}"


def _fold(text: str) -> str:
    """The same ß folding as the search (app.vorgaenge.suche._falten)."""
    return text.replace("ß", "ss").replace("ẞ", "SS")


class Generator:
    """Deterministic rows for Vorgang and its search text."""

    def __init__(
        self,
        anzahl: int,
        oe_ids: list[int],
        prefixe: list[str],
        bearbeiter: dict[int, list[int]],
        kennungen: list[str],
        seed: int = 7,
    ):
        """Remember the OEs and their caseworkers."""
        self.anzahl, self.oe_ids, self.prefixe, self.bearbeiter = anzahl, oe_ids, prefixe, bearbeiter
        self.kennungen = kennungen
        self.rnd = random.Random(seed)
        self.ende = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
        self.spanne = timedelta(days=730).total_seconds()
        self.status = [s for s, _ in STATUS_MIX]
        self.gewichte = [g for _, g in STATUS_MIX]

    def zeilen(self, start: int, ende: int):
        """Rows start..ende-1 as (vorgang dict, suchtext)."""
        rnd = self.rnd
        for i in range(start, ende):
            k = i % ANZAHL_OE
            oe_id = self.oe_ids[k]
            # Older ids get older dates (as in reality), with jitter so ids and dates are not identical orders.
            alter = self.spanne * (1 - (i + rnd.random() * 50) / self.anzahl)
            eingang = self.ende - timedelta(seconds=max(alter, 0))
            status = rnd.choices(self.status, self.gewichte)[0]
            # Time in the current status: an open case is as old as its Eingang, a settled one took ~3 weeks.
            dauer = timedelta(days=0 if status == "Neu" else rnd.expovariate(1 / 20))
            seit = min(eingang + dauer, self.ende)
            fid, fname, feld, label, werte = FORMULARE[rnd.randrange(len(FORMULARE))]
            vorname, nachname = rnd.choice(VORNAMEN), rnd.choice(NACHNAMEN)
            ort = rnd.choice(ORTE)
            wert = rnd.choice(werte)
            bearbeiter = None if status == "Neu" or rnd.random() < 0.08 else rnd.choice(self.bearbeiter[oe_id])
            aktenzeichen = None
            if status not in ("Neu", "Verworfen"):
                aktenzeichen = f"{self.kennungen[k]}-{eingang.year}-{i // ANZAHL_OE:05d}"
            nummer = _nummer(self.prefixe[k], i)
            antragsteller = {"vorname": vorname, "nachname": nachname, "anschrift": {"ort": ort}}
            daten = [
                datengruppe(
                    "antragsteller",
                    "Antragsteller",
                    [("vorname", "Vorname", vorname), ("nachname", "Nachname", nachname), ("ort", "Ort", ort)],
                ),
                datengruppe("angaben", "Angaben zum Antrag", [(feld, label, wert)]),
            ]
            name = f"{vorname} {nachname}"
            zeile = {
                "id": i + 1,
                "nummer": nummer,
                "aktenzeichen": aktenzeichen,
                "status": status,
                "vorheriger_status": None,
                "status_seit": seit,
                "eingangsdatum": eingang,
                "formular_id": fid,
                "formular_name": fname,
                "leika_ids": "[]",
                "oe_id": oe_id,
                "bearbeiter_id": bearbeiter,
                "antragsteller_name": name,
                "antragsteller_sortierung": sortierschluessel(name, antragsteller),
                "antragsteller": json.dumps(antragsteller, ensure_ascii=False),
                "formulardaten": json.dumps(daten, ensure_ascii=False),
                "zustaendigkeit_pruefen": False,
                "loeschung_beantragt_von_id": None,
                "version": 1,
            }
            # Same content as app.vorgaenge.suche.suchtext (OE token, ids, applicant, form name, form values).
            text = " ".join(
                WORT.findall(
                    _fold(
                        " ".join(
                            t
                            for t in (
                                oe_marke(oe_id),
                                nummer,
                                aktenzeichen or "",
                                name,
                                fname,
                                vorname,
                                nachname,
                                ort,
                                vorname,
                                nachname,
                                ort,
                                wert,
                            )
                            if t
                        )
                    )
                )
            )
            yield zeile, text


# --------------------------------------------------------------------------------------------------- set-up


def _app(uri: str, instance: Path):
    """The app on this database (no scheduler, no deploy; CSRF off for the scripted login)."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
            "DEPLOY_PROCESSES_ON_START": False,
            "WTF_CSRF_ENABLED": False,
            "TESTING": False,
        }
    )


def _stammdaten(app) -> tuple[list[int], list[str], list[str], dict[int, list[int]], str]:
    """20 OEs, 5 caseworkers each (one real Argon2 hash, reused). Returns ids, prefixes, Kennungen, users, login."""
    from app.auth.models import Benutzer
    from app.auth.service import benutzer_anlegen, oe_anlegen
    from app.extensions import db

    oe_ids, prefixe, kennungen, bearbeiter = [], [], [], {}
    erster = None
    with app.app_context():
        oes = []
        for k in range(ANZAHL_OE):
            oe = oe_anlegen(f"Amt {k + 1:02d}", f"1970{k + 10:02d}", f"{31000 + k}")
            oes.append(oe)
            oe_ids.append(oe.id)
            prefixe.append(oe.nummer_prefix)
            kennungen.append(oe.kennung)
            bearbeiter[oe.id] = []
            for j in range(PRO_OE_BENUTZER):
                login = f"sb{k:02d}{j}"
                if erster is None:
                    erster = benutzer_anlegen(login, f"Sach Bearbeiter {k}{j}", PASSWORT, ["sachbearbeitung"], [oe])
                    b = erster
                else:
                    b = Benutzer(
                        login=login,
                        name=f"Sach Bearbeiter {k}{j}",
                        kuerzel=f"S{k}{j}",
                        email="",
                        password_hash=erster.password_hash,
                        rollen=["sachbearbeitung"],
                        oes=[oe],
                    )
                    db.session.add(b)
                    db.session.flush()
                bearbeiter[oe.id].append(b.id)
        # The Leitung over all OEs (the dashboard's widest case).
        db.session.add(
            Benutzer(
                login=LEITUNG,
                name="Lea Leitung",
                kuerzel="LL",
                email="",
                password_hash=erster.password_hash,
                rollen=["leitung"],
                oes=oes,
            )
        )
        db.session.commit()
    return oe_ids, prefixe, kennungen, bearbeiter, "sb000"


def _fortschritt(name: str, fertig: int, gesamt: int, start: float) -> None:
    """One progress line (overwritten in place)."""
    rate = fertig / max(time.perf_counter() - start, 1e-9)
    print(f"\r  {name}: {fertig:>9,} / {gesamt:,}  ({rate:,.0f} Zeilen/s)".replace(",", "."), end="", flush=True)


def _laden_sqlite(engine: sa.Engine, gen: Generator, block: int) -> None:
    """executemany in one transaction; indexes, FTS triggers dropped and rebuilt around the load."""
    roh = engine.raw_connection()
    try:
        cur = roh.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-400000")
        indexe = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='vorgang' AND sql IS NOT NULL"
        ).fetchall()
        trigger = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='vorgang_suchtext'"
        ).fetchall()
        for name, _sql in indexe:
            cur.execute(f'DROP INDEX "{name}"')
        for name, _sql in trigger:
            cur.execute(f'DROP TRIGGER "{name}"')
        platz = ", ".join("?" for _ in SPALTEN)
        v_sql = f"INSERT INTO vorgang ({', '.join(SPALTEN)}) VALUES ({platz})"  # noqa: S608 (fixed names)
        start = time.perf_counter()
        for anfang in range(0, gen.anzahl, block):
            zeilen, texte = [], []
            for z, text in gen.zeilen(anfang, min(anfang + block, gen.anzahl)):
                z = dict(z)
                for spalte in ("status_seit", "eingangsdatum"):
                    z[spalte] = z[spalte].strftime("%Y-%m-%d %H:%M:%S.%f")
                z["zustaendigkeit_pruefen"] = 0
                zeilen.append(tuple(z[s] for s in SPALTEN))
                texte.append((z["id"], text))
            cur.executemany(v_sql, zeilen)
            cur.executemany("INSERT INTO vorgang_suchtext (vorgang_id, text) VALUES (?, ?)", texte)
            _fortschritt("Vorgänge", anfang + len(zeilen), gen.anzahl, start)
        print()
        t = time.perf_counter()
        for _name, sql in indexe:
            cur.execute(sql)
        print(f"  Indexe neu aufgebaut: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        cur.execute("INSERT INTO vorgang_suche_fts(vorgang_suche_fts) VALUES('rebuild')")
        for _name, sql in trigger:
            cur.execute(sql)
        print(f"  FTS5-Index aufgebaut: {time.perf_counter() - t:.1f} s")
        roh.commit()
        t = time.perf_counter()
        cur.execute("ANALYZE")
        roh.commit()
        print(f"  ANALYZE: {time.perf_counter() - t:.1f} s")
    finally:
        roh.close()


def _laden_postgres(engine: sa.Engine, gen: Generator, block: int) -> None:
    """COPY; secondary indexes (incl. GIN) dropped and rebuilt around the load; then VACUUM ANALYZE."""
    roh = engine.raw_connection()
    try:
        cur = roh.cursor()
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('vorgang', 'vorgang_suchtext') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexe = cur.fetchall()
        for name, _sql in indexe:
            cur.execute(f'DROP INDEX "{name}"')
        roh.commit()
        start = time.perf_counter()
        for anfang in range(0, gen.anzahl, block):
            texte = []
            with cur.copy(f"COPY vorgang ({', '.join(SPALTEN)}) FROM STDIN") as copy:
                for z, text in gen.zeilen(anfang, min(anfang + block, gen.anzahl)):
                    copy.write_row(tuple(z[s] for s in SPALTEN))
                    texte.append((z["id"], text))
            with cur.copy("COPY vorgang_suchtext (vorgang_id, text) FROM STDIN") as copy:
                for zeile in texte:
                    copy.write_row(zeile)
            roh.commit()
            _fortschritt("Vorgänge", min(anfang + block, gen.anzahl), gen.anzahl, start)
        print()
        cur.execute(f"SELECT setval('vorgang_id_seq', {gen.anzahl})")
        for name, sql in indexe:
            t = time.perf_counter()
            cur.execute(sql)
            roh.commit()
            print(f"  Index {name}: {time.perf_counter() - t:.1f} s")
        roh.commit()
        roh.driver_connection.autocommit = True
        t = time.perf_counter()
        cur.execute("VACUUM ANALYZE vorgang")
        cur.execute("VACUUM ANALYZE vorgang_suchtext")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - t:.1f} s")
        roh.driver_connection.autocommit = False  # the connection goes back to the pool
    finally:
        roh.close()


# --------------------------------------------------------------------------------------------------- measuring


def _szenarien(oe_id: int, benutzer_id: int, rnd: random.Random, nummern: list[str], aktenzeichen: list[str]):
    """(group, name, function returning a URL) per scenario."""

    def fest(url):
        return lambda: url

    return [
        ("Liste", "Alle Vorgänge, Seite 1", fest("/")),
        ("Liste", "Meine Vorgänge", fest("/?ansicht=meine")),
        ("Liste", "Nicht zugewiesen", fest("/?ansicht=nicht_zugewiesen")),
        ("Liste", "Status Neu", fest("/?status=neu")),
        ("Liste", "Status Abgeschlossen", fest("/?status=abgeschlossen")),
        ("Liste", "Formular Hundesteuer", fest("/?formular=hundesteuer")),
        ("Liste", "Sachbearbeitung + Zeitraum", fest(f"/?bearbeiter={benutzer_id}&von=2026-01-01&bis=2026-06-30")),
        (
            "Liste",
            "Status + Formular + Zeitraum",
            fest("/?status=in_bearbeitung&formular=gewerbeanmeldung&von=2025-06-01&bis=2026-11-30"),
        ),
        ("Liste", "Eingang älteste zuerst", fest("/?sortierung=eingang_auf")),
        ("Liste", "Seite 20 (Cursor)", None),  # filled in by the runner: follows 19 "next" links once
        ("Liste", "sortiert nach Antragsteller", fest("/?sortierung=antragsteller")),
        ("Suche", "Vorgangsnummer", lambda: "/?q=" + rnd.choice(nummern)),
        ("Suche", "Aktenzeichen", lambda: "/?q=" + rnd.choice(aktenzeichen)),
        ("Suche", "Nachname", lambda: "/?q=" + rnd.choice(NACHNAMEN)),
        ("Suche", "Vor- und Nachname", lambda: f"/?q={rnd.choice(VORNAMEN)}+{rnd.choice(NACHNAMEN)}"),
        ("Suche", "Wortanfang (Präfix)", lambda: "/?q=" + rnd.choice(NACHNAMEN)[:4]),
        (
            "Suche",
            "Formulardaten-Wert",
            lambda: "/?q=" + rnd.choice(["Labrador", "Rotbuche", "Kranarbeiten", "Friseursalon", "Dackel"]),
        ),
        ("Suche", "Formularname (sehr häufig)", fest("/?q=Hundesteuer")),
        ("Detail", "Vorgang-Detailseite", lambda: "/vorgang/" + rnd.choice(nummern)),
        ("Übersicht", "Dashboard Sachbearbeitung (1 OE)", fest("/uebersicht")),
    ]


def _p95(werte: list[float]) -> float:
    """95th percentile (inclusive method)."""
    return statistics.quantiles(werte, n=20, method="inclusive")[-1]


def _messen(app, login: str, oe_id: int, benutzer_id: int, wiederholungen: int) -> list[tuple]:
    """Run every scenario; returns (group, name, median ms, p95 ms, n)."""
    import re

    from sqlalchemy import select

    from app.extensions import db
    from app.vorgaenge import liste
    from app.vorgaenge.models import Vorgang

    rnd = random.Random(11)
    with app.app_context():
        stichprobe = db.session.execute(
            select(Vorgang.nummer, Vorgang.aktenzeichen).where(Vorgang.oe_id == oe_id).limit(5000)
        ).all()
    nummern = [n for n, _ in stichprobe]
    aktenzeichen = [a for _, a in stichprobe if a]
    client = app.test_client()
    antwort = client.post("/anmelden", data={"login": login, "password": PASSWORT})
    assert antwort.status_code == 302, antwort.status_code

    # Page 20 by following the cursor links (what a user clicking "Nächste Seite" does).
    url = "/"
    for _ in range(19):
        seite = client.get(url).get_data(as_text=True)
        url = re.search(r'href="([^"]+)" rel="next"', seite).group(1).replace("&amp;", "&")
    seite20 = url

    ergebnisse = []
    for gruppe, name, erzeuger in _szenarien(oe_id, benutzer_id, rnd, nummern, aktenzeichen):
        erzeuger = erzeuger or (lambda: seite20)
        for _ in range(3):
            client.get(erzeuger())
        zeiten = []
        for _ in range(wiederholungen):
            ziel = erzeuger()
            t = time.perf_counter()
            antwort = client.get(ziel)
            zeiten.append((time.perf_counter() - t) * 1000)
            assert antwort.status_code == 200, (ziel, antwort.status_code)
        ergebnisse.append((gruppe, name, statistics.median(zeiten), _p95(zeiten), len(zeiten)))
        print(f"  {gruppe:7} {name:32} median {statistics.median(zeiten):7.1f} ms   p95 {_p95(zeiten):7.1f} ms")

    # The dashboard of a Leitung over all 20 OEs.
    leitung = app.test_client()
    assert leitung.post("/anmelden", data={"login": LEITUNG, "password": PASSWORT}).status_code == 302
    t = time.perf_counter()
    leitung.get("/uebersicht")  # every request computes; the first one also warms the database's cache
    erster = (time.perf_counter() - t) * 1000
    print(f"  Übersicht Dashboard Leitung, erster Aufruf: {erster:.1f} ms")
    ergebnisse.append(("Übersicht", "Dashboard Leitung, erster Aufruf", erster, erster, 1))
    for _ in range(2):
        leitung.get("/uebersicht")
    zeiten = []
    for _ in range(wiederholungen):
        t = time.perf_counter()
        antwort = leitung.get("/uebersicht")
        zeiten.append((time.perf_counter() - t) * 1000)
        assert antwort.status_code == 200
    ergebnisse.append(
        ("Übersicht", "Dashboard Leitung (alle OEs)", statistics.median(zeiten), _p95(zeiten), len(zeiten))
    )
    print(f"  Übersicht {'Dashboard Leitung (alle OEs)':30} median {statistics.median(zeiten):7.1f} ms")

    # The status counts alone (they are part of every list page above), service level.
    with app.test_request_context():
        from app.auth.models import Benutzer

        ich = db.session.scalars(select(Benutzer).where(Benutzer.login == login)).one()
        for _ in range(3):
            liste.zaehler_pro_status(ich)
        zeiten = []
        for _ in range(wiederholungen):
            t = time.perf_counter()
            liste.zaehler_pro_status(ich)
            zeiten.append((time.perf_counter() - t) * 1000)
        ergebnisse.append(
            ("Zähler", "Anzahl je Status (1 Abfrage)", statistics.median(zeiten), _p95(zeiten), len(zeiten))
        )
        median = statistics.median(zeiten)
        print(f"  Zähler  {'Anzahl je Status':32} median {median:7.1f} ms   p95 {_p95(zeiten):7.1f} ms")
    return ergebnisse


def _datenbank(art: str, basis: Path, behalten: bool):
    """(URI, clean-up function) of a fresh database."""
    if art == "sqlite":
        pfad = basis / "inbox.db"
        return f"sqlite:///{pfad}", (lambda: None if behalten else pfad.unlink(missing_ok=True))
    name = f"amtsfluss_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_STANDARD, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_STANDARD).set(database=name).render_as_string(hide_password=False)

    def aufraeumen():
        if not behalten:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, aufraeumen


def _zaehler_analysieren(app, art: str) -> None:
    """Statistics (and on PostgreSQL the visibility map, for index-only scans) of the freshly built counts."""
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        if art == "sqlite":
            conn.exec_driver_sql("ANALYZE vorgang_zaehler")
            conn.commit()
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE vorgang_zaehler")


def lauf(art: str, anzahl: int, wiederholungen: int, behalten: bool) -> list[tuple]:
    """Seed and measure one database."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.vorgaenge.zaehler import neu_aufbauen

    print(f"\n== {art}: {anzahl:,} Vorgänge ==".replace(",", "."))
    basis = Path(tempfile.mkdtemp(prefix=f"bench-inbox-{art}-"))
    uri, aufraeumen = _datenbank(art, basis, behalten)
    try:
        app = _app(uri, basis)
        with app.app_context():
            upgrade(revision="heads")
        oe_ids, prefixe, kennungen, bearbeiter, login = _stammdaten(app)
        gen = Generator(anzahl, oe_ids, prefixe, bearbeiter, kennungen)
        t = time.perf_counter()
        with app.app_context():
            if art == "sqlite":
                _laden_sqlite(db.engine, gen, 50_000)
            else:
                _laden_postgres(db.engine, gen, 50_000)
        print(f"  Laden gesamt: {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        with app.app_context():
            zeilen = neu_aufbauen()
            db.session.commit()
        print(f"  Zähler der Übersicht (rebuild-counts): {zeilen} Zeilen in {time.perf_counter() - t:.1f} s")
        _zaehler_analysieren(app, art)
        ergebnisse = _messen(app, login, oe_ids[0], bearbeiter[oe_ids[0]][0], wiederholungen)
        with app.app_context():
            db.engine.dispose()
        return ergebnisse
    finally:
        aufraeumen()


def tabelle(ergebnisse: dict[str, list[tuple]], anzahl: int) -> str:
    """The Markdown table: one row per scenario, median/p95 per database, ✓/✗ against the target."""
    arten = list(ergebnisse)
    kopf = "| Gruppe | Szenario | " + " | ".join(f"{a} median | {a} p95" for a in arten) + " |"
    trenner = "|---|---|" + "---:|---:|" * len(arten)
    zeilen = [kopf, trenner]
    for i, (gruppe, name, *_rest) in enumerate(ergebnisse[arten[0]]):
        zellen = []
        for a in arten:
            _g, _n, median, p95, _anzahl = ergebnisse[a][i]
            if gruppe == "Übersicht":
                ok = " ✓" if p95 <= UEBERSICHT_ZIEL_MS else " ✗"
            else:
                ok = "" if gruppe == "Detail" else (" ✓" if median <= 50 and p95 <= 150 else " ✗")
            zellen.append(f"{median:.1f} ms | {p95:.1f} ms{ok}")
        zeilen.append(f"| {gruppe} | {name} | " + " | ".join(zellen) + " |")
    return (
        f"{anzahl:,} Vorgänge in {ANZAHL_OE} OEs; ".replace(",", ".")
        + "Zeiten pro Anfrage (Server, ohne Netz); ✓ = Ziel erreicht (Median ≤ 50 ms, p95 ≤ 150 ms).\n\n"
        + "\n".join(zeilen)
    )


def main() -> None:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anzahl", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--wiederholungen", type=int, default=40)
    parser.add_argument("--behalten", action="store_true", help="Datenbanken nicht löschen")
    parser.add_argument("--ausgabe", help="Tabelle zusätzlich in diese Datei schreiben")
    args = parser.parse_args()
    ergebnisse = {}
    for art in args.db.split(","):
        ergebnisse[art.strip()] = lauf(art.strip(), args.anzahl, args.wiederholungen, args.behalten)
    text = tabelle(ergebnisse, args.anzahl)
    print("\n" + text)
    if args.ausgabe:
        Path(args.ausgabe).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
