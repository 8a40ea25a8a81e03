"""Hardening of the intake (issue 13, items 1–4 and 8): odd characters, retries, due-time recovery, whole
transaction ids, immediate answers to resends, deduplication of broken deliveries."""

import io
import json
import logging
import random
import time
import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from adapters.intelliform_soap import deposit_bauen
from app import scheduler
from app.extensions import db
from app.intake import verarbeitung
from app.intake import views as intake_views
from app.intake.annahme import annehmen
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeQuelle, schluessel
from app.intake.simulation import intelliform_lieferung, multipart_bauen, ozg_lieferung
from app.timeutil import utcnow
from app.vorgaenge.models import HistorieEintrag, Vorgang
from tests.fixtures import MYFORM_UPLOAD_ID
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge

MARKER = "Zeugin-Ottilie-Quastenflosser"


def form_data(transaktions_id: str = "tx-1", wert: str = "Erika", *, name_feld: str = "vorname") -> dict:
    """A minimal OZG-Cloud formData document routed to the Ordnungsamt."""
    return {
        "control": {"transactionId": transaktions_id, "zustaendigeStelle": "197008", "formId": "hundesteuer"},
        "formData": [
            {"name": name_feld, "label": "Vorname", "stringValue": wert},
            {"name": "nachname", "label": "Nachname", "stringValue": MARKER},
        ],
    }


def senden(client, intake, dokument: dict | bytes, content_type: str | None = None):
    """POST one OZG-Cloud delivery whose formData is ``dokument`` (dict as JSON, or raw bytes)."""
    roh = dokument if isinstance(dokument, bytes) else json.dumps(dokument).encode()
    body, typ = multipart_bauen([("formData", None, "application/json", roh)])
    return client.post(
        "/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": content_type or typ}
    )


def eingaenge() -> list[Eingang]:
    """All Eingänge, read fresh."""
    db.session.rollback()
    return db.session.scalars(select(Eingang).order_by(Eingang.id)).all()


# --- 1: NUL in a value, retries with back-off, recovery by due time, no payload in logs -------------------


def test_nul_in_a_value_becomes_u_fffd_with_a_warning_and_the_raw_bytes_stay_untouched(client, intake):
    antwort = senden(client, intake, form_data(wert="Er\u0000ika"))
    assert antwort.status_code == 201, antwort.get_data(as_text=True)
    eingang = eingaenge()[0]
    assert b"Er\\u0000ika" in eingang.inhalt
    assert eingang.hinweise and "U+0000" in eingang.hinweise[0] and "Erika" not in eingang.hinweise[0]
    vorgang = db.session.get(Vorgang, eingang.vorgang_id)
    assert vorgang.formulardaten[0]["wert"] == "Er\ufffdika"
    hinweis = db.session.scalars(select(HistorieEintrag).where(HistorieEintrag.aktion == "Hinweise zum Eingang")).one()
    assert "U+0000" in hinweis.notiz


def _datenbank_faellt_aus(monkeypatch) -> None:
    """Every processing attempt hits a database error whose statement carries personal data as parameter."""

    def kaputt(eingang, antrag):
        db.session.execute(text("SELECT * FROM gibt_es_nicht WHERE name = :name"), {"name": MARKER})

    monkeypatch.setattr(verarbeitung, "_vorgang_anlegen", kaputt)


def test_a_failing_processing_is_retried_with_back_off_then_ends_fehlerhaft(uhr, app, client, intake, monkeypatch):
    _datenbank_faellt_aus(monkeypatch)
    antwort = senden(client, intake, form_data("tx-retry"))
    assert antwort.status_code == 503 and antwort.headers["Retry-After"]
    eingang = eingaenge()[0]
    assert (eingang.zustand, eingang.versuche) == (AUSSTEHEND, 1) and eingang.naechster_versuch > utcnow()
    assert MARKER not in eingang.fehler

    assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 0}  # not yet due
    for versuch in range(2, app.config["INTAKE_MAX_VERSUCHE"] + 1):
        warten = eingaenge()[0].naechster_versuch - utcnow()
        uhr.vorstellen(warten + timedelta(seconds=1))
        assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 1}
        assert eingaenge()[0].versuche == versuch
    eingang = eingaenge()[0]
    assert eingang.zustand == FEHLERHAFT and eingang.fehler_code == "verarbeitung"
    assert eingang.naechster_versuch is None
    wieder = senden(client, intake, form_data("tx-retry"))
    assert wieder.status_code == 422 and wieder.get_json()["error"]["code"] == "verarbeitung"


