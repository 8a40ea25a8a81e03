"""intelliForm SOAP deposit: full envelopes built from the myForm sample (tests/fixtures), answers, malformed input."""

import base64
import json
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from adapters import AdapterFehler
from adapters.intelliform import BACKEND_NS, SOAP11_NS, DepositAnhang, parse_deposit
from adapters.intelliform_soap import deposit_antwort_bauen, deposit_bauen, soap_fault_aus_fehler, soap_fault_bauen
from tests.fixtures import MYFORM_UPLOAD_ID

UPLOAD_ID = MYFORM_UPLOAD_ID

# A myForm as the newer intelliForm versions send it: a:type/a:label per field, a nested <user> block.
MYFORM_MIT_TYPEN = """<?xml version="1.0" encoding="UTF-8"?>
<myForm xmlns:a="http://xmlns.cit.de/assistants/internal" xmlns:t="http://xmlns.cit.de/intelliform/transaction"
  t:id="T-42" t:form-id="stadt/hundesteuer" t:form="Anmeldung Hundesteuer" t:timestamp="2026-03-01T10:00:00Z">
  <geschlecht a:label="weiblich" a:type="string">2</geschlecht>
  <anzahl_hunde a:type="number">2</anzahl_hunde>
  <einzug a:type="date">2026-02-15</einzug>
  <zustimmung a:type="boolean">true</zustimmung>
  <hundename a:type="string">true</hundename>
  <antragsteller>
    <vorname a:type="string">Erika</vorname>
    <nachname a:type="string">Mustermann</nachname>
    <strasse a:type="string">Hauptstraße 7b</strasse>
    <plz a:type="string">01067</plz>
    <ort a:type="string">Dresden</ort>
    <email a:type="string">erika@example.org</email>
  </antragsteller>
</myForm>""".encode()


def _pdf_anhang(pdf_bytes: bytes) -> DepositAnhang:
    """The upload the myForm sample references, as a deposit attachment."""
    return DepositAnhang(UPLOAD_ID, "lageplan.pdf", "application/pdf", pdf_bytes)


def _fehler(envelope: bytes, **optionen) -> AdapterFehler:
    """Parse and return the AdapterFehler that must be raised."""
    with pytest.raises(AdapterFehler) as fehler:
        parse_deposit(envelope, **optionen)
    return fehler.value


def test_deposit_from_sample_yields_header_from_transaction_attributes(myform_xml, pdf_bytes):
    """t: attributes (id, form-id, form, timestamp, login level, customer) fill the Kopf."""
    antrag = parse_deposit(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]))
    json.dumps(antrag.to_dict())  # storable as is
    kopf = antrag.kopf
    assert kopf.quelle == "intelliform"
    assert kopf.transaktions_id == "20260914135539865875"
    assert kopf.formular_id == "32/baumfaellgenehmigung"
    assert kopf.formular_name == "Antrag auf Genehmigung zur Fällung geschützter Bäume"
    assert kopf.eingegangen_am == datetime(2026, 9, 14, 8, 41, 5, 512000, tzinfo=UTC)
    assert kopf.vertrauensniveau == "SUBSTANTIAL"
    assert kopf.mandant == "32"
    assert kopf.extra["transaktion"]["uuid"] == "e687203b-ba3c-4d13-8f9e-a1378819a8a2"


def test_deposit_from_sample_yields_applicant_and_postfach(myform_xml, pdf_bytes):
    """u: account attributes (BayernID) give the Antragsteller and the Postfach address; the telephone number the
    account lacks comes from the form field."""
    antrag = parse_deposit(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]))
    person = antrag.antragsteller
    assert (person.art, person.vorname, person.nachname) == ("person", "Erika", "Mustermann")
    assert (person.strasse, person.hausnummer, person.plz, person.ort) == ("Lindenallee", "12", "12345", "Musterstadt")
    assert person.geburtsdatum == date(1964, 8, 12)
    assert person.email == "erika.mustermann@example.org"
    assert person.telefon == "01234 567890"
    assert antrag.kopf.konto_typ == "BayernID"
    assert antrag.kopf.postfach_adresse == "CI7ORMstu4_DITisrL5dO88a1VRM78b2IrvmcGA4G4M"
    assert antrag.kopf.postfach_typ == "BayernID"


