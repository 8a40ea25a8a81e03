"""OZG-Cloud intake contract: JSON part + representation + attachments → Antrag, with strict type checks."""

import json
from datetime import UTC, date, datetime

import pytest

from adapters import AdapterFehler, Feld
from adapters.ozgcloud import feld_zu_json, ozgcloud_antwort, ozgcloud_json_bauen, parse_ozgcloud

PDF = b"%PDF-1.4\n%%EOF\n"

VOLLSTAENDIG = {
    "control": {
        "transactionId": "4e7a6ae7-4d0f-444d-8971-7cfc051c9924",
        "zustaendigeStelle": "248240886",
        "leikaIds": ["99107004018000"],
        "formId": "waffenschein",
        "name": "Antrag auf Erteilung eines Waffenscheins",
        "serviceKonto": {
            "type": "OSI",
            "trustLevel": "STORK-QAA-Level-3",
            "postfachAddress": {"identifier": "4dd01647-b9d9-4775-1b50-08da3d83800a", "type": 1},
        },
        "customerId": "stadt-muster",
    },
    "formData": [
        {
            "name": "antragsteller",
            "label": "Antragstellende Person",
            "formItems": [
                {"name": "AS_Vorname", "label": "Vorname", "stringValue": "Erika"},
                {"name": "AS_Nachname", "label": "Nachname", "stringValue": "Mustermann"},
                {"name": "AS_Geburtsdatum", "label": "Geburtsdatum", "dateValue": "1964-08-12"},
                {
                    "name": "anschrift",
                    "label": "Anschrift",
                    "formItems": [
                        {"name": "strasse", "label": "Straße", "stringValue": "Heidestraße"},
                        {"name": "hausnummer", "label": "Hausnummer", "stringValue": "17"},
                        {"name": "plz", "label": "PLZ", "stringValue": "51147"},
                        {"name": "ort", "label": "Ort", "stringValue": "Köln"},
                    ],
                },
                {"name": "email", "label": "E-Mail", "stringValue": "erika@example.org"},
                {"name": "telefon", "label": "Telefon", "stringValue": "0221 123456"},
            ],
        },
        {"name": "anzahl_waffen", "label": "Anzahl Waffen", "numberValue": 2},
        {"name": "gebuehr", "label": "Gebühr", "numberValue": 52.5},
        {"name": "zuverlaessig", "label": "Ich bin zuverlässig", "booleanValue": True},
        {"name": "bemerkung", "label": "Bemerkung", "stringValue": None},
        {"name": "nichts", "label": "Ohne Wert"},
    ],
}


def _json(dokument) -> bytes:
    """Serialize a test document."""
    return json.dumps(dokument).encode()


def _fehler(form_data: bytes, *dateien, **optionen) -> AdapterFehler:
    """Parse and return the AdapterFehler that must be raised."""
    with pytest.raises(AdapterFehler) as fehler:
        parse_ozgcloud(form_data, *dateien, **optionen)
    return fehler.value


def test_control_maps_to_header_with_service_konto_and_postfach():
    """transactionId, zuständige Stelle, LeiKa ids, form id/name, account type, trust level and Postfach."""
    antrag = parse_ozgcloud(_json(VOLLSTAENDIG))
    json.dumps(antrag.to_dict())  # storable as is
    kopf = antrag.kopf
    assert kopf.quelle == "ozgcloud"
    assert kopf.transaktions_id == "4e7a6ae7-4d0f-444d-8971-7cfc051c9924"
    assert kopf.zustaendige_stelle == "248240886"
    assert kopf.leika_ids == ["99107004018000"]
    assert (kopf.formular_id, kopf.formular_name) == ("waffenschein", "Antrag auf Erteilung eines Waffenscheins")
    assert (kopf.konto_typ, kopf.vertrauensniveau) == ("OSI", "STORK-QAA-Level-3")
    assert (kopf.postfach_adresse, kopf.postfach_typ) == ("4dd01647-b9d9-4775-1b50-08da3d83800a", "1")
    assert kopf.extra["control"] == {"customerId": "stadt-muster"}


