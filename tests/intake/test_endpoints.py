"""Form services deliver through the real endpoints and each application becomes one Vorgang."""

import io
import random

import pytest
from lxml import etree
from sqlalchemy import event, select
from werkzeug.test import EnvironBuilder

from adapters import AdapterFehler
from adapters.intelliform import BACKEND_NS, SOAP11_NS, DepositAnhang
from adapters.intelliform_soap import deposit_bauen
from adapters.ozgcloud import ozgcloud_json_bauen
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessInstanz
from app.extensions import db
from app.intake.models import VERARBEITET, Eingang, IntakeRouting
from app.intake.parsen import multipart_teilen
from app.intake.simulation import intelliform_lieferung, multipart_bauen, ozg_lieferung, pdf
from app.vorgaenge.models import Anhang, HistorieEintrag, Vorgang
from tests.fixtures import MYFORM_UPLOAD_ID, MYFORM_UPLOAD_LENGTH, MYFORM_UPLOAD_NAME
from tests.intake.conftest import anzahl_eingaenge, anzahl_vorgaenge, datei_pfad

SOAP = "text/xml; charset=utf-8"


def _ozg(client, auth, body, typ):
    """POST /antrag."""
    return client.post("/antrag", data=body, headers={"Authorization": auth, "Content-Type": typ})


def test_ozg_cloud_delivery_becomes_a_vorgang_with_attachments_in_the_responsible_oe(app, client, intake):
    """The OZG-Cloud contract: formData JSON + representation + attachment → 201 with the Vorgang."""
    form_data = ozgcloud_json_bauen(
        "tx-0815",
        {
            "antragsteller": {"vorname": "Erika", "nachname": "Mustermann", "plz": "01067", "ort": "Dresden"},
            "hund": {"rasse": "Dackel", "anzahl": 1, "listenhund": False},
        },
        zustaendige_stelle="197008",
        leika_ids=["99104004001000"],
        formular_id="hundesteuer-anmeldung",
        formular_name="Hundesteuer-Anmeldung",
        konto_typ="BUND_ID",
        vertrauensniveau="STORK-QAA-Level-3",
        postfach_adresse="0b6b5b1e-postfach",
        postfach_typ="1",
    )
    nachweis = pdf(5000, random.Random(1))
    body, typ = multipart_bauen(
        [
            ("formData", None, "application/json", form_data),
            ("representation", "antrag.pdf", "application/pdf", pdf(2000, random.Random(2))),
            ("attachment", "../../etc/impfpass.pdf", "application/pdf", nachweis),
        ]
    )

    antwort = _ozg(client, intake.ozg_auth, body, typ)

    assert antwort.status_code == 201, antwort.get_data(as_text=True)
    daten = antwort.get_json()
    assert daten["transactionId"] == "tx-0815"
    vorgang = db.session.scalars(select(Vorgang).where(Vorgang.nummer == daten["vorgang"]["vorgangNummer"])).one()
    assert daten["vorgang"]["vorgangId"] == str(vorgang.id)
    assert daten["vorgang"]["status"] == "Neu" and daten["vorgang"]["statusSince"]
    assert vorgang.oe_id == intake.ordnungsamt.id and not vorgang.zustaendigkeit_pruefen
    assert vorgang.formular_id == "hundesteuer-anmeldung" and vorgang.leika_ids == ["99104004001000"]
    assert vorgang.antragsteller_name == "Erika Mustermann"
    assert vorgang.antragsteller["konto"]["postfach_adresse"] == "0b6b5b1e-postfach"
    assert [f["name"] for f in vorgang.formulardaten] == ["antragsteller", "hund"]
    anhaenge = db.session.scalars(select(Anhang).where(Anhang.vorgang_id == vorgang.id).order_by(Anhang.id)).all()
    assert [a.dateiname for a in anhaenge] == ["antrag.pdf", "impfpass.pdf"]
    assert all(a.mime_typ == "application/pdf" and a.herkunft == "antrag" and a.hochgeladen_am for a in anhaenge)
    assert datei_pfad(app, anhaenge[1].sha256).read_bytes() == nachweis
    eingang = db.session.scalars(select(Eingang)).one()
    assert (eingang.zustand, eingang.vorgang_id, eingang.quelle) == (VERARBEITET, vorgang.id, "amt24")
    assert eingang.inhalt == body and eingang.versuche == 1 and eingang.bearbeitet_am
    aktionen = db.session.scalars(
        select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == vorgang.id).order_by(HistorieEintrag.id)
    ).all()
    assert aktionen[:3] == ["Vorgang angelegt", "Antrag eingegangen", "Verfahren gestartet"]
    instanz = db.session.scalars(select(ProzessInstanz).where(ProzessInstanz.vorgang_id == vorgang.id)).one()
    assert instanz.modell_version.key == "hundesteuer"  # routed by form id through processes/routing.toml
    assert offene_aufgaben(vorgang=vorgang), "the procedure runs to its first user task"