def test_deposit_from_sample_keeps_form_fields_in_order_with_types(myform_xml, pdf_bytes):
    """Child elements become the ordered field tree; true/false become booleans, YYYY-MM-DD dates; codes and
    numbers stay strings."""
    antrag = parse_deposit(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]))
    namen = [f.name for f in antrag.formulardaten]
    assert namen[:4] == ["anliegen", "baumart", "stammumfang_cm", "grund"]
    assert namen[-1] == "angaben_wahrheitsgemaess"
    felder = {f.name: f for f in antrag.formulardaten}
    assert (felder["baumart"].wert, felder["baumart"].typ) == ("3", "string")
    assert (felder["stammumfang_cm"].wert, felder["stammumfang_cm"].typ) == ("142", "string")
    assert (felder["ersatzpflanzung"].wert, felder["ersatzpflanzung"].typ) == (True, "boolean")
    assert felder["beratung_gewuenscht"].wert is False
    assert (felder["faelltermin_gewuenscht"].wert, felder["faelltermin_gewuenscht"].typ) == (date(2026, 10, 15), "date")
    assert felder["namenszusatz"].wert is None
    assert felder["upload"].typ == "group"


def test_deposit_file_reference_is_matched_to_its_attachment(myform_xml, pdf_bytes):
    """<file id> in the form names the attachment with that id; both the upload and the myForm XML are kept."""
    antrag = parse_deposit(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]))
    datei = next(f for f in antrag.alle_felder() if f.typ == "file")
    assert (datei.wert, datei.label) == (UPLOAD_ID, "lageplan.pdf")
    anhaenge = {a.verweis_id: a for a in antrag.anhaenge}
    assert set(anhaenge) == {"myForm-xml", UPLOAD_ID}
    pdf = anhaenge[UPLOAD_ID]
    assert (pdf.dateiname, pdf.mime_deklariert, pdf.mime_erkannt) == (
        "lageplan.pdf",
        "application/pdf",
        "application/pdf",
    )
    assert pdf.inhalt == pdf_bytes and not pdf.ist_gefaehrlich and pdf.mime_passt
    assert anhaenge["myForm-xml"].inhalt == myform_xml
    assert anhaenge["myForm-xml"].mime_erkannt == "application/xml"


def test_deposit_custom_parameters_and_customer_land_in_extra_for_routing(myform_xml, pdf_bytes):
    """customParameters, customer and a configured OE parameter are available to routing."""
    envelope = deposit_bauen(
        myform_xml,
        [_pdf_anhang(pdf_bytes)],
        customer="Stadt Muster",
        custom_parameters={"zustaendigeStelle": "31005", "for-routing-target": "Buergerbuero", "leikaIds": "99, 98"},
    )
    kopf = parse_deposit(envelope).kopf
    assert kopf.zustaendige_stelle == "31005"
    assert kopf.leika_ids == ["99", "98"]
    assert kopf.extra["custom_parameters"]["for-routing-target"] == "Buergerbuero"
    assert kopf.extra["deposit"]["customer"] == "Stadt Muster"
    anders = parse_deposit(envelope, stellen_parameter=("for-routing-target",)).kopf
    assert anders.zustaendige_stelle == "Buergerbuero"


def test_timestamp_without_offset_is_read_as_german_local_time(myform_xml, pdf_bytes):
    """Adapters return aware datetimes; a naive xs:dateTime is Europe/Berlin (CET in March = UTC+1)."""
    envelope = deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)], zeitstempel=datetime(2026, 3, 1, 10, 30))
    assert parse_deposit(envelope).kopf.eingegangen_am == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_envelope_level_header_wins_over_myform_attributes(myform_xml, pdf_bytes):
    """depositData/id and formId (what the sender knows) take precedence over the t: attributes."""
    envelope = deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)], transaktions_id="ENV-1", formular_id="F-9")
    kopf = parse_deposit(envelope).kopf
    assert (kopf.transaktions_id, kopf.formular_id) == ("ENV-1", "F-9")


