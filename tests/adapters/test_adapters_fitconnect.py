"""FIT-Connect: decrypted metadata → Kopf, hash-checked attachments and data, JSON/XML data → Feld tree."""

import hashlib
import json
from datetime import date

import pytest

from adapters import AdapterFehler
from adapters.fitconnect import anhaenge_pruefen, kopf_aus_metadaten, parse_fitconnect

PDF = b"%PDF-1.4\n%%EOF\n"
ANHANG_ID = "64118239-77d4-4089-8014-a4deaa1e4239"  # declared in the metadata sample


def _hash(inhalt: bytes) -> dict:
    """A metadata hash object for ``inhalt``."""
    return {"type": "sha512", "content": hashlib.sha512(inhalt).hexdigest()}


def _eigene_metadaten(daten: bytes, mime: str = "application/json") -> dict:
    """Metadata declaring one PDF and ``daten`` with correct hashes, a LeiKa service and a FINK mailbox."""
    return {
        "publicServiceType": {"identifier": "urn:de:fim:leika:leistung:99108008252000", "name": "Hundesteuer"},
        "additionalReferenceInfo": {"senderReference": "REF-1", "applicationDate": "2026-03-01"},
        "replyChannel": {"eMail": {"address": "a@example.org"}, "fink": {"mailboxUri": "fink://postfach/123"}},
        "authenticationInformation": [{"type": "identificationReport", "version": "1.0.0", "content": "..."}],
        "contentStructure": {
            "data": {"submissionSchema": {"schemaUri": "urn:x", "mimeType": mime}, "hash": _hash(daten)},
            "attachments": [
                {
                    "attachmentId": ANHANG_ID,
                    "purpose": "form",
                    "mimeType": "application/pdf",
                    "hash": _hash(PDF),
                    "filename": "../antrag.pdf",
                }
            ],
        },
    }


def test_metadata_sample_maps_to_header(fitconnect_metadaten_roh):
    """Service identifier/name, sender reference, application date, sender and e-mail reply channel land in the
    Kopf; a service identifier that is no LeiKa URN gives no LeiKa id."""
    kopf = kopf_aus_metadaten(fitconnect_metadaten_roh, submission_id="sub-1", destination_id="zp-9")
    assert (kopf.quelle, kopf.transaktions_id, kopf.zustaendige_stelle) == ("fitconnect", "sub-1", "zp-9")
    assert (kopf.formular_id, kopf.formular_name) == (
        "urn:de:musterland:antragsportal:hundesteuer-anmeldung-v3",
        "Anmeldung eines Hundes zur Hundesteuer",
    )
    assert kopf.leika_ids == []
    assert (kopf.postfach_adresse, kopf.postfach_typ) == ("erika.mustermann@example.org", "E-Mail")
    assert kopf.extra["sender_reference"] == "MLAP-HST-2026-004711"
    assert kopf.extra["application_date"] == "2026-09-21"
    assert kopf.extra["sender"]["name"] == "Antragsportal Musterland (Test)"
    assert kopf.extra["attachments"][0]["purpose"] == "form"
    assert kopf.extra["attachments"][0]["filename"] == "hundesteuer-anmeldung.pdf"


def test_sender_reference_is_the_fallback_transaction_id(fitconnect_metadaten_roh):
    """Without a submission id the sender reference identifies the delivery."""
    assert kopf_aus_metadaten(fitconnect_metadaten_roh).transaktions_id == "MLAP-HST-2026-004711"


def test_declared_attachment_of_the_sample_must_be_delivered_with_matching_hash(fitconnect_metadaten_roh):
    """Missing → anhang_fehlt; other bytes → hash_falsch (the sample's hash belongs to a PDF not shipped)."""
    metadaten = json.loads(fitconnect_metadaten_roh)
    with pytest.raises(AdapterFehler) as fehler:
        anhaenge_pruefen(metadaten, {})
    assert fehler.value.code == "anhang_fehlt"
    with pytest.raises(AdapterFehler) as fehler:
        anhaenge_pruefen(metadaten, {ANHANG_ID: PDF})
    assert fehler.value.code == "hash_falsch"


