"""Nothing is lost and nothing is doubled: concurrent duplicates, crash recovery, re-processing after a fix."""

import hashlib
import random
import threading
from datetime import timedelta

from sqlalchemy import delete, select

from app import scheduler
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeRouting, schluessel
from app.intake.simulation import intelliform_lieferung, ozg_lieferung
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge


def _gleichzeitig(app, anzahl: int, senden) -> list:
    """Run `senden(client)` in `anzahl` threads released at the same moment; return their answers."""
    schranke = threading.Barrier(anzahl)
    antworten: list = [None] * anzahl

    def arbeiter(i: int) -> None:
        client = app.test_client()
        schranke.wait()
        antworten[i] = senden(client)

    threads = [threading.Thread(target=arbeiter, args=(i,)) for i in range(anzahl)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return antworten


def test_eight_concurrent_identical_ozg_deliveries_make_exactly_one_vorgang(app, intake):
    """8 threads post the same transaction at once: one 201, the others 200 or — while the first is still
    being processed — 202 with Retry-After at once; a later resend names the one Vorgang."""
    body, typ = ozg_lieferung(random.Random(11), transaktions_id="tx-gleichzeitig", anhang_bytes=20_000)
    kopf = {"Authorization": intake.ozg_auth, "Content-Type": typ}
    antworten = _gleichzeitig(app, 8, lambda c: c.post("/antrag", data=body, headers=kopf))
    status = sorted(a.status_code for a in antworten)
    assert status.count(201) == 1 and set(status) <= {200, 201, 202}, [a.get_data(as_text=True) for a in antworten]
    assert all(a.headers["Retry-After"] for a in antworten if a.status_code == 202)
    nummern = {a.get_json()["vorgang"]["vorgangNummer"] for a in antworten if a.status_code != 202}
    danach = app.test_client().post("/antrag", data=body, headers=kopf)
    assert danach.status_code == 200 and nummern == {danach.get_json()["vorgang"]["vorgangNummer"]}
    assert (anzahl_eingaenge(), anzahl_vorgaenge()) == (1, 1)


def test_eight_concurrent_identical_soap_deposits_make_exactly_one_vorgang(app, intake):
    """The same for intelliForm deposits (HTTP Basic, Argon2 checked once per process): 200, or a Server fault
    503 with Retry-After while the first is being processed."""
    envelope = intelliform_lieferung(random.Random(12), transaktions_id="4711", anhang_bytes=5000)
    kopf = {"Authorization": intake.if_auth, "Content-Type": "text/xml; charset=utf-8"}
    antworten = _gleichzeitig(app, 8, lambda c: c.post("/intelliform/deposit", data=envelope, headers=kopf))
    assert {a.status_code for a in antworten} <= {200, 503} and 200 in {a.status_code for a in antworten}
    assert all(a.headers["Retry-After"] for a in antworten if a.status_code == 503)
    danach = app.test_client().post("/intelliform/deposit", data=envelope, headers=kopf)
    nummern = {
        a.data.split(b"<key>vorgangNummer</key><value>")[1][:12] for a in [*antworten, danach] if a.status_code == 200
    }
    assert len(nummern) == 1 and danach.status_code == 200
    assert (anzahl_eingaenge(), anzahl_vorgaenge()) == (1, 1)


def _ausstehend_speichern(body: bytes, typ: str, transaktions_id: str) -> int:
    """The state a crash right after the raw store leaves behind: a committed, `ausstehend` Eingang."""
    eingang = Eingang(
        quelle="amt24",
        art="ozgcloud",
        transaktions_id=transaktions_id,
        schluessel=schluessel(transaktions_id),
        content_type=typ,
        inhalt=body,
        sha256=hashlib.sha256(body).hexdigest(),
        zustand=AUSSTEHEND,
        metadaten={},
    )
    db.session.add(eingang)
    db.session.commit()
    return eingang.id


def test_pending_eingang_after_a_crash_is_processed_by_the_scheduler_tick(uhr, app, client, intake):
    """A pending Eingang is left alone during the grace period, then the tick turns it into a Vorgang; a resend
    meanwhile is told it is still being processed, a resend afterwards names the Vorgang."""
    body, typ = ozg_lieferung(random.Random(13), transaktions_id="tx-absturz", anhang_bytes=3000)
    eingang_id = _ausstehend_speichern(body, typ, "tx-absturz")

    assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 0}
    waehrenddessen = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert waehrenddessen.status_code == 202
    assert anzahl_vorgaenge() == 0

    uhr.vorstellen(timedelta(seconds=app.config["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"] + 1))
    assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 1}
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    assert eingang.zustand == VERARBEITET and eingang.vorgang_id
    vorgang = db.session.get(Vorgang, eingang.vorgang_id)
    assert vorgang.oe_id == intake.ordnungsamt.id

    danach = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert danach.status_code == 200 and danach.get_json()["vorgang"]["vorgangNummer"] == vorgang.nummer
    assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 0}
    assert anzahl_vorgaenge() == 1