def test_typed_myform_uses_type_hints_value_labels_and_form_applicant():
    """a:type decides the value type, a:label becomes anzeigewert; without u: attributes the applicant comes
    from the form fields by name pattern."""
    antrag = parse_deposit(deposit_bauen(MYFORM_MIT_TYPEN))
    felder = {f.name: f for f in antrag.alle_felder()}
    assert (felder["geschlecht"].wert, felder["geschlecht"].anzeigewert) == ("2", "weiblich")
    assert (felder["anzahl_hunde"].wert, felder["anzahl_hunde"].typ) == (2, "number")
    assert felder["einzug"].wert == date(2026, 2, 15)
    assert felder["zustimmung"].wert is True
    assert felder["hundename"].wert == "true"
    person = antrag.antragsteller
    assert (person.vorname, person.nachname, person.strasse, person.hausnummer) == (
        "Erika",
        "Mustermann",
        "Hauptstraße",
        "7b",
    )
    assert (person.plz, person.ort, person.email) == ("01067", "Dresden", "erika@example.org")
    assert antrag.kopf.postfach_adresse is None


def test_real_world_envelope_shape_with_duplicate_ids_and_line_wrapped_base64(myform_xml):
    """As the eogov sample: unqualified children, base64 with line breaks, two attachments with the same id
    (the first is the primary data), nillable empty elements."""
    inhalt = base64.encodebytes(myform_xml).decode()
    envelope = f"""<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body>
      <ns2:deposit xmlns:ns2="{BACKEND_NS}"><data>
        <attachments><attributes><key>X-IntelliForm-Original-Name</key><value>XML-Daten.xml</value></attributes>
          <content>{inhalt}</content><contentType>text/xml</contentType><id>myForm-xml</id><name>XML-Daten.xml</name>
        </attachments>
        <attachments><content>{inhalt}</content><id>myForm-xml</id>
          <name>XML-Datensatz (Rohform).xml</name></attachments>
        <attachments><content>{base64.b64encode(b"%PDF-1.4 x").decode()}</content>
          <id>{UPLOAD_ID}</id><name>lageplan.pdf</name></attachments>
        <caller/><customer>Stadt Musterstadt</customer><customerId>Musterstadt</customerId>
        <id>20260702118640213377</id><primaryDataAttachmentId>myForm-xml</primaryDataAttachmentId>
        <timestamp>2026-07-02T13:55:55.721+02:00</timestamp>
      </data></ns2:deposit></soap:Body></soap:Envelope>""".encode()
    antrag = parse_deposit(envelope)
    assert antrag.kopf.transaktions_id == "20260702118640213377"
    assert antrag.kopf.mandant == "Musterstadt"
    assert antrag.kopf.eingegangen_am.isoformat() == "2026-07-02T13:55:55.721000+02:00"
    assert [a.dateiname for a in antrag.anhaenge] == ["XML-Daten.xml", "XML-Datensatz (Rohform).xml", "lageplan.pdf"]


def test_attachment_above_10_mb_passes_the_hardened_envelope_parser(myform_xml):
    """A 12 MB upload (16 MB of base64 in one text node) is accepted with the default 50 MB limit."""
    gross = b"%PDF-1.4\n" + b"0" * 12_000_000
    antrag = parse_deposit(deposit_bauen(myform_xml, [DepositAnhang(UPLOAD_ID, "gross.pdf", "application/pdf", gross)]))
    assert next(a for a in antrag.anhaenge if a.verweis_id == UPLOAD_ID).groesse == len(gross)


# --- malformed input --------------------------------------------------------------------------------------


def _ersetzt(envelope: bytes, alt: str, neu: str) -> bytes:
    """The envelope with one text replaced (asserting it was there)."""
    assert alt.encode() in envelope
    return envelope.replace(alt.encode(), neu.encode())


def _ohne_tid(myform_xml: bytes) -> bytes:
    """The myForm sample without its t:id attribute."""
    return myform_xml.replace(b' t:id="20260914135539865875"', b"")