def test_full_submission_with_json_data_gives_antrag():
    """LeiKa id from the URN, FINK mailbox preferred, JSON data typed, applicant found, file name sanitized."""
    daten = json.dumps(
        {
            "antragsteller": {"vorname": "Erika", "nachname": "Muster", "geburtsdatum": "1964-08-12"},
            "hunde": [{"name": "Bello", "alter": 3}],
            "steuerbefreit": False,
        }
    ).encode()
    antrag = parse_fitconnect(
        json.dumps(_eigene_metadaten(daten)).encode(), daten, {ANHANG_ID: PDF}, submission_id="sub-2"
    )
    assert antrag.kopf.leika_ids == ["99108008252000"]
    assert (antrag.kopf.postfach_adresse, antrag.kopf.postfach_typ) == ("fink://postfach/123", "FINK")
    assert antrag.kopf.konto_typ == "identificationReport"
    assert antrag.antragsteller.vorname == "Erika"
    assert antrag.antragsteller.geburtsdatum == date(1964, 8, 12)
    hunde = antrag.formulardaten[1]
    assert hunde.typ == "group" and hunde.kinder[0].name == "hunde[0]"
    assert hunde.kinder[0].kinder[1].wert == 3
    assert antrag.formulardaten[2].wert is False
    assert [(a.dateiname, a.verweis_id) for a in antrag.anhaenge] == [("antrag.pdf", ANHANG_ID)]


def test_xml_data_goes_through_the_hardened_parser():
    """XML data (by declared MIME type) is parsed with the hardened parser; a DOCTYPE is refused."""
    daten = b"<antrag><vorname>Ute</vorname></antrag>"
    antrag = parse_fitconnect(_eigene_metadaten(daten, "application/xml"), daten, {ANHANG_ID: PDF}, submission_id="s")
    assert antrag.antragsteller.vorname == "Ute"
    boese = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    with pytest.raises(AdapterFehler) as fehler:
        parse_fitconnect(_eigene_metadaten(boese, "application/xml"), boese, {ANHANG_ID: PDF}, submission_id="s")
    assert fehler.value.code == "xml_doctype"


@pytest.mark.parametrize(
    ("umbau", "code"),
    [
        (lambda m, d, a: (m, d + b" ", a), "hash_falsch"),
        (lambda m, d, a: (m, d, {**a, "extra": b"x"}), "anhang_unerwartet"),
        (lambda m, d, a: (m, d, {}), "anhang_fehlt"),
        (lambda m, d, a: ({**m, "additionalReferenceInfo": {}}, d, a), "transaktions_id_fehlt"),
        (lambda m, d, a: ({**m, "replyChannel": []}, d, a), "typ_ungueltig"),
        (lambda m, d, a: (b"{kaputt", d, a), "json_ungueltig"),
        (lambda m, d, a: ({**m, "contentStructure": {"attachments": 5}}, d, a), "typ_ungueltig"),
    ],
    ids=["daten-hash", "unerwartet", "fehlt", "ohne-id", "typ", "json", "anhangliste-typ"],
)
def test_inconsistent_submission_is_refused(umbau, code):
    """Altered data, undeclared or missing files, no id, wrong types, broken JSON: each its own code."""
    daten = b'{"a": 1}'
    metadaten, daten, anhaenge = umbau(_eigene_metadaten(daten), daten, {ANHANG_ID: PDF})
    with pytest.raises(AdapterFehler) as fehler:
        parse_fitconnect(metadaten, daten, anhaenge)
    assert fehler.value.code == code


def test_fit_connect_reply_channel_keeps_only_the_public_key_and_refuses_other_keys():
    """`replyChannel.fitConnect`: process standards and the public RSA members of the key go to `extra`; a key
    that is not RSA, or a process standard list of the wrong type, is a clear error."""
    schluessel = {"kty": "RSA", "kid": "k", "n": "AQAB" * 10, "e": "AQAB", "d": "geheim", "p": "x"}
    metadaten = {
        "additionalReferenceInfo": {"senderReference": "r"},
        "replyChannel": {"fitConnect": {"processStandards": ["urn:x"], "encryptionPublicKey": schluessel}},
    }
    kopf = kopf_aus_metadaten(metadaten, case_id="c", destination_id="d")
    assert kopf.extra["case_id"] == "c" and kopf.extra["destination_id"] == "d"
    assert kopf.extra["reply_channel"] == {
        "process_standards": ["urn:x"],
        "encryption_public_key": {"kty": "RSA", "kid": "k", "n": "AQAB" * 10, "e": "AQAB"},
    }
    metadaten["replyChannel"]["fitConnect"]["encryptionPublicKey"] = {"kty": "EC", "x": "1", "y": "2"}
    with pytest.raises(AdapterFehler, match="kein öffentlicher RSA-Schlüssel"):
        kopf_aus_metadaten(metadaten)
    metadaten["replyChannel"]["fitConnect"] = {"processStandards": "urn:x", "encryptionPublicKey": schluessel}
    with pytest.raises(AdapterFehler, match="processStandards"):
        kopf_aus_metadaten(metadaten)
