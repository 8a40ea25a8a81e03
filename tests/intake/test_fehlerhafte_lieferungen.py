"""Malformed deliveries of every kind get a clear answer; the raw bytes are kept unless refused for security
or size (then nothing is stored but a log line)."""

import base64
import random

import pytest
from lxml import etree
from sqlalchemy import select

from adapters.intelliform import BACKEND_NS, SOAP11_NS
from adapters.intelliform_soap import deposit_bauen
from adapters.ozgcloud import ozgcloud_json_bauen
from app.extensions import db
from app.intake.models import FEHLERHAFT, Eingang, IntakeQuelle
from app.intake.simulation import intelliform_lieferung, multipart_bauen, ozg_lieferung
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge

SOAP = "text/xml; charset=utf-8"
MYFORM_OHNE_ID = b'<myForm xmlns:t="http://xmlns.cit.de/intelliform/transaction" t:form-id="x"><a>1</a></myForm>'
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&xxe;</soap:Body>'
    b"</soap:Envelope>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol9;</soap:Body>'
    b"</soap:Envelope>"
)


def _base64_kaputt() -> bytes:
    """A valid deposit whose myForm attachment content is not base64."""
    wurzel = etree.fromstring(intelliform_lieferung(random.Random(1), anhang_bytes=500))
    wurzel.find(f".//{{{BACKEND_NS}}}deposit/data/attachments/content").text = "@@@ kein base64 !!!"
    return etree.tostring(wurzel)


def _ozg_form(form_data: bytes) -> tuple[bytes, str]:
    """A multipart body with only the given formData part."""
    return multipart_bauen([("formData", None, "application/json", form_data)])


def _falscher_typ() -> tuple[bytes, str]:
    """A numberValue that is a string."""
    daten = ozgcloud_json_bauen("tx-typ", {"anzahl": 1}).replace(b'"numberValue": 1', b'"numberValue": "eins"')
    return _ozg_form(daten)


