"""Form-Solutions Submission-API: parsing the documented objects (and the tolerated variants) and the
HTTP client against a local stand-in server."""

import base64
import json
import socket
from datetime import UTC, date, datetime

import pytest

from adapters import AdapterFehler
from adapters.formsolutions import FormSolutionsOptionen, parse_submission, parse_submission_liste, zeitpunkt_lesen
from adapters.formsolutions_client import FormSolutionsClient, FormSolutionsFehler
from tests.adapters.formsolutions_bauen import metadaten, submission_bauen
from tests.adapters.formsolutions_standin import StandinZustand, standin_starten

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FORMULAR_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Formular><Antragsteller><Vorname>Max</Vorname><Name>Muster</Name><Telefon>030 1234</Telefon></Antragsteller>
<Hundename>Bello</Hundename><Anzahl>2</Anzahl><Zustimmung>true</Zustimmung></Formular>"""
BUNDID = {
    "Origin": "BUNDID",
    "FirstName": "Erika",
    "LastName": "Mustermann",
    "DateOfBirth": "12.08.1964",
    "Street": "Heidestraße 17",
    "ZipCode": "51147",
    "City": "Köln",
    "Email": "erika@example.org",
    "PostkorbId": "6c1a8bd2-7c6f-4b1a-9c0e-0c5d3f1e2a11",
    "StorkQaaLevel": "STORK-QAA-Level-3",
}
MUK = {
    "Origin": "MUK",
    "CompanyName": "Muster GmbH",
    "CompanyAddressStreet": "Industriestraße",
    "CompanyAddressStreetNumber": "5",
    "CompanyAddressPostCode": "04109",
    "CompanyAddressLocality": "Leipzig",
    "StorkQaaLevel": "STORK-QAA-Level-3",
}
ZEIT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _submission(**weitere):
    """A documented detail-view submission with PDF, XML, one attachment and BUNDID secure data."""
    return submission_bauen(
        "AS_940000-gsh7ntqS",
        formular_xml=FORMULAR_XML,
        pdf=PDF,
        anhaenge=[("nachweis.png", "image/png", PNG)],
        secure_data=BUNDID,
        eingereicht_am=ZEIT,
        userID="22222222-2222-0126",
        applicationInfoText="Portal-Ref 42",
        **weitere,
    )


def _fehler(daten, **optionen) -> AdapterFehler:
    """Parse and return the AdapterFehler that must be raised."""
    with pytest.raises(AdapterFehler) as fehler:
        parse_submission(daten, **optionen)
    return fehler.value


# --- parsing ----------------------------------------------------------------------------------------------


def test_documented_submission_maps_header_postfach_and_extra():
    """transID, identifier, submissionDate (epoch ms), secureData origin/level/Postkorb, Mandant, extras."""
    antrag = parse_submission(json.dumps(_submission(payload='{"az": "123"}')).encode(), mandant="4711")
    json.dumps(antrag.to_dict())  # storable as is
    kopf = antrag.kopf
    assert (kopf.quelle, kopf.transaktions_id, kopf.formular_id) == ("formsolutions", "AS_940000-gsh7ntqS", "AS_940000")
    assert kopf.eingegangen_am == ZEIT
    assert (kopf.konto_typ, kopf.vertrauensniveau) == ("BUNDID", "STORK-QAA-Level-3")
    assert (kopf.postfach_adresse, kopf.postfach_typ) == ("6c1a8bd2-7c6f-4b1a-9c0e-0c5d3f1e2a11", "BUNDID")
    assert kopf.mandant == "4711"
    assert kopf.extra["payload"] == {"az": "123"}
    assert kopf.extra["userID"] == "22222222-2222-0126"
    assert kopf.extra["options"]["submissionType"] == "REGULAR"


def test_bundid_secure_data_gives_the_applicant_and_form_fields_fill_gaps():
    """secureData wins (DateOfBirth dd.MM.yyyy, street split); the phone comes from the form XML."""
    person = parse_submission(_submission()).antragsteller
    assert (person.art, person.vorname, person.nachname) == ("person", "Erika", "Mustermann")
    assert (person.strasse, person.hausnummer, person.plz, person.ort) == ("Heidestraße", "17", "51147", "Köln")
    assert person.geburtsdatum == date(1964, 8, 12)
    assert person.telefon == "030 1234"


def test_muk_company_account_gives_an_organisation():
    """Origin MUK: art organisation with the company address."""
    person = parse_submission(_submission(secureData=MUK)).antragsteller
    assert (person.art, person.firmenname, person.strasse, person.hausnummer) == (
        "organisation",
        "Muster GmbH",
        "Industriestraße",
        "5",
    )
    assert (person.plz, person.ort) == ("04109", "Leipzig")


@pytest.mark.parametrize(
    ("felder", "erwartet"),
    [
        (
            {"applicantFirstname": "Ute", "applicantLastname": "Beispiel", "applicantEMail": "u@example.org"},
            ("person", "Ute", "Beispiel", None, "u@example.org"),
        ),
        ({"applicantName": "Hans Peter Meier"}, ("person", "Hans Peter", "Meier", None, None)),
        (
            {"applicantName": "Stadtwerke AG", "applicantType": "NOT_NATURAL_PERSON"},
            ("organisation", None, None, "Stadtwerke AG", None),
        ),
    ],
)
def test_applicant_fields_are_used_without_secure_data(felder, erwartet):
    """Before interface 4.2 there is no secureData: the applicant* fields are taken."""
    objekt = submission_bauen("AS_1-x", **felder)
    person = parse_submission(objekt).antragsteller
    assert (person.art, person.vorname, person.nachname, person.firmenname, person.email) == erwartet


def test_form_xml_becomes_field_tree_and_contents_become_attachments():
    """xml → Feld tree (one element per field) and attachment 'xml'; pdf → 'pdf'; attachments follow."""
    antrag = parse_submission(_submission())
    assert [f.name for f in antrag.formulardaten] == ["Antragsteller", "Hundename", "Anzahl", "Zustimmung"]
    assert antrag.formulardaten[0].kinder[0].wert == "Max"
    assert antrag.formulardaten[3].wert is True
    assert [(a.verweis_id, a.dateiname, a.mime_erkannt) for a in antrag.anhaenge] == [
        ("pdf", "AS_940000-gsh7ntqS.pdf", "application/pdf"),
        ("xml", "AS_940000-gsh7ntqS.xml", "application/xml"),
        ("attachment-1", "nachweis.png", "image/png"),
    ]
    assert antrag.anhaenge[2].inhalt == PNG


def _b64(daten: bytes) -> str:
    """Base64 text."""
    return base64.b64encode(daten).decode()


@pytest.mark.parametrize(
    "anhaenge",
    [
        [{"fileName": "a.png", "contentType": "image/png", "data": _b64(PNG)}],
        [{"name": "a.png", "mimeType": "image/png", "content": {"data": _b64(PNG)}}],
        [{"title": "a.png", "mime": "image/png", "content": "data:image/png;base64," + _b64(PNG)}],
        {"a.png": _b64(PNG)},
        {"name": "a.png", "content": _b64(PNG), "mimeType": "image/png"},
    ],
    ids=["andere-schluessel", "verschachtelt", "data-uri", "name-zu-inhalt", "einzelnes-objekt"],
)
def test_undocumented_attachment_shapes_are_tolerated(anhaenge):
    """The attachment encoding is undocumented: several plausible shapes give the same Anhang."""
    antrag = parse_submission(submission_bauen("AS_1-x", attachments=anhaenge))
    assert [(a.dateiname, a.inhalt) for a in antrag.anhaenge] == [("a.png", PNG)]


def test_attachments_as_bare_base64_strings_get_generated_names():
    """A list of plain base64 strings: names ``<transID>-anhang-<n>``."""
    antrag = parse_submission(submission_bauen("AS_1-x", attachments=[_b64(PDF), _b64(PNG)]))
    assert [a.dateiname for a in antrag.anhaenge] == ["AS_1-x-anhang-1", "AS_1-x-anhang-2"]
    assert [a.mime_erkannt for a in antrag.anhaenge] == ["application/pdf", "image/png"]


def test_plain_xml_text_is_accepted_in_auto_mode_and_refused_in_strict_base64_mode():
    """inhalt_kodierung='auto' takes literal XML; 'base64' insists on base64."""
    objekt = submission_bauen("AS_1-x", xml=FORMULAR_XML.decode())
    assert parse_submission(objekt).formulardaten[1].wert == "Bello"
    fehler = _fehler(objekt, optionen=FormSolutionsOptionen(inhalt_kodierung="base64"))
    assert fehler.code == "base64_ungueltig"


@pytest.mark.parametrize(
    ("wert", "erwartet"),
    [
        (1772357400000, ZEIT),
        (1772357400, ZEIT),
        ("1772357400000", ZEIT),
        ("2026-03-01T09:30:00Z", ZEIT),
        ("2026-03-01T10:30:00+01:00", ZEIT),
        ("2026-03-01T10:30:00", ZEIT),
        (None, None),
    ],
)
def test_submission_date_is_read_in_tolerated_forms(wert, erwartet):
    """Epoch ms as documented; epoch seconds and ISO strings tolerated."""
    assert zeitpunkt_lesen(wert) == erwartet


def test_list_response_as_bare_array_or_wrapped_page():
    """The list is an array of metadata objects; a paginated wrapper object is unwrapped."""
    objekte = [metadaten(_submission()), metadaten(submission_bauen("AS_940000-zweite", status="READ"))]
    eintraege = parse_submission_liste(json.dumps(objekte).encode())
    assert [(e.trans_id, e.status) for e in eintraege] == [("AS_940000-gsh7ntqS", "NEW"), ("AS_940000-zweite", "READ")]
    assert eintraege[0].eingereicht_am == ZEIT
    assert parse_submission_liste({"content": objekte, "totalPages": 1})[1].trans_id == "AS_940000-zweite"


def test_unparseable_form_xml_can_be_tolerated_by_option():
    """xml_fehler_tolerieren keeps the XML as attachment and notes the error instead of failing."""
    objekt = submission_bauen("AS_1-x", formular_xml=b"<Formular><offen>")
    assert _fehler(objekt).code == "xml_ungueltig"
    antrag = parse_submission(objekt, optionen=FormSolutionsOptionen(xml_fehler_tolerieren=True))
    assert antrag.formulardaten == []
    assert "kein wohlgeformtes XML" in antrag.kopf.extra["xml_fehler"]
    assert antrag.anhaenge[0].verweis_id == "xml"


# --- malformed input --------------------------------------------------------------------------------------

XXE = b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><f><a>&x;</a></f>'


@pytest.mark.parametrize(
    ("daten", "code", "meldung"),
    [
        (b"{kaputt", "json_ungueltig", "kein gültiges JSON"),
        (b"[]", "typ_ungueltig", "JSON-Objekt"),
        (json.dumps({"identifier": "AS_1"}).encode(), "transaktions_id_fehlt", "Transaktions-ID fehlt"),
        ({"transID": ["x"]}, "typ_ungueltig", "transID muss ein Text sein"),
        ({"transID": "t", "pdf": "kein base64!"}, "base64_ungueltig", "Ungültiges Base64 in pdf"),
        ({"transID": "t", "pdf": 123}, "typ_ungueltig", "pdf: Inhalt muss ein Text"),
        (
            {"transID": "t", "attachments": [{"name": "x.pdf", "content": "@@"}]},
            "base64_ungueltig",
            "Ungültiges Base64 in Anhang 'x.pdf'",
        ),
        ({"transID": "t", "attachments": 5}, "typ_ungueltig", "attachments muss eine Liste sein"),
        ({"transID": "t", "attachments": [5]}, "typ_ungueltig", "attachments[0]"),
        ({"transID": "t", "secureData": "x"}, "typ_ungueltig", "secureData muss ein Objekt sein"),
        ({"transID": "t", "options": []}, "typ_ungueltig", "options muss ein Objekt sein"),
        ({"transID": "t", "submissionDate": "gestern"}, "typ_ungueltig", "submissionDate 'gestern'"),
        ({"transID": "t", "submissionDate": 10**30}, "typ_ungueltig", "ist kein Zeitpunkt"),
        ({"transID": "t", "xml": _b64(XXE)}, "xml_doctype", "Formulardaten-XML"),
        ({"transID": "t", "xml": _b64(b"<f><a>abgeschnitten")}, "xml_ungueltig", "Formulardaten-XML"),
    ],
    ids=[
        "json",
        "array",
        "ohne-transid",
        "transid-typ",
        "pdf-base64",
        "pdf-typ",
        "anhang-base64",
        "anhaenge-typ",
        "anhang-eintrag",
        "securedata",
        "options",
        "datum",
        "datum-ueberlauf",
        "xxe",
        "xml-abgeschnitten",
    ],
)
def test_malformed_submission_gets_a_clear_error(daten, code, meldung):
    """Each broken detail object ends in AdapterFehler with its own code and a message naming the problem."""
    fehler = _fehler(daten)
    assert fehler.code == code
    assert meldung in fehler.message


@pytest.mark.parametrize(
    ("daten", "meldung"),
    [
        ({"foo": 1}, "Objekt ohne Liste"),
        ("42", "JSON-Array"),
        ([{"identifier": "AS_1"}], "Submission-Liste[0]: Transaktions-ID fehlt"),
        (["x"], "Submission-Liste[0] ist kein Objekt"),
    ],
)
def test_malformed_list_response_is_refused(daten, meldung):
    """An incompatible list answer is an error, not an empty list (the poller must notice)."""
    with pytest.raises(AdapterFehler, match=meldung.replace("[", r"\[").replace("]", r"\]")):
        parse_submission_liste(daten)


def test_oversize_pdf_or_attachment_is_refused_with_413():
    """The per-attachment limit applies to pdf, xml and each attachment."""
    objekt = submission_bauen("AS_1-x", pdf=b"%PDF" + b"0" * 5000)
    fehler = _fehler(objekt, max_anhang_bytes=4096)
    assert (fehler.code, fehler.http_status) == ("anhang_zu_gross", 413)


@pytest.mark.parametrize(
    ("name", "mime", "inhalt", "erwartet_name", "gefaehrlich"),
    [
        ("../../etc/passwd", "text/plain", b"root:x:0:0", "passwd", False),
        ("C:\\temp\\..\\a.html", "text/html", b"<html><script>x</script></html>", "a.html", True),
        ("logo.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", True),
    ],
)
def test_attachment_names_are_sanitized_and_html_svg_flagged(name, mime, inhalt, erwartet_name, gefaehrlich):
    """Path traversal is stripped from names; HTML and SVG are flagged dangerous."""
    antrag = parse_submission(submission_bauen("AS_1-x", anhaenge=[(name, mime, inhalt)]))
    assert (antrag.anhaenge[0].dateiname, antrag.anhaenge[0].ist_gefaehrlich) == (erwartet_name, gefaehrlich)


# --- HTTP client against the stand-in server --------------------------------------------------------------


@pytest.fixture
def standin():
    """A running stand-in server with two NEW submissions and one READ submission of form AS_940000."""
    server, zustand, url = standin_starten()
    for objekt in (
        _submission(),
        submission_bauen("AS_940000-zweiter/Teil", formular_xml=FORMULAR_XML, eingereicht_am=ZEIT),
        submission_bauen("AS_940000-gelesen", status="READ"),
    ):
        zustand.daten[("AS_940000", objekt["transID"])] = objekt
    yield zustand, url
    server.shutdown()
    server.server_close()


def _client(url: str, zustand: StandinZustand, **optionen) -> FormSolutionsClient:
    """A client with the stand-in's credentials."""
    return FormSolutionsClient(url, zustand.mandant, zustand.api_key, FormSolutionsOptionen(**optionen), timeout=5)