def test_back_off_doubles(uhr, app):
    with app.app_context():
        jetzt = utcnow()
        abstaende = [verarbeitung.faellig(jetzt, n) - jetzt for n in (1, 2, 3)]
    assert abstaende[1] == 2 * abstaende[0] and abstaende[2] == 2 * abstaende[1]


def test_recovery_picks_the_due_eingang_behind_more_than_fifty_older_ones_waiting_for_back_off(uhr, client, intake):
    body, typ = ozg_lieferung(random.Random(3), transaktions_id="tx-echt", anhang_bytes=0)
    spaeter = utcnow() + timedelta(hours=1)
    for i in range(55):
        db.session.add(
            Eingang(
                quelle="amt24",
                art="ozgcloud",
                transaktions_id=f"wartet-{i}",
                schluessel=schluessel(f"w{i}"),
                content_type=typ,
                inhalt=b"x",
                sha256="0" * 64,
                zustand=AUSSTEHEND,
                metadaten={},
                versuche=2,
                eingegangen_am=utcnow() - timedelta(hours=2),
                naechster_versuch=spaeter,
            )
        )
    db.session.add(
        Eingang(
            quelle="amt24",
            art="ozgcloud",
            transaktions_id="tx-echt",
            schluessel=schluessel("tx-echt"),
            content_type=typ,
            inhalt=body,
            sha256="1" * 64,
            zustand=AUSSTEHEND,
            metadaten={},
            eingegangen_am=utcnow() - timedelta(minutes=5),
            naechster_versuch=utcnow() - timedelta(minutes=4),
        )
    )
    db.session.commit()
    assert scheduler.tick(nur=["intake-ausstehend"]) == {"intake-ausstehend": 1}
    echt = db.session.scalars(select(Eingang).where(Eingang.transaktions_id == "tx-echt")).one()
    assert echt.zustand == VERARBEITET


def test_logs_carry_neither_payload_nor_sql_parameters(caplog, client, intake, monkeypatch):
    caplog.set_level(logging.DEBUG)
    _datenbank_faellt_aus(monkeypatch)
    assert senden(client, intake, form_data("tx-log")).status_code == 503
    monkeypatch.undo()
    assert (
        senden(
            client, intake, form_data("tx-typ", name_feld="x") | {"formData": [{"name": "d", "dateValue": MARKER}]}
        ).status_code
        == 400
    )
    assert MARKER not in caplog.text and "[parameters" not in caplog.text
    assert "OperationalError" in caplog.text or "ProgrammingError" in caplog.text


# --- 2: odd headers and characters are stored raw and answered 400 ----------------------------------------


def test_a_content_type_over_200_characters_is_stored_raw_and_answered_400(client, intake):
    body, typ = multipart_bauen([("formData", None, "application/json", json.dumps(form_data()).encode())])
    lang = typ + "; x-extra=" + "a" * 300
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": lang})
    assert antwort.status_code == 400 and antwort.get_json()["error"]["code"] == "content_type_ungueltig"
    eingang = eingaenge()[0]
    assert eingang.zustand == FEHLERHAFT and eingang.content_type == lang and eingang.inhalt == body


def test_nul_in_the_transaction_id_is_stored_raw_and_answered_400(client, intake):
    antwort = senden(client, intake, form_data("tx-\u0000-nul"))
    assert antwort.status_code == 400 and antwort.get_json()["error"]["code"] == "transaktions_id_ungueltig"
    eingang = eingaenge()[0]
    assert eingang.zustand == FEHLERHAFT and eingang.transaktions_id == "tx-\ufffd-nul"
    assert senden(client, intake, form_data("tx-\u0000-nul")).status_code == 400
    assert anzahl_eingaenge() == 1