@pytest.mark.parametrize(
    ("name", "umbau", "code", "meldung"),
    [
        ("abgeschnitten", lambda e: e[: len(e) // 2], "xml_ungueltig", "kein wohlgeformtes XML"),
        ("leer", lambda e: b"", "xml_ungueltig", "leer"),
        ("kein-soap", lambda e: _ersetzt(e, SOAP11_NS, "urn:falsch"), "namespace_falsch", "Kein SOAP-1.1-Umschlag"),
        (
            "soap-1.2",
            lambda e: _ersetzt(e, SOAP11_NS, "http://www.w3.org/2003/05/soap-envelope"),
            "soap_version",
            "SOAP 1.2",
        ),
        ("falscher-namespace", lambda e: _ersetzt(e, BACKEND_NS, "urn:anders"), "namespace_falsch", "urn:anders"),
        (
            "andere-operation",
            lambda e: _ersetzt(_ersetzt(e, "ns2:deposit>", "ns2:prefill>"), "<ns2:deposit ", "<ns2:prefill "),
            "operation_unbekannt",
            "prefill",
        ),
        (
            "primaer-id-fehlt",
            lambda e: _ersetzt(e, "<primaryDataAttachmentId>myForm-xml</primaryDataAttachmentId>", ""),
            "primaerdaten_fehlen",
            "primaryDataAttachmentId fehlt",
        ),
        (
            "primaer-anhang-fehlt",
            lambda e: _ersetzt(e, "<primaryDataAttachmentId>myForm-xml<", "<primaryDataAttachmentId>gibtsnicht<"),
            "primaerdaten_fehlen",
            "'gibtsnicht'",
        ),
        ("base64-kaputt", lambda e: _ersetzt(e, "<content>", "<content>!!"), "base64_ungueltig", "Ungültiges Base64"),
        (
            "zeitstempel-kaputt",
            lambda e: _ersetzt(e, "<timestamp>2026-09-14T08:41:05.512Z<", "<timestamp>gestern<"),
            "zeitstempel_ungueltig",
            "gestern",
        ),
    ],
)
def test_malformed_deposit_gets_a_clear_error(myform_xml, pdf_bytes, name, umbau, code, meldung):
    """Each kind of broken envelope ends in AdapterFehler with its own code and a message naming the problem."""
    envelope = umbau(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]))
    fehler = _fehler(envelope)
    assert fehler.code == code
    assert meldung in fehler.message


def test_missing_transaction_id_is_refused(myform_xml, pdf_bytes):
    """Neither depositData/id nor t:id: AdapterFehler 'Transaktions-ID fehlt'."""
    fehler = _fehler(deposit_bauen(_ohne_tid(myform_xml), [_pdf_anhang(pdf_bytes)]))
    assert fehler.code == "transaktions_id_fehlt"
    assert "Transaktions-ID fehlt" in fehler.message


def test_bad_base64_error_names_the_attachment(myform_xml, pdf_bytes):
    """The message names the broken attachment by file name."""
    envelope = deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)])
    kaputt = _ersetzt(envelope, "<content>" + base64.b64encode(pdf_bytes).decode(), "<content>%%%")
    fehler = _fehler(kaputt)
    assert "Ungültiges Base64 in Anhang 'lageplan.pdf'" in fehler.message


def test_primary_data_that_is_not_xml_is_refused(pdf_bytes):
    """A primary data attachment with PDF bytes: xml_ungueltig naming the myForm attachment."""
    envelope = deposit_bauen(b"<myForm/>").replace(base64.b64encode(b"<myForm/>"), base64.b64encode(pdf_bytes))
    fehler = _fehler(envelope)
    assert fehler.code == "xml_ungueltig"
    assert "myForm-XML" in fehler.message


XXE_ENVELOPE = f"""<?xml version="1.0"?>
<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body><ns2:deposit xmlns:ns2="{BACKEND_NS}">
<data><id>&xxe;</id></data></ns2:deposit></soap:Body></soap:Envelope>""".encode()