def test_client_lists_new_submissions_with_preemptive_basic_auth(standin):
    """One request (no 401 round trip), status=NEW filter, only the NEW submissions come back."""
    zustand, url = standin
    eintraege = _client(url, zustand).list_new("AS_940000")
    assert sorted(e.trans_id for e in eintraege) == ["AS_940000-gsh7ntqS", "AS_940000-zweiter/Teil"]
    assert len(zustand.anfragen) == 1
    anfrage = zustand.anfragen[0]
    assert anfrage.pfad == "/submission/api/v2/submission/4711/AS_940000"
    assert anfrage.query == {"status": ["NEW"]}
    assert anfrage.kopfzeilen["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("stil", "erwartet"), [("wiederholt", {"status": ["NEW", "READ"]}), ("komma", {"status": ["NEW,READ"]})]
)
def test_client_status_filter_style_is_configurable(standin, stil, erwartet):
    """Several statuses as repeated parameter or comma list (both documented)."""
    zustand, url = standin
    eintraege = _client(url, zustand, status_filter_stil=stil).list_new("AS_940000", status=("NEW", "READ"))
    assert len(eintraege) == 3
    assert zustand.anfragen[0].query == erwartet


@pytest.mark.parametrize(
    ("format_", "erwartet"),
    [("http", "Sun, 01 Mar 2026 09:30:00 GMT"), ("iso", "2026-03-01T09:30:00+00:00"), ("epoch_ms", "1772357400000")],
)
def test_client_time_filter_header_format_is_configurable(standin, format_, erwartet):
    """The undocumented date format of the time-filter header is an option."""
    zustand, url = standin
    _client(url, zustand, zeitfilter_format=format_).list_new("AS_940000", seit=ZEIT)
    assert zustand.anfragen[0].kopfzeilen["Last-Modified"] == erwartet