def test_form_data_becomes_typed_ordered_tree():
    """Each value key gives its type; formItems give groups; null and missing values are None."""
    felder = parse_ozgcloud(_json(VOLLSTAENDIG)).formulardaten
    assert [f.name for f in felder] == [
        "antragsteller",
        "anzahl_waffen",
        "gebuehr",
        "zuverlaessig",
        "bemerkung",
        "nichts",
    ]
    assert felder[0].typ == "group" and felder[0].label == "Antragstellende Person"
    assert felder[0].kinder[2].wert == date(1964, 8, 12) and felder[0].kinder[2].typ == "date"
    assert (felder[1].wert, felder[1].typ) == (2, "number")
    assert felder[2].wert == 52.5
    assert (felder[3].wert, felder[3].typ) == (True, "boolean")
    assert felder[4].wert is None and felder[5].wert is None


def test_applicant_is_found_in_nested_form_items_by_name_patterns():
    """AS_Vorname etc. inside groups give the Antragsteller."""
    person = parse_ozgcloud(_json(VOLLSTAENDIG)).antragsteller
    assert (person.art, person.vorname, person.nachname) == ("person", "Erika", "Mustermann")
    assert (person.strasse, person.hausnummer, person.plz, person.ort) == ("Heidestraße", "17", "51147", "Köln")
    assert person.geburtsdatum == date(1964, 8, 12)
    assert (person.email, person.telefon) == ("erika@example.org", "0221 123456")


def test_applicant_patterns_are_configurable_per_call():
    """An override mapping finds fields a form names unusually."""
    dokument = {
        "control": {"transactionId": "t"},
        "formData": [{"name": "halter_rufname", "stringValue": "Ute"}, {"name": "xyz", "stringValue": "Muster"}],
    }
    person = parse_ozgcloud(_json(dokument), antragsteller_muster={"nachname": r"^xyz$"}).antragsteller
    assert (person.vorname, person.nachname) == ("Ute", "Muster")


def test_representation_and_attachments_become_anhaenge_in_order():
    """The PDF representation and each attachment part are kept with sanitized names and sniffed types."""
    antrag = parse_ozgcloud(
        _json(VOLLSTAENDIG),
        ("Antrag.pdf", "application/pdf", PDF),
        [("../../nachweis.pdf", "application/pdf", PDF), ("foto.png", "image/png", PDF)],
    )
    assert [(a.verweis_id, a.dateiname) for a in antrag.anhaenge] == [
        ("representation", "Antrag.pdf"),
        ("attachment-1", "nachweis.pdf"),
        ("attachment-2", "foto.png"),
    ]
    assert antrag.anhaenge[2].mime_passt is False  # declared PNG, is a PDF


def test_builder_output_parses_back_to_the_same_content():
    """ozgcloud_json_bauen (used by simulate) produces exactly what the parser accepts."""
    daten = ozgcloud_json_bauen(
        "T-1",
        {"person": {"vorname": "Max", "geburtsdatum": date(2000, 1, 31)}, "anzahl": 3, "ok": False, "leer": None},
        zustaendige_stelle="31005",
        leika_ids=["99"],
        formular_id="f",
        formular_name="F",
        konto_typ="BUNDID",
        vertrauensniveau="substantiell",
        postfach_adresse="pf-1",
        postfach_typ="BundID",
    )
    antrag = parse_ozgcloud(daten)
    assert antrag.kopf.postfach_adresse == "pf-1"
    assert antrag.antragsteller.vorname == "Max"
    assert [feld_zu_json(f) for f in antrag.formulardaten] == json.loads(daten)["formData"]
    eigene = [Feld("a", "A", 1.5, "number"), Feld("b", None, "x")]
    assert parse_ozgcloud(ozgcloud_json_bauen("T-2", eigene)).formulardaten == [
        Feld("a", "A", 1.5, "number"),
        Feld("b", "b", "x"),
    ]


