"""Fuzzing of the intake endpoints: mutated deliveries (hypothesis) against the real app, in process.

    .venv/bin/python bench/fuzz.py [--anzahl 10000] [--db sqlite|postgresql] [--seed 1]

Each delivery starts from a valid one of the shipped forms — an OZG-Cloud multipart with its formData JSON, or
an intelliForm SOAP deposit — and gets a few mutations drawn by hypothesis: JSON values replaced by odd ones
(NUL, lone surrogates, huge numbers, deep nesting, wrong types), transaction ids changed, parts dropped or
duplicated, the Content-Type header changed, bytes inserted, deleted or cut off, the body sent chunked. Every
answer is checked (:func:`pruefen`): no status ≥ 500 except 503, and every answered delivery is stored raw (an
Eingang with its bytes), or is a repeat of a stored one, or was refused on purpose (DOCTYPE, size: nothing
stored). The CI test ``tests/intake/test_fuzz.py`` runs the same strategies with ≥ 1,000 deliveries; this
command runs as many as asked and prints one table.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as startwert  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from adapters import AdapterFehler  # noqa: E402
from app.extensions import db  # noqa: E402
from app.intake.annahme import NICHT_SPEICHERN  # noqa: E402
from app.intake.models import Eingang, IntakeQuelle, schluessel  # noqa: E402
from app.intake.parsen import antrag_parsen, transaktions_id_suchen  # noqa: E402
from app.intake.simulation import formular_werte, intelliform_lieferung, multipart_bauen  # noqa: E402

SOAP = "text/xml; charset=utf-8"
PFADE = {"ozgcloud": "/antrag", "intelliform": "/intelliform/deposit"}

#: Strings that broke or could break the intake: NUL, lone surrogates, byte order marks, markup, long runs.
BOESE_TEXTE = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202e",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "<!DOCTYPE x>",
    '"',
    "\\",
    "\r\n--",
    "t" * 300,
    "ü" * 5000,
]
BOESE_BYTES = [
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\\u0000",
    b"\\ud800",
    b"<!DOCTYPE a [<!ENTITY e 'x'>]>",
    b"\r\n--",
    b"]]>",
]

_json_werte = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
    | st.sampled_from(BOESE_TEXTE),
    lambda kinder: st.lists(kinder, max_size=4) | st.dictionaries(st.text(max_size=10), kinder, max_size=4),
    max_leaves=12,
)
_header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300)


def _json_bytes(dokument, ascii_only: bool) -> bytes:
    """JSON as a form service might encode it (lone surrogates survive as escapes or surrogatepass bytes)."""
    return json.dumps(dokument, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def _byte_mutationen(draw, body: bytes) -> bytes:
    """Insert, delete, overwrite or cut bytes at drawn places."""
    for _ in range(draw(st.integers(0, 3))):
        if not body:
            break
        pos = draw(st.integers(0, len(body) - 1))
        art = draw(st.sampled_from(["einfuegen", "loeschen", "ueberschreiben", "abschneiden"]))
        stueck = draw(st.sampled_from(BOESE_BYTES) | st.binary(min_size=1, max_size=8))
        if art == "einfuegen":
            body = body[:pos] + stueck + body[pos:]
        elif art == "loeschen":
            body = body[:pos] + body[pos + draw(st.integers(1, 64)) :]
        elif art == "ueberschreiben":
            body = body[:pos] + stueck + body[pos + len(stueck) :]
        else:
            body = body[:pos]
    return body


@st.composite
def ozg_lieferungen(draw) -> tuple[bytes, str]:
    """A mutated OZG-Cloud delivery: (body, Content-Type)."""
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    tid = draw(st.sampled_from(["fuzz-fest", ""]) | st.uuids().map(str) | st.text(max_size=30))
    dokument = {
        "control": {"transactionId": tid or str(rnd.getrandbits(64)), "zustaendigeStelle": "197008"},
        "formData": [
            {"name": name, "label": name, "stringValue": str(wert)}
            for name, wert in formular_werte("hundesteuer", rnd, 400).items()
        ],
    }
    for _ in range(draw(st.integers(0, 3))):
        ziel = draw(st.sampled_from(["wert", "schluessel", "tid", "control", "verschachteln", "formdata"]))
        felder = dokument["formData"] if isinstance(dokument["formData"], list) else []
        eintraege = [e for e in felder if isinstance(e, dict)]
        if ziel == "wert" and eintraege:
            eintrag = draw(st.sampled_from(eintraege))
            eintrag[draw(st.sampled_from(["stringValue", "numberValue", "dateValue", "booleanValue"]))] = draw(
                _json_werte
            )
        elif ziel == "schluessel" and eintraege:
            eintrag = draw(st.sampled_from(eintraege))
            eintrag[draw(st.text(max_size=12) | st.sampled_from(["name", "formItems", "label"]))] = draw(_json_werte)
        elif ziel == "tid" and isinstance(dokument["control"], dict):
            dokument["control"]["transactionId"] = draw(_json_werte)
        elif ziel == "control":
            dokument["control"] = draw(_json_werte)
        elif ziel == "verschachteln":
            tief: dict = {"name": "tief", "stringValue": "x"}
            for _ in range(draw(st.integers(1, 60))):
                tief = {"name": "ebene", "formItems": [tief]}
            dokument["formData"] = [*felder, tief]
        else:
            dokument["formData"] = draw(_json_werte)
    form_data = _json_bytes(dokument, draw(st.booleans()))
    teile = [("formData", None, "application/json", form_data)]
    if draw(st.booleans()):
        teile.append(
            ("attachment", draw(st.text(max_size=20)) or None, "application/pdf", draw(st.binary(max_size=300)))
        )
    if draw(st.integers(0, 9)) == 0:
        teile = teile[1:] or teile
    body, typ = multipart_bauen(teile)
    typ = draw(
        st.sampled_from([typ, typ, typ, "multipart/form-data", "application/json", "text/plain", ""])
        | _header_text
        | st.just(typ + "; x=" + "y" * 300)
    )
    return draw(_byte_mutationen(body)), typ


@st.composite
def soap_lieferungen(draw) -> tuple[bytes, str]:
    """A mutated intelliForm deposit: (body, Content-Type)."""
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    envelope = intelliform_lieferung(rnd, transaktions_id=str(rnd.getrandbits(40)), anhang_bytes=200)
    if draw(st.booleans()):
        envelope = envelope.replace(b"<id>", b"<id>" + draw(st.sampled_from(BOESE_BYTES)), 1)
    typ = draw(st.sampled_from([SOAP, SOAP, "application/soap+xml", ""]) | _header_text)
    return draw(_byte_mutationen(envelope)), typ


def lieferungen(art: str):
    """The strategy of mutated deliveries for a source kind."""
    return ozg_lieferungen() if art == "ozgcloud" else soap_lieferungen()


def senden(client, art: str, auth: str, body: bytes, typ: str, chunked: bool):
    """POST one delivery (with Content-Length, or chunked without it)."""
    kopf = {"Authorization": auth, "Content-Type": typ}
    if not chunked:  # as a stream: the test client would encode an empty body as a multipart form of its own
        return client.post(PFADE[art], input_stream=io.BytesIO(body), content_length=len(body), headers=kopf)
    return client.post(
        PFADE[art],
        input_stream=io.BytesIO(body),
        headers=kopf | {"Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True},
    )


def _schluessel_der_lieferung(quelle: IntakeQuelle, body: bytes, typ: str) -> str | None:
    """The idempotency key the intake gives these bytes (None: refused without storing)."""
    try:
        return schluessel(antrag_parsen(quelle.art, body, typ, {}).kopf.transaktions_id)
    except AdapterFehler as fehler:
        if fehler.code in NICHT_SPEICHERN or fehler.http_status == 413:
            return None
        gelesen = transaktions_id_suchen(quelle.art, body, typ)
        return schluessel(f"fehlerhaft:{gelesen}" if gelesen else f"sha256:{hashlib.sha256(body).hexdigest()}")


def pruefen(client, art: str, auth: str, body: bytes, typ: str, chunked: bool, zaehler: Counter) -> None:
    """Send one delivery and check the promises: no 5xx but 503; answered ⇒ stored raw (or a stored repeat)."""
    vorher = db.session.scalar(select(func.max(Eingang.id))) or 0
    db.session.rollback()
    antwort = senden(client, art, auth, body, typ, chunked)
    status = antwort.status_code
    zaehler["gesendet"] += 1
    zaehler[f"HTTP {status}"] += 1
    assert status < 500 or status == 503, (status, antwort.get_data(as_text=True)[:500])
    if status in (401, 413, 503):
        return
    neu = db.session.scalars(select(Eingang).where(Eingang.id > vorher)).all()
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.art == art)).first()
    if neu:
        assert len(neu) == 1 and neu[0].inhalt == body, "answered delivery not stored raw"
        zaehler["gespeichert"] += 1
    else:
        key = _schluessel_der_lieferung(quelle, body, typ)
        if key is None:
            zaehler["abgelehnt, nichts gespeichert"] += 1
        else:
            assert db.session.scalars(select(Eingang).where(Eingang.schluessel == key)).first(), "lost delivery"
            zaehler["Wiederholung"] += 1
    db.session.rollback()


def lauf(client, art: str, auth: str, anzahl: int, zaehler: Counter, seed: int | None = None) -> None:
    """Run ``anzahl`` mutated deliveries of ``art`` through :func:`pruefen` with hypothesis."""

    @settings(
        max_examples=anzahl,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(lieferung=lieferungen(art), chunked=st.integers(0, 7).map(lambda n: n == 0))
    def einmal(lieferung, chunked):
        body, typ = lieferung
        pruefen(client, art, auth, body, typ, chunked, zaehler)

    if seed is not None:
        einmal = startwert(seed)(einmal)
    einmal()


def main() -> None:
    """Fresh database, both endpoints, print the table."""
    from bench.intake import _app, _datenbank, _vorbereiten

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anzahl", type=int, default=10_000, help="deliveries in total (half per endpoint)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=None, help="without: hypothesis' fixed derandomized order")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri, aufraeumen = _datenbank(args.db, Path(tmp))
        try:
            ozg_auth, if_auth = _vorbereiten(uri, Path(tmp))
            app = _app(uri, Path(tmp))
            app.config.update(TESTING=True, ARGON2_PROFILE="CHEAPEST")
            zaehler: Counter = Counter()
            start = time.perf_counter()
            with app.app_context():
                client = app.test_client()
                lauf(client, "ozgcloud", ozg_auth, args.anzahl // 2, zaehler, args.seed)
                lauf(client, "intelliform", if_auth, args.anzahl - args.anzahl // 2, zaehler, args.seed)
                eingaenge = db.session.scalar(select(func.count()).select_from(Eingang))
                db.engine.dispose()
            dauer = time.perf_counter() - start
        finally:
            aufraeumen()
    print(f"\nFuzzing der Intake-Endpunkte ({args.db}), {dauer:.0f} s")
    print("| Größe | Anzahl |\n|---|---:|")
    for name, wert in sorted(zaehler.items()):
        print(f"| {name} | {wert} |")
    print(f"| Eingänge in der Datenbank | {eingaenge} |")
    print("| Antworten ≥ 500 außer 503 | 0 |\n| beantwortet, aber nicht gespeichert | 0 |")


if __name__ == "__main__":
    main()