def test_client_fetch_returns_raw_bytes_that_parse_into_the_antrag(standin):
    """fetch gives the raw detail JSON (for the Eingang), which parses with Mandant and options.
    Path segments are percent-encoded."""
    zustand, url = standin
    client = _client(url, zustand)
    roh = client.fetch("AS_940000", "AS_940000-gsh7ntqS")
    assert json.loads(roh)["transID"] == "AS_940000-gsh7ntqS"
    roh2 = client.fetch("AS_940000", "AS_940000-zweiter/Teil")
    antrag = parse_submission(roh2, mandant=client.mandant, formularnummer="AS_940000", optionen=client.optionen)
    assert antrag.kopf.transaktions_id == "AS_940000-zweiter/Teil"
    assert antrag.kopf.mandant == "4711"
    assert zustand.anfragen[-1].pfad.endswith("/AS_940000-zweiter%2FTeil")
    assert json.loads(roh2)["xml"]


def test_client_reports_status_back_with_default_request(standin):
    """Default write-back: PUT …/<transID>/status with JSON {"status": "READ"}; the item leaves the NEW list."""
    zustand, url = standin
    client = _client(url, zustand)
    client.report_status("AS_940000", "AS_940000-gsh7ntqS")
    assert zustand.status_meldungen == [("PUT", "AS_940000", "AS_940000-gsh7ntqS", "READ")]
    assert json.loads(zustand.anfragen[-1].body) == {"status": "READ"}
    assert [e.trans_id for e in client.list_new("AS_940000")] == ["AS_940000-zweiter/Teil"]