def test_answer_body_has_the_contract_shape():
    """{transactionId, vorgang: {vorgangId, vorgangNummer, status, statusSince}}."""
    antwort = ozgcloud_antwort("T-1", 7, "31005-FFBZK6", "Neu", datetime(2026, 1, 1, tzinfo=UTC))
    assert antwort == {
        "transactionId": "T-1",
        "vorgang": {
            "vorgangId": "7",
            "vorgangNummer": "31005-FFBZK6",
            "status": "Neu",
            "statusSince": "2026-01-01T00:00:00+00:00",
        },
    }


# --- malformed input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roh", "meldung"),
    [
        (b"", "kein gültiges JSON"),
        (b'{"control": {"transactionId": "t"', "kein gültiges JSON"),
        (b"{'control': 1}", "kein gültiges JSON"),
        (b'{"control": {"transactionId": "t"}, "formData": [{"name": "x", "numberValue": NaN}]}', "NaN"),
        (b"\xff\xfe{}", "kein UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "zu tief verschachtelt"),
        (
            b'{"control": {"transactionId": "t"}, "formData": [{"name": "a", "numberValue": ' + b"1" * 5000 + b"}]}",
            "kein verarbeitbares JSON",
        ),
    ],
    ids=["leer", "abgeschnitten", "einfache-anfuehrungszeichen", "nan", "kein-utf8", "zu-tief", "riesige-zahl"],
)
def test_invalid_json_is_refused(roh, meldung):
    """Anything json.loads would refuse (or accept only as an extension) gives json_ungueltig."""
    fehler = _fehler(roh)
    assert fehler.code == "json_ungueltig"
    assert meldung in fehler.message


@pytest.mark.parametrize(
    ("dokument", "code", "meldung"),
    [
        ({"formData": []}, "transaktions_id_fehlt", "Transaktions-ID fehlt"),
        ({"control": {}}, "transaktions_id_fehlt", "Transaktions-ID fehlt"),
        ({"control": {"transactionId": "  "}}, "transaktions_id_fehlt", "Transaktions-ID fehlt"),
        (
            {"control": {"transactionId": 42}},
            "typ_ungueltig",
            "control.transactionId muss ein Text sein, ist aber Zahl",
        ),
        ([], "typ_ungueltig", "formData-JSON muss ein Objekt sein, ist aber Liste"),
        ({"control": "x"}, "typ_ungueltig", "control muss ein Objekt sein"),
        ({"control": {"transactionId": "t", "leikaIds": "99"}}, "typ_ungueltig", "control.leikaIds muss eine Liste"),
        ({"control": {"transactionId": "t", "leikaIds": [99]}}, "typ_ungueltig", "control.leikaIds[0] muss ein Text"),
        ({"control": {"transactionId": "t", "zustaendigeStelle": 5}}, "typ_ungueltig", "control.zustaendigeStelle"),
        ({"control": {"transactionId": "t", "serviceKonto": []}}, "typ_ungueltig", "control.serviceKonto muss"),
        (
            {"control": {"transactionId": "t", "serviceKonto": {"postfachAddress": {"identifier": 1}}}},
            "typ_ungueltig",
            "control.serviceKonto.postfachAddress.identifier",
        ),
        ({"control": {"transactionId": "t"}, "formData": {}}, "typ_ungueltig", "formData muss eine Liste sein"),
        ({"control": {"transactionId": "t"}, "formData": ["x"]}, "typ_ungueltig", "formData[0] muss ein Objekt"),
        ({"control": {"transactionId": "t"}, "formData": [{"label": "x"}]}, "feld_fehlt", "formData[0].name fehlt"),
        ({"control": {"transactionId": "t"}, "formData": [{"name": " "}]}, "feld_fehlt", "formData[0].name ist leer"),
    ],
)
def test_wrong_structure_or_types_in_control_are_named(dokument, code, meldung):
    """Missing transaction id and every wrong type in control give a message with the JSON path."""
    fehler = _fehler(_json(dokument))
    assert fehler.code == code
    assert meldung in fehler.message