def test_routing_failure_is_listed_for_administrators_and_reprocessed_after_the_fix(client, auth, intake):
    """Without a default OE an unknown authority fails (422, kept); the administrator adds the route in the
    admin page and re-processes; the sender's resend then gets the Vorgang."""
    db.session.execute(delete(IntakeRouting))
    db.session.commit()
    body, typ = ozg_lieferung(random.Random(14), zustaendige_stelle="unbekannt", anhang_bytes=0)
    kopf = {"Authorization": intake.ozg_auth, "Content-Type": typ}
    antwort = client.post("/antrag", data=body, headers=kopf)
    assert antwort.status_code == 422
    assert antwort.get_json()["error"]["code"] == "routing"
    eingang = db.session.scalars(select(Eingang)).one()
    assert eingang.zustand == FEHLERHAFT and "unbekannt" in eingang.fehler

    auth.login("anton")
    liste = client.get("/admin/eingaenge")
    assert liste.status_code == 200
    seite = liste.get_data(as_text=True)
    assert "Fehlerhafte Eingänge" in seite and "unbekannt" in seite
    assert client.get(f"/admin/eingaenge/{eingang.id}").status_code == 200
    neu = client.post(
        "/admin/intake/routing",
        data={
            "routing-art": "zustaendige_stelle",
            "routing-schluessel": "unbekannt",
            "routing-oe_id": str(intake.ordnungsamt.id),
        },
    )
    assert neu.status_code == 302
    erneut = client.post(f"/admin/eingaenge/{eingang.id}/erneut", follow_redirects=True)
    assert "Vorgang" in erneut.get_data(as_text=True)
    eingang = db.session.get(Eingang, eingang.id, populate_existing=True)
    assert eingang.zustand == VERARBEITET
    vorgang = db.session.get(Vorgang, eingang.vorgang_id)
    assert vorgang.oe_id == intake.ordnungsamt.id and not vorgang.zustaendigkeit_pruefen

    auth.logout()
    wieder = client.post("/antrag", data=body, headers=kopf)
    assert wieder.status_code == 200 and wieder.get_json()["vorgang"]["vorgangNummer"] == vorgang.nummer


def test_a_resend_recovers_an_eingang_left_pending_by_a_crash(app, client, intake):
    """A pending Eingang older than the grace period is processed by the sender's resend right away."""
    body, typ = ozg_lieferung(random.Random(15), transaktions_id="tx-alt", anhang_bytes=0)
    eingang_id = _ausstehend_speichern(body, typ, "tx-alt")
    eingang = db.session.get(Eingang, eingang_id)
    eingang.eingegangen_am = utcnow() - timedelta(seconds=app.config["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"] + 5)
    db.session.commit()
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 200, antwort.get_data(as_text=True)
    vorgang = db.session.scalars(select(Vorgang)).one()
    assert antwort.get_json()["vorgang"]["vorgangNummer"] == vorgang.nummer