def test_client_status_write_back_request_is_configurable(standin):
    """Method, path and how the status travels are options (the vendor documents them per installation)."""
    zustand, url = standin
    client = _client(url, zustand, status_methode="POST", status_uebergabe="query")
    client.report_status("AS_940000", "AS_940000-gsh7ntqS", "closed")
    assert zustand.status_meldungen == [("POST", "AS_940000", "AS_940000-gsh7ntqS", "CLOSED")]
    assert zustand.anfragen[-1].query == {"status": ["CLOSED"]}
    with pytest.raises(ValueError, match="Unbekannter Status"):
        client.report_status("AS_940000", "AS_940000-gsh7ntqS", "ERLEDIGT")


def test_wrong_api_key_is_a_permanent_auth_error(standin):
    """401 → FormSolutionsFehler formsolutions_auth, not transient (fix the credentials)."""
    zustand, url = standin
    client = FormSolutionsClient(url, zustand.mandant, "falsch", timeout=5)
    with pytest.raises(FormSolutionsFehler) as fehler:
        client.list_new("AS_940000")
    assert (fehler.value.code, fehler.value.status, fehler.value.voruebergehend) == ("formsolutions_auth", 401, False)
    assert "Mandant/API-Key prüfen" in fehler.value.message
    assert "falsch" not in fehler.value.message