LAUGHS_ENVELOPE = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body><ns2:deposit xmlns:ns2="{BACKEND_NS}">
<data><id>&lol3;</id></data></ns2:deposit></soap:Body></soap:Envelope>""".encode()


@pytest.mark.parametrize("boese", [XXE_ENVELOPE, LAUGHS_ENVELOPE], ids=["xxe-file-etc-passwd", "billion-laughs"])
def test_envelope_with_doctype_is_refused_before_any_expansion(boese):
    """XXE (file:///etc/passwd) and billion laughs in the envelope: xml_doctype, no file content anywhere."""
    fehler = _fehler(boese)
    assert fehler.code == "xml_doctype"
    assert "root:" not in fehler.message


def test_xxe_inside_the_base64_myform_attachment_is_refused(pdf_bytes):
    """The inner myForm XML goes through the same hardened parser."""
    boese = (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><myForm t:id="1" '
        b'xmlns:t="http://xmlns.cit.de/intelliform/transaction">&x;</myForm>'
    )
    envelope = deposit_bauen(b"<myForm/>", transaktions_id="1").replace(
        base64.b64encode(b"<myForm/>"), base64.b64encode(boese)
    )
    fehler = _fehler(envelope)
    assert fehler.code == "xml_doctype"
    assert "myForm-XML" in fehler.message


def test_oversize_attachment_in_deposit_is_refused_with_413(myform_xml):
    """An upload above max_anhang_bytes: anhang_zu_gross / HTTP 413, naming the attachment."""
    envelope = deposit_bauen(myform_xml, [DepositAnhang(UPLOAD_ID, "riesig.pdf", "application/pdf", b"0" * 5000)])
    fehler = _fehler(envelope, max_anhang_bytes=4096)
    assert (fehler.code, fehler.http_status) == ("anhang_zu_gross", 413)
    assert "riesig.pdf" in fehler.message


@pytest.mark.parametrize(
    ("name", "mime", "inhalt", "erwartet_name"),
    [
        ("../../../etc/cron.d/evil", "text/plain", b"* * * * * root x", "evil"),
        ("..\\..\\boot.ini", "text/plain", b"x", "boot.ini"),
        ("seite.html", "text/html", b"<html><script>alert(1)</script></html>", "seite.html"),
        ("bild.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "bild.svg"),
    ],
)
def test_uploaded_file_names_are_sanitized_and_dangerous_uploads_flagged(myform_xml, name, mime, inhalt, erwartet_name):
    """Path traversal in attachment names is stripped; HTML/SVG uploads are stored but flagged dangerous."""
    antrag = parse_deposit(deposit_bauen(myform_xml, [DepositAnhang(UPLOAD_ID, name, mime, inhalt)]))
    anhang = next(a for a in antrag.anhaenge if a.verweis_id == UPLOAD_ID)
    assert anhang.dateiname == erwartet_name
    assert "/" not in anhang.dateiname and "\\" not in anhang.dateiname
    assert anhang.ist_gefaehrlich is (mime in ("text/html", "image/svg+xml"))


def test_upload_declared_as_pdf_but_executable_is_a_mime_mismatch(myform_xml):
    """The sniffed type wins for the flag; the declared one is kept for the record."""
    exe = b"MZ\x90\x00" + b"\x00" * 200
    upload = DepositAnhang(UPLOAD_ID, "lageplan.pdf", "application/pdf", exe)
    antrag = parse_deposit(deposit_bauen(myform_xml, [upload]))
    anhang = next(a for a in antrag.anhaenge if a.verweis_id == UPLOAD_ID)
    assert (anhang.mime_deklariert, anhang.mime_erkannt) == ("application/pdf", "application/x-msdownload")
    assert anhang.mime_passt is False
    assert anhang.ist_gefaehrlich is True


# --- answers ----------------------------------------------------------------------------------------------


def test_deposit_response_is_a_soap_11_envelope_with_custom_parameters():
    """depositResponse/return carries the given key/value pairs (e.g. the Vorgangsnummer)."""
    antwort = etree.fromstring(deposit_antwort_bauen({"vorgangNummer": "31005-FFBZK6"}))
    assert antwort.tag == f"{{{SOAP11_NS}}}Envelope"
    rueck = antwort.find(f"{{{SOAP11_NS}}}Body/{{{BACKEND_NS}}}depositResponse/return")
    assert rueck.findtext("customParameters/key") == "vorgangNummer"
    assert rueck.findtext("customParameters/value") == "31005-FFBZK6"


@pytest.mark.parametrize("faultcode", ["Client", "Server"])
def test_soap_fault_carries_code_and_clear_reason(faultcode):
    """Fault with soap:Client/soap:Server, the reason as faultstring and an ApplicationFault detail."""
    fault = etree.fromstring(soap_fault_bauen("Transaktions-ID fehlt", faultcode=faultcode, fault_id="x"))
    element = fault.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    assert element.findtext("faultcode") == f"soap:{faultcode}"
    assert element.findtext("faultstring") == "Transaktions-ID fehlt"
    assert element.findtext(f"detail/{{{BACKEND_NS}}}ApplicationFault/faultId") == "x"
    with pytest.raises(ValueError):
        soap_fault_bauen("x", faultcode="Sender")


def test_soap_fault_from_adapter_error_escapes_markup(myform_xml):
    """An AdapterFehler becomes a Client fault whose faultstring is the message, safely escaped."""
    fehler = _fehler(deposit_bauen(_ohne_tid(myform_xml)))
    fault = etree.fromstring(soap_fault_aus_fehler(fehler))
    element = fault.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    assert element.findtext("faultcode") == "soap:Client"
    assert "Transaktions-ID fehlt" in element.findtext("faultstring")
    assert element.findtext(f"detail/{{{BACKEND_NS}}}ApplicationFault/faultId") == "transaktions_id_fehlt"
    boese = etree.fromstring(soap_fault_bauen("<b>&</b>"))
    assert boese.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault").findtext("faultstring") == "<b>&</b>"


# --- MTOM/XOP ---------------------------------------------------------------------------------------------

XOP = "http://www.w3.org/2004/08/xop/include"


def _mtom_envelope(myform_xml: bytes) -> bytes:
    """A deposit whose upload is an XOP reference instead of inline base64."""
    envelope = deposit_bauen(myform_xml, [DepositAnhang(UPLOAD_ID, "lageplan.pdf", "application/pdf", b"platzhalter")])
    return envelope.replace(
        f"<content>{base64.b64encode(b'platzhalter').decode()}</content>".encode(),
        f'<content><xop:Include xmlns:xop="{XOP}" href="cid:upload-1%40example.org"/></content>'.encode(),
    )


def test_mtom_xop_reference_is_resolved_from_the_multipart_parts(myform_xml, pdf_bytes):
    """An xop:Include (cid: URL-encoded) takes the bytes of the matching MIME part."""
    antrag = parse_deposit(_mtom_envelope(myform_xml), mtom_teile={"upload-1@example.org": pdf_bytes})
    assert next(a for a in antrag.anhaenge if a.verweis_id == UPLOAD_ID).inhalt == pdf_bytes


def test_mtom_reference_without_its_part_is_an_error_not_an_empty_file(myform_xml):
    """Nothing is lost silently: a missing MTOM part gives mtom_teil_fehlt."""
    fehler = _fehler(_mtom_envelope(myform_xml))
    assert fehler.code == "mtom_teil_fehlt"
    assert "lageplan.pdf" in fehler.message


def test_a_referenced_upload_the_deposit_does_not_carry_is_a_warning_not_an_error(myform_xml, pdf_bytes):
    """The application is taken; the missing file is named in ``hinweise``."""
    envelope = _ersetzt(deposit_bauen(myform_xml, [_pdf_anhang(pdf_bytes)]), f"<id>{UPLOAD_ID}</id>", "<id>anders</id>")
    antrag = parse_deposit(envelope)
    assert len(antrag.hinweise) == 1 and UPLOAD_ID in antrag.hinweise[0] and "lageplan.pdf" in antrag.hinweise[0]
    assert antrag.alle_felder()