def test_a_lone_surrogate_is_stored_raw_and_answered_400(client, intake):
    roh = json.dumps(form_data("tx-surrogat", wert="\ud800")).encode()
    assert b"\\ud800" in roh
    antwort = senden(client, intake, roh)
    assert antwort.status_code == 400 and antwort.get_json()["error"]["code"] == "text_ungueltig"
    eingang = eingaenge()[0]
    assert eingang.zustand == FEHLERHAFT and b"\\ud800" in eingang.inhalt
    assert anzahl_vorgaenge() == 0


# --- 3: the whole transaction id counts ------------------------------------------------------------------


def test_transaction_ids_sharing_the_first_200_characters_are_two_applications(client, intake):
    gemeinsam = "t" * 200
    erste = senden(client, intake, form_data(gemeinsam + "-eins"))
    zweite = senden(client, intake, form_data(gemeinsam + "-zwei"))
    assert (erste.status_code, zweite.status_code) == (201, 201), zweite.get_data(as_text=True)
    assert erste.get_json()["vorgang"]["vorgangNummer"] != zweite.get_json()["vorgang"]["vorgangNummer"]
    assert anzahl_vorgaenge() == 2
    assert {e.transaktions_id for e in eingaenge()} == {gemeinsam + "-eins", gemeinsam + "-zwei"}


# --- 4: a resend during processing is answered at once -------------------------------------------------------


def test_a_resend_while_the_first_is_processed_gets_202_with_retry_after_at_once(client, intake, monkeypatch):
    body, typ = ozg_lieferung(random.Random(4), transaktions_id="tx-laeuft", anhang_bytes=0)
    db.session.add(
        Eingang(
            quelle="amt24",
            art="ozgcloud",
            transaktions_id="tx-laeuft",
            schluessel=schluessel("tx-laeuft"),
            content_type=typ,
            inhalt=body,
            sha256="2" * 64,
            zustand=AUSSTEHEND,
            metadaten={},
            eingegangen_am=utcnow(),
            naechster_versuch=utcnow() + timedelta(seconds=60),
        )
    )
    db.session.commit()

    def nicht_warten(_sekunden):
        raise AssertionError("a resend must not wait for the first delivery")

    monkeypatch.setattr(time, "sleep", nicht_warten)
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 202 and int(antwort.headers["Retry-After"]) > 0
    assert anzahl_vorgaenge() == 0


# --- 8: broken deliveries are deduplicated by their transaction id ------------------------------------------


def test_resends_of_a_broken_delivery_with_new_boundaries_are_stored_once_and_a_fix_is_processed(client, intake):
    kaputt = form_data("tx-kaputt") | {"formData": [{"name": "zahl", "numberValue": "keine Zahl"}]}
    antworten = [senden(client, intake, kaputt) for _ in range(3)]
    assert [a.status_code for a in antworten] == [400, 400, 400]
    assert len({a.get_json()["error"]["code"] for a in antworten}) == 1
    assert [(e.zustand, e.transaktions_id) for e in eingaenge()] == [(FEHLERHAFT, "tx-kaputt")]
    repariert = senden(client, intake, form_data("tx-kaputt"))
    assert repariert.status_code == 201
    assert anzahl_eingaenge() == 2 and anzahl_vorgaenge() == 1


def test_broken_json_without_a_readable_transaction_id_is_still_stored(client, intake):
    assert senden(client, intake, b'{"control": ').status_code == 400
    assert senden(client, intake, b'{"control": ').status_code == 400
    assert len(eingaenge()) == 2  # new boundary, new bytes: nothing to tell them apart by


# --- 5: bounds on the form, bounded memory -----------------------------------------------------------------


def _felder(anzahl: int) -> list[dict]:
    return [{"name": f"f{i}", "stringValue": "x"} for i in range(anzahl)]