@pytest.mark.parametrize(
    ("status", "code", "voruebergehend"),
    [
        (500, "formsolutions_http", True),
        (503, "formsolutions_http", True),
        (429, "formsolutions_http", True),
        (400, "formsolutions_http", False),
        (404, "formsolutions_nicht_gefunden", False),
    ],
)
def test_server_errors_are_classified_transient_or_permanent(standin, status, code, voruebergehend):
    """5xx and 429 are worth a retry; other 4xx need a configuration fix."""
    zustand, url = standin
    zustand.erzwungener_status = status
    with pytest.raises(FormSolutionsFehler) as fehler:
        _client(url, zustand).fetch("AS_940000", "AS_940000-gsh7ntqS")
    assert (fehler.value.code, fehler.value.status, fehler.value.voruebergehend) == (code, status, voruebergehend)
    assert isinstance(fehler.value, AdapterFehler)


def test_redirects_are_not_followed_so_credentials_do_not_leak(standin):
    """A 302 to another host is refused instead of re-sending the Basic credentials there."""
    zustand, url = standin
    zustand.umleitung = "http://evil.example/steal"
    with pytest.raises(FormSolutionsFehler) as fehler:
        _client(url, zustand).list_new("AS_940000")
    assert fehler.value.code == "formsolutions_umleitung"
    assert len(zustand.anfragen) == 1