def test_repeated_ozg_delivery_names_the_existing_vorgang(client, intake):
    """Same transaction id again → 200 with the same Vorgang, nothing new stored."""
    body, typ = ozg_lieferung(random.Random(3), transaktions_id="tx-doppelt", anhang_bytes=1000)
    erste = _ozg(client, intake.ozg_auth, body, typ)
    zweite = _ozg(client, intake.ozg_auth, body, typ)
    assert (erste.status_code, zweite.status_code) == (201, 200)
    assert erste.get_json()["vorgang"] == zweite.get_json()["vorgang"]
    assert (anzahl_eingaenge(), anzahl_vorgaenge()) == (1, 1)


def _deposit_aus_beispiel(myform_xml: bytes, **kwargs) -> bytes:
    """The myForm sample in a full deposit envelope, with the PDF its `<file id>` references."""
    anhang = DepositAnhang(
        MYFORM_UPLOAD_ID,
        MYFORM_UPLOAD_NAME,
        "application/pdf",
        pdf(MYFORM_UPLOAD_LENGTH, random.Random(4)),
        None,
        {"X-IntelliForm-Original-Name": MYFORM_UPLOAD_NAME},
    )
    return deposit_bauen(myform_xml, [anhang], **kwargs)


def test_intelliform_deposit_of_the_sample_answers_deposit_response(client, intake, myform_xml):
    """The myForm sample in a SOAP deposit → depositResponse naming the Vorgang; BayernID data → Antragsteller."""
    db.session.add(IntakeRouting(art="intelliform_kunde", schluessel="32", oe_id=intake.ordnungsamt.id))
    db.session.commit()
    envelope = _deposit_aus_beispiel(myform_xml)

    antwort = client.post(
        "/intelliform/deposit", data=envelope, headers={"Authorization": intake.if_auth, "Content-Type": SOAP}
    )

    assert antwort.status_code == 200, antwort.get_data(as_text=True)
    assert antwort.content_type.startswith("text/xml")
    wurzel = etree.fromstring(antwort.data)
    assert wurzel.find(f"{{{SOAP11_NS}}}Body/{{{BACKEND_NS}}}depositResponse") is not None
    parameter = {e.findtext("key"): e.findtext("value") for e in wurzel.iter("customParameters")}
    vorgang = db.session.scalars(select(Vorgang).where(Vorgang.nummer == parameter["vorgangNummer"])).one()
    assert parameter["transaktionsId"] == "20260914135539865875"
    assert vorgang.oe_id == intake.ordnungsamt.id
    assert vorgang.formular_id == "32/baumfaellgenehmigung"
    assert vorgang.antragsteller_name == "Erika Mustermann"
    assert vorgang.antragsteller["plz"] == "12345"
    assert vorgang.antragsteller["konto"]["konto_typ"] == "BayernID"
    namen = db.session.scalars(select(Anhang.dateiname).where(Anhang.vorgang_id == vorgang.id)).all()
    assert sorted(namen) == ["XML-Daten.xml", MYFORM_UPLOAD_NAME]


def test_unknown_authority_goes_to_the_default_oe_flagged_zustaendigkeit_pruefen(client, intake):
    """No routing entry and no OE with that Kennung → Standard-OE, "Zuständigkeit prüfen", Historie note."""
    body, typ = ozg_lieferung(random.Random(5), zustaendige_stelle="999999", anhang_bytes=0)
    antwort = _ozg(client, intake.ozg_auth, body, typ)
    assert antwort.status_code == 201
    vorgang = db.session.scalars(select(Vorgang)).one()
    assert vorgang.oe_id == intake.buergerbuero.id and vorgang.zustaendigkeit_pruefen
    notiz = db.session.scalars(
        select(HistorieEintrag.notiz).where(HistorieEintrag.aktion == "Zuständigkeit prüfen")
    ).one()
    assert "999999" in notiz
    aktionen = db.session.scalars(select(HistorieEintrag.aktion).order_by(HistorieEintrag.id)).all()
    assert aktionen[:4] == ["Vorgang angelegt", "Antrag eingegangen", "Zuständigkeit prüfen", "Verfahren gestartet"]


def test_routing_table_maps_zustaendige_stelle_to_an_oe(client, intake):
    """A routing row for the zuständige Stelle wins over the default."""
    db.session.add(IntakeRouting(art="zustaendige_stelle", schluessel="ARS-146120000000", oe_id=intake.ordnungsamt.id))
    db.session.commit()
    body, typ = ozg_lieferung(random.Random(6), zustaendige_stelle="ARS-146120000000", anhang_bytes=0)
    assert _ozg(client, intake.ozg_auth, body, typ).status_code == 201
    vorgang = db.session.scalars(select(Vorgang)).one()
    assert vorgang.oe_id == intake.ordnungsamt.id and not vorgang.zustaendigkeit_pruefen