@pytest.mark.parametrize(
    ("eintrag", "meldung"),
    [
        ({"name": "a", "numberValue": "3"}, "formData[0].numberValue muss eine Zahl sein, ist aber Text"),
        ({"name": "a", "numberValue": True}, "muss eine Zahl sein, ist aber Wahrheitswert"),
        ({"name": "a", "booleanValue": "true"}, "formData[0].booleanValue muss true oder false sein"),
        ({"name": "a", "stringValue": 5}, "formData[0].stringValue muss ein Text sein"),
        ({"name": "a", "dateValue": 20240101}, "formData[0].dateValue muss ein Datum als Text"),
        ({"name": "a", "dateValue": "31.12.2024"}, "'31.12.2024' ist kein gültiges Datum"),
        ({"name": "a", "dateValue": "2024-02-30"}, "ist kein gültiges Datum"),
        ({"name": "a", "stringValue": "x", "numberValue": 1}, "hat mehrere Werte"),
        ({"name": "a", "stringValue": "x", "formItems": []}, "sowohl stringValue als auch formItems"),
        ({"name": "a", "formItems": {}}, "formData[0].formItems muss eine Liste sein"),
        ({"name": "a", "formItems": [{"name": "b", "numberValue": []}]}, "formData[0].formItems[0].numberValue"),
        ({"name": "a", "label": 3, "stringValue": "x"}, "formData[0].label muss ein Text sein"),
    ],
)
def test_wrong_value_types_in_form_data_are_named_by_path(eintrag, meldung):
    """Strict typing of every value, with the exact path of the offending item."""
    fehler = _fehler(_json({"control": {"transactionId": "t"}, "formData": [eintrag]}))
    assert fehler.code == "typ_ungueltig"
    assert meldung in fehler.message


def test_absurdly_deep_form_items_are_refused():
    """More than 32 nested groups: typ_ungueltig instead of unbounded recursion."""
    eintrag: dict = {"name": "blatt", "stringValue": "x"}
    for i in range(40):
        eintrag = {"name": f"g{i}", "formItems": [eintrag]}
    fehler = _fehler(_json({"control": {"transactionId": "t"}, "formData": [eintrag]}))
    assert "tiefer als 32" in fehler.message


def test_date_time_value_is_accepted_as_its_date():
    """Some senders put a full ISO timestamp into dateValue; its date part is kept."""
    antrag = parse_ozgcloud(
        _json({"control": {"transactionId": "t"}, "formData": [{"name": "d", "dateValue": "2024-05-06T10:00:00Z"}]})
    )
    assert antrag.formulardaten[0].wert == date(2024, 5, 6)


def test_oversize_attachment_part_is_refused_with_413():
    """The per-attachment limit applies to each multipart part."""
    fehler = _fehler(
        _json({"control": {"transactionId": "t"}}), None, [("gross.bin", None, b"x" * 2049)], max_anhang_bytes=2048
    )
    assert (fehler.code, fehler.http_status) == ("anhang_zu_gross", 413)
    assert "gross.bin" in fehler.message


@pytest.mark.parametrize(
    ("datei", "gefaehrlich"),
    [
        (("x.html", "text/html", b"<html><body>hi</body></html>"), True),
        (("bild.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>'), True),
        (("tarnung.pdf", "application/pdf", b"<html><script>x</script></html>"), True),
        (("nachweis.pdf", "application/pdf", PDF), False),
    ],
)
def test_html_and_svg_parts_are_flagged_dangerous(datei, gefaehrlich):
    """Dangerous uploads are kept (nothing lost) but flagged; a disguised HTML is caught by sniffing."""
    antrag = parse_ozgcloud(_json({"control": {"transactionId": "t"}}), None, [datei])
    assert antrag.anhaenge[0].ist_gefaehrlich is gefaehrlich


def test_malformed_part_tuple_is_refused():
    """The endpoint must pass (filename, content_type, bytes); anything else is a clear error."""
    fehler = _fehler(_json({"control": {"transactionId": "t"}}), None, [("a.txt", "text/plain", "kein bytes")])
    assert fehler.code == "typ_ungueltig"
    assert "attachment-1" in fehler.message