def test_unreachable_server_is_a_transient_connection_error():
    """Connection refused → formsolutions_verbindung, voruebergehend."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FormSolutionsFehler) as fehler:
        FormSolutionsClient(f"http://127.0.0.1:{port}", "1", "k", timeout=2).list_new("AS_1")
    assert (fehler.value.code, fehler.value.voruebergehend) == ("formsolutions_verbindung", True)


def test_slow_server_times_out_as_transient_error(standin):
    """The timeout applies; a slow answer is a transient connection error."""
    zustand, url = standin
    zustand.verzoegerung = 1.0
    client = FormSolutionsClient(url, zustand.mandant, zustand.api_key, timeout=0.2)
    with pytest.raises(FormSolutionsFehler) as fehler:
        client.list_new("AS_940000")
    assert (fehler.value.code, fehler.value.voruebergehend) == ("formsolutions_verbindung", True)


def test_oversize_response_is_refused(standin):
    """max_antwort_bytes bounds what the client reads."""
    zustand, url = standin
    with pytest.raises(FormSolutionsFehler) as fehler:
        _client(url, zustand, max_antwort_bytes=100).fetch("AS_940000", "AS_940000-gsh7ntqS")
    assert fehler.value.code == "formsolutions_antwort_zu_gross"


@pytest.mark.parametrize(
    "url",
    ["ftp://server.example", "file:///etc/passwd", "http://server.example", "nicht-einmal-eine-url"],
)
def test_client_refuses_non_https_urls_except_localhost(url):
    """Credentials travel only over TLS (plain http only to localhost or when explicitly allowed)."""
    with pytest.raises(ValueError):
        FormSolutionsClient(url, "1", "k")
    FormSolutionsClient("http://server.example", "1", "k", FormSolutionsOptionen(unsicheres_http_erlauben=True))