def test_more_fields_than_configured_are_refused_with_a_clear_400_and_stored_raw(app, client, intake):
    app.config["INTAKE_MAX_FELDER"] = 50
    antwort = senden(client, intake, form_data("tx-viele") | {"formData": _felder(51)})
    assert antwort.status_code == 400 and antwort.get_json()["error"]["code"] == "zu_viele_felder"
    assert "50" in antwort.get_json()["error"]["message"]
    assert eingaenge()[0].zustand == FEHLERHAFT
    assert senden(client, intake, form_data("tx-genug") | {"formData": _felder(48)}).status_code == 201


def test_deeper_nesting_than_configured_is_refused(app, client, intake):
    app.config["INTAKE_MAX_TIEFE"] = 3
    tief = {"name": "a", "formItems": [{"name": "b", "formItems": [{"name": "c", "formItems": [{"name": "d"}]}]}]}
    antwort = senden(client, intake, form_data("tx-tief") | {"formData": [tief]})
    assert antwort.status_code == 400 and antwort.get_json()["error"]["code"] == "zu_tief_verschachtelt"


def test_a_longer_value_than_configured_is_refused_without_echoing_it(app, client, intake):
    app.config["INTAKE_MAX_WERT_ZEICHEN"] = 1000
    antwort = senden(client, intake, form_data("tx-lang", wert="y" * 1001))
    fehler = antwort.get_json()["error"]
    assert antwort.status_code == 400 and fehler["code"] == "wert_zu_lang" and "yyyy" not in fehler["message"]


def test_a_myform_with_more_elements_than_allowed_is_refused(app, client, intake):
    app.config["INTAKE_MAX_FELDER"] = 100
    myform = b'<myForm xmlns:t="http://xmlns.cit.de/intelliform/transaction" t:id="T-viel">' + b"<a>1</a>" * 500
    antwort = client.post(
        "/intelliform/deposit",
        data=deposit_bauen(myform + b"</myForm>"),
        headers={"Authorization": intake.if_auth, "Content-Type": "text/xml; charset=utf-8"},
    )
    assert antwort.status_code == 400 and b"zu_viele_felder" in antwort.data
    assert eingaenge()[0].zustand == FEHLERHAFT


def test_a_body_of_millions_of_tiny_fields_is_refused_before_it_becomes_millions_of_objects(app, intake):
    """Memory stays a small multiple of the body: decoding stops at the field limit."""
    roh = json.dumps(form_data("tx-riesig") | {"formData": _felder(200_000)}).encode()
    body, typ = multipart_bauen([("formData", None, "application/json", roh)])
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == "amt24")).one()
    tracemalloc.start()
    try:
        annahme = annehmen(quelle, body, typ, {})
        _, spitze = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert annahme.http_status == 400 and annahme.fehler_code == "zu_viele_felder"
    assert spitze < 4 * len(body), (spitze, len(body))


# --- 6: a chunked body over the limit ----------------------------------------------------------------------


class Tropfen(io.RawIOBase):
    """A request body without Content-Length that answers each read with at most 1,000 bytes (chunked)."""

    def __init__(self, daten: bytes) -> None:
        self.daten, self.pos = daten, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client asks for the position once
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos if whence == 0 else self.pos + pos if whence == 1 else len(self.daten) + pos
        return self.pos

    def readinto(self, puffer) -> int:
        stueck = self.daten[self.pos : self.pos + min(len(puffer), 1000)]
        puffer[: len(stueck)] = stueck
        self.pos += len(stueck)
        return len(stueck)