def _abgeschnitten() -> tuple[bytes, str]:
    """A multipart body cut in the middle of the formData part."""
    body, typ = ozg_lieferung(random.Random(2), anhang_bytes=0)
    return body[: len(body) // 3], typ


#: (name, body builder → (body, content type), HTTP status, stored?, error code)
OZG_FAELLE = [
    ("ungueltiges_json", lambda: _ozg_form(b'{"control": {"transactionId": "x",'), 400, True, "json_ungueltig"),
    ("falscher_typ", _falscher_typ, 400, True, "typ_ungueltig"),
    (
        "transaktions_id_fehlt",
        lambda: _ozg_form(b'{"control": {"formId": "x"}, "formData": []}'),
        400,
        True,
        "transaktions_id_fehlt",
    ),
    ("abgeschnitten", _abgeschnitten, 400, True, "multipart_ungueltig"),
    ("ohne_form_data", lambda: multipart_bauen([("x", None, "text/plain", b"1")]), 400, True, "form_data_fehlt"),
    ("kein_multipart", lambda: (b'{"control": {}}', "application/json"), 400, True, "multipart_ungueltig"),
]

SOAP_FAELLE = [
    (
        "abgeschnittenes_xml",
        lambda: intelliform_lieferung(random.Random(3), anhang_bytes=0)[:400],
        400,
        True,
        "xml_ungueltig",
    ),
    (
        "falscher_namespace",
        lambda: intelliform_lieferung(random.Random(4), anhang_bytes=0).replace(
            BACKEND_NS.encode(), b"http://example.org/falsch"
        ),
        400,
        True,
        "namespace_falsch",
    ),
    ("transaktions_id_fehlt", lambda: deposit_bauen(MYFORM_OHNE_ID), 400, True, "transaktions_id_fehlt"),
    ("ungueltiges_base64", _base64_kaputt, 400, True, "base64_ungueltig"),
    (
        "soap_1_2",
        lambda: intelliform_lieferung(random.Random(5), anhang_bytes=0).replace(
            SOAP11_NS.encode(), b"http://www.w3.org/2003/05/soap-envelope"
        ),
        400,
        True,
        "soap_version",
    ),
    ("xxe", lambda: XXE, 400, False, "xml_doctype"),
    ("billion_laughs", lambda: LAUGHS, 400, False, "xml_doctype"),
]


@pytest.mark.parametrize(("fall", "bauen", "status", "gespeichert", "code"), OZG_FAELLE, ids=[f[0] for f in OZG_FAELLE])
def test_malformed_ozg_delivery_is_answered_with_the_problem(client, intake, fall, bauen, status, gespeichert, code):
    """Each malformed OZG delivery: JSON error naming the problem; raw Eingang kept as fehlerhaft."""
    body, typ = bauen()
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == status, antwort.get_data(as_text=True)
    assert antwort.get_json()["error"]["code"] == code
    assert antwort.get_json()["error"]["message"]
    _gespeichert_pruefen(gespeichert, body, code)


@pytest.mark.parametrize(
    ("fall", "bauen", "status", "gespeichert", "code"), SOAP_FAELLE, ids=[f[0] for f in SOAP_FAELLE]
)
def test_malformed_soap_deposit_gets_a_soap_fault(client, intake, fall, bauen, status, gespeichert, code):
    """Each malformed deposit: a SOAP Fault (Client) with faultId = the error code."""
    body = bauen()
    antwort = client.post(
        "/intelliform/deposit", data=body, headers={"Authorization": intake.if_auth, "Content-Type": SOAP}
    )
    assert antwort.status_code == status, antwort.get_data(as_text=True)
    fault = etree.fromstring(antwort.data).find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext(f"detail/{{{BACKEND_NS}}}ApplicationFault/faultId") == code
    assert fault.findtext("faultstring")
    _gespeichert_pruefen(gespeichert, body, code)


def _gespeichert_pruefen(gespeichert: bool, body: bytes, code: str) -> None:
    """Stored raw and fehlerhaft with the code — or nothing at all; never a Vorgang."""
    assert anzahl_vorgaenge() == 0
    if not gespeichert:
        assert anzahl_eingaenge() == 0
        return
    eingang = db.session.scalars(select(Eingang)).one()
    assert (eingang.zustand, eingang.fehler_code, eingang.inhalt) == (FEHLERHAFT, code, body)
    assert eingang.fehler


def _basic(user: str, passwort: str) -> str:
    """An HTTP Basic header."""
    return "Basic " + base64.b64encode(f"{user}:{passwort}".encode()).decode()


AUTH_FAELLE = [
    ("ozg_ohne_zugangsdaten", "/antrag", None),
    ("ozg_falsches_token", "/antrag", "Bearer falsch"),
    ("ozg_mit_intelliform_zugang", "/antrag", "IF"),
    ("soap_falsches_passwort", "/intelliform/deposit", _basic("if-server", "falsch-falsch-falsch")),
    ("soap_unbekannter_benutzer", "/intelliform/deposit", _basic("niemand", "egal-egal-egal")),
    ("soap_mit_ozg_token", "/intelliform/deposit", "OZG"),
    ("soap_kaputter_basic_header", "/intelliform/deposit", "Basic %%%"),
]


@pytest.mark.parametrize(("fall", "pfad", "auth"), AUTH_FAELLE, ids=[f[0] for f in AUTH_FAELLE])
def test_wrong_credentials_get_401_and_nothing_is_stored(client, intake, caplog, fall, pfad, auth):
    """Missing, wrong or other-source credentials → 401, a log line, no Eingang."""
    auth = {"IF": intake.if_auth, "OZG": intake.ozg_auth}.get(auth, auth)
    body, typ = ozg_lieferung(random.Random(6), anhang_bytes=0)
    kopf = {"Content-Type": typ} | ({"Authorization": auth} if auth else {})
    antwort = client.post(pfad, data=body, headers=kopf)
    assert antwort.status_code == 401
    assert "WWW-Authenticate" in antwort.headers
    assert anzahl_eingaenge() == 0
    assert any("Anmeldung abgelehnt" in r.getMessage() for r in caplog.records)


def test_deactivated_source_and_foreign_ip_are_refused(client, intake):
    """A deactivated source, or a client address outside the allow-list, is a 401."""
    quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == "amt24")).one()
    quelle.ip_erlaubt = ["10.0.0.0/8"]
    db.session.commit()
    body, typ = ozg_lieferung(random.Random(7), anhang_bytes=0)
    kopf = {"Authorization": intake.ozg_auth, "Content-Type": typ}
    assert client.post("/antrag", data=body, headers=kopf).status_code == 401  # test client is 127.0.0.1
    erlaubt = client.post("/antrag", data=body, headers=kopf, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert erlaubt.status_code == 201
    quelle.aktiv = False
    db.session.commit()
    assert client.post("/antrag", data=body, headers=kopf, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401


@pytest.mark.parametrize("pfad", ["/antrag", "/intelliform/deposit"])
def test_oversize_delivery_gets_413_and_nothing_is_stored(app, client, intake, pfad):
    """Above INTAKE_MAX_BYTES → 413 before the body is read; no Eingang."""
    app.config["INTAKE_MAX_BYTES"] = 20_000
    if pfad == "/antrag":
        body, typ = ozg_lieferung(random.Random(8), anhang_bytes=30_000)
        auth = intake.ozg_auth
    else:
        body, typ = intelliform_lieferung(random.Random(8), anhang_bytes=30_000), SOAP
        auth = intake.if_auth
    antwort = client.post(pfad, data=body, headers={"Authorization": auth, "Content-Type": typ})
    assert antwort.status_code == 413
    assert anzahl_eingaenge() == 0


def test_oversize_attachment_inside_an_accepted_size_gets_413(app, client, intake):
    """An attachment above INTAKE_MAX_ANHANG_BYTES → 413, nothing stored."""
    app.config["INTAKE_MAX_ANHANG_BYTES"] = 10_000
    body, typ = ozg_lieferung(random.Random(9), anhang_bytes=30_000)
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 413
    assert antwort.get_json()["error"]["code"] == "anhang_zu_gross"
    assert anzahl_eingaenge() == 0


def test_same_broken_bytes_twice_are_stored_once_and_answered_alike(client, intake):
    """A broken delivery without transaction id is keyed by its hash; the resend gets the same answer."""
    body, typ = _ozg_form(b"{kaputt")
    kopf = {"Authorization": intake.ozg_auth, "Content-Type": typ}
    erste, zweite = client.post("/antrag", data=body, headers=kopf), client.post("/antrag", data=body, headers=kopf)
    assert erste.status_code == zweite.status_code == 400
    assert erste.get_json()["error"] == zweite.get_json()["error"]
    assert anzahl_eingaenge() == 1