def test_routing_is_cached_briefly_and_a_routing_change_in_this_process_applies_at_once(app, client, intake):
    """The second delivery with the same keys is routed from the cache (no routing query); adding a routing
    row through the ORM clears the cache, so the next delivery goes to the new OE."""
    abfragen = []

    def merken(_conn, _cursor, statement, *_rest):
        """Remember routing queries."""
        if "intake_routing" in statement and statement.lstrip().upper().startswith("SELECT"):
            abfragen.append(statement)

    event.listen(db.engine, "before_cursor_execute", merken)
    try:
        for seed in (7, 8):
            body, typ = ozg_lieferung(random.Random(seed), zustaendige_stelle="ARS-1", anhang_bytes=0)
            assert _ozg(client, intake.ozg_auth, body, typ).status_code == 201
        assert len(abfragen) == 1
        db.session.add(IntakeRouting(art="zustaendige_stelle", schluessel="ARS-1", oe_id=intake.ordnungsamt.id))
        db.session.commit()
        body, typ = ozg_lieferung(random.Random(9), zustaendige_stelle="ARS-1", anhang_bytes=0)
        assert _ozg(client, intake.ozg_auth, body, typ).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", merken)
    assert len(abfragen) == 2
    oes = db.session.scalars(select(Vorgang.oe_id).order_by(Vorgang.id)).all()
    assert oes == [intake.buergerbuero.id, intake.buergerbuero.id, intake.ordnungsamt.id]


def test_simulated_intelliform_delivery_with_upload_round_trips(client, intake):
    """The simulation's SOAP deposit (as used by `intake simulate` and the benchmark) is accepted."""
    envelope = intelliform_lieferung(random.Random(7), anhang_bytes=2000)
    antwort = client.post(
        "/intelliform/deposit", data=envelope, headers={"Authorization": intake.if_auth, "Content-Type": SOAP}
    )
    assert antwort.status_code == 200, antwort.get_data(as_text=True)
    vorgang = db.session.scalars(select(Vorgang)).one()
    assert vorgang.oe_id == intake.ordnungsamt.id
    assert (
        db.session.scalars(select(Anhang.dateiname).where(Anhang.vorgang_id == vorgang.id)).all().count("nachweis.pdf")
        == 1
    )


def test_multipart_bodies_encoded_by_another_client_are_split_alike(app):
    """A body encoded by werkzeug (another encoder than ours): formData as file part, two attachments whose
    bytes contain CRLF and dashes, a file name with umlaut and space."""
    heikel = b"--\r\n--boundary-like\r\n\r\n" + bytes(range(256))
    builder = EnvironBuilder(
        method="POST",
        data={
            "formData": (io.BytesIO(b'{"control": {}}'), "form.json", "application/json"),
            "attachment": [
                (io.BytesIO(heikel), "Lageplan Müller.bin", "application/octet-stream"),
                (io.BytesIO(b"zwei"), "zwei.txt", "text/plain"),
            ],
        },
    )
    umgebung = builder.get_environ()
    body = umgebung["wsgi.input"].read()
    form_data, representation, attachments = multipart_teilen(body, umgebung["CONTENT_TYPE"], 10_000)
    assert form_data == b'{"control": {}}' and representation is None
    assert [(a[0], a[1], a[2]) for a in attachments] == [
        ("Lageplan Müller.bin", "application/octet-stream", heikel),
        ("zwei.txt", "text/plain", b"zwei"),
    ]


def test_a_multipart_part_above_the_attachment_limit_is_refused_while_splitting():
    """The streaming split stops at the first part larger than the limit (413, nothing more is read)."""
    body, typ = multipart_bauen(
        [("formData", None, "application/json", b"{}"), ("attachment", "gross.bin", "application/pdf", b"x" * 5000)]
    )
    with pytest.raises(AdapterFehler) as fehler:
        multipart_teilen(body, typ, 4000)
    assert (fehler.value.code, fehler.value.http_status) == ("anhang_zu_gross", 413)


def test_dangerous_or_mislabelled_attachments_are_kept_but_flagged(client, intake):
    """An HTML file declared as PDF is stored with its sniffed type, flagged dangerous, the mismatch noted."""
    form_data = ozgcloud_json_bauen("tx-html", {"vorname": "Eva"}, zustaendige_stelle="197008")
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    body, typ = multipart_bauen(
        [("formData", None, "application/json", form_data), ("attachment", "rechnung.pdf", "application/pdf", html)]
    )
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 201
    anhang = db.session.scalars(select(Anhang)).one()
    assert anhang.ist_gefaehrlich and anhang.mime_typ == "text/html"
    assert "passt nicht" in anhang.beschreibung