def _chunked(client, pfad: str, body: bytes, kopf: dict):
    return client.post(
        pfad,
        input_stream=Tropfen(body),
        headers=kopf | {"Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("pfad", ["/antrag", "/intelliform/deposit"])
def test_a_chunked_body_over_the_limit_gets_413_and_nothing_is_stored(app, client, intake, pfad):
    app.config["INTAKE_MAX_BYTES"] = 30_000
    if pfad == "/antrag":
        body, typ = ozg_lieferung(random.Random(6), anhang_bytes=40_000)
        kopf = {"Authorization": intake.ozg_auth, "Content-Type": typ}
    else:
        body = intelliform_lieferung(random.Random(6), anhang_bytes=40_000)
        kopf = {"Authorization": intake.if_auth, "Content-Type": "text/xml; charset=utf-8"}
    antwort = _chunked(client, pfad, body, kopf)
    assert antwort.status_code == 413 and b"zu_gross" in antwort.data
    assert anzahl_eingaenge() == 0


def test_a_chunked_body_within_the_limit_is_read_whole(app, client, intake):
    app.config["INTAKE_MAX_BYTES"] = 60_000
    body, typ = ozg_lieferung(random.Random(7), anhang_bytes=20_000)
    antwort = _chunked(client, "/antrag", body, {"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 201, antwort.get_data(as_text=True)
    assert eingaenge()[0].inhalt == body


# --- 7: a lost database connection is a 503 with Retry-After -----------------------------------------------


def _verbindung_weg(*_args, **_kwargs):
    raise OperationalError("SELECT …", {"name": MARKER}, Exception("server closed the connection unexpectedly"))


@pytest.mark.parametrize("pfad", ["/antrag", "/intelliform/deposit"])
def test_a_lost_connection_during_authentication_is_a_503_with_retry_after(client, intake, monkeypatch, caplog, pfad):
    monkeypatch.setattr(intake_views, "authentifizieren", _verbindung_weg)
    antwort = client.post(pfad, data=b"{}", headers={"Authorization": intake.ozg_auth, "Content-Type": "text/xml"})
    assert antwort.status_code == 503 and int(antwort.headers["Retry-After"]) > 0
    if pfad == "/antrag":
        assert antwort.get_json()["error"]["code"] == "datenbank_nicht_erreichbar"
    else:
        assert b"soap:Server" in antwort.data and b"datenbank_nicht_erreichbar" in antwort.data
    assert MARKER not in caplog.text


def test_dropped_database_connections_never_give_a_500(app, client, intake):
    """PostgreSQL: every connection of the app is terminated between two deliveries (pg_terminate_backend);
    the next delivery is answered 503 (retry) or, with pre-ping, taken — never a 500."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL")
    erste = senden(client, intake, form_data("tx-vorher"))
    assert erste.status_code == 201
    with db.engine.connect() as eigene:
        eigene.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    antworten = [senden(client, intake, form_data("tx-danach")) for _ in range(3)]
    assert all(a.status_code in (201, 200, 503) for a in antworten), [a.status_code for a in antworten]
    assert antworten[-1].status_code in (200, 201)
    assert anzahl_vorgaenge() == 2


# --- 9: a referenced upload that was not delivered ----------------------------------------------------------


def test_a_form_referencing_an_undelivered_upload_becomes_a_vorgang_with_a_warning(client, auth, intake, myform_xml):
    antwort = client.post(
        "/intelliform/deposit",
        data=deposit_bauen(myform_xml),  # the myForm references MYFORM_UPLOAD_ID, the deposit does not carry it
        headers={"Authorization": intake.if_auth, "Content-Type": "text/xml; charset=utf-8"},
    )
    assert antwort.status_code == 200, antwort.get_data(as_text=True)
    eingang = eingaenge()[0]
    assert eingang.zustand == VERARBEITET and MYFORM_UPLOAD_ID in eingang.hinweise[0]
    vorgang = db.session.get(Vorgang, eingang.vorgang_id)

    auth.login("anton")
    seite = client.get(f"/admin/eingaenge/{eingang.id}").get_data(as_text=True)
    assert "Hinweise zur Lieferung" in seite and MYFORM_UPLOAD_ID in seite
    detail = client.get(f"/vorgang/{vorgang.nummer}")
    assert detail.status_code == 200 and MYFORM_UPLOAD_ID in detail.get_data(as_text=True)


def test_an_eingang_written_without_a_key_gets_the_key_of_its_transaction_id(app, intake):
    eingang = Eingang(quelle="amt24", art="ozgcloud", transaktions_id="tx-ohne", inhalt=b"", sha256="0" * 64)
    db.session.add(eingang)
    db.session.commit()
    assert eingang.schluessel == schluessel("tx-ohne")
