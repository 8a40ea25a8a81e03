"""Shared building blocks: Antrag dataclasses, attachment hygiene, the hardened XML parser, applicant patterns."""

import base64
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters import AdapterFehler, Antrag, Antragsteller, Feld, Kopf
from adapters.anhaenge import (
    anhang_erstellen,
    base64_dekodieren,
    dateiname_bereinigen,
    mime_erkennen,
    mime_kompatibel,
)
from adapters.antragsteller import antragsteller_aus_feldern, antragsteller_ergaenzen, strasse_aufteilen
from adapters.xml import parse_xml, wert_erkennen

REPO = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
XML_HARMLOS = b'<?xml version="1.0"?><antrag><name>Muster</name></antrag>'
XML_SKRIPT = b'<?xml version="1.0"?><doc xmlns:h="http://www.w3.org/1999/xhtml"><h:script>x()</h:script></doc>'
ZIP_DOCX = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40 + b"[Content_Types].xml"


# --- dataclasses -------------------------------------------------------------------------------------------


def test_feld_tree_round_trips_through_json_with_typed_values():
    """to_dict output is JSON-serializable and from_dict restores dates, numbers, booleans and groups."""
    baum = Feld(
        name="antrag",
        typ="group",
        kinder=[
            Feld("geburtsdatum", "Geburtsdatum", date(1989, 2, 15), "date"),
            Feld("anzahl", "Anzahl", 3, "number"),
            Feld("betrag", None, 12.5, "number"),
            Feld("zustimmung", "Ich stimme zu", True, "boolean"),
            Feld("leer", None, None, "string"),
            Feld("nachweis", "foto.jpg", "att-1", "file"),
            Feld("geschlecht", None, "1", "string", anzeigewert="männlich"),
        ],
    )
    text = json.dumps([baum.to_dict()])
    zurueck = Feld.from_dict(json.loads(text)[0])
    assert zurueck == baum
    assert zurueck.kinder[0].wert == date(1989, 2, 15)


@pytest.mark.parametrize(
    "kaputt",
    [{"label": "ohne Namen"}, {"name": "x", "typ": "tabelle"}, "kein dict"],
    ids=["ohne-name", "unbekannter-typ", "kein-objekt"],
)
def test_feld_from_dict_rejects_malformed_data_with_adapterfehler(kaputt):
    """Malformed stored form data gives AdapterFehler feld_ungueltig, not a KeyError."""
    with pytest.raises(AdapterFehler) as fehler:
        Feld.from_dict(kaputt)
    assert fehler.value.code == "feld_ungueltig"


def test_antrag_to_dict_is_json_safe_and_omits_file_contents(pdf_bytes):
    """The stored representation holds attachment metadata (size, hash) but never the bytes."""
    antrag = Antrag(
        kopf=Kopf(quelle="test", transaktions_id="T-1", eingegangen_am=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        antragsteller=Antragsteller(vorname="Erika", geburtsdatum=date(1964, 8, 12)),
        formulardaten=[Feld("a", wert="b")],
        anhaenge=[anhang_erstellen("a.pdf", "application/pdf", pdf_bytes)],
    )
    daten = json.loads(json.dumps(antrag.to_dict()))
    assert daten["kopf"]["eingegangen_am"] == "2026-01-02T03:04:00+00:00"
    assert daten["antragsteller"]["geburtsdatum"] == "1964-08-12"
    assert daten["anhaenge"][0]["groesse"] == len(pdf_bytes)
    assert "inhalt" not in daten["anhaenge"][0]
    assert Kopf.from_dict(daten["kopf"]) == antrag.kopf
    assert Antragsteller.from_dict(daten["antragsteller"]) == antrag.antragsteller


def test_adapterfehler_names_problem_and_code():
    """str() of the error carries the German message and the machine code; 400 is the default status."""
    fehler = AdapterFehler("Transaktions-ID fehlt", "transaktions_id_fehlt")
    assert str(fehler) == "Transaktions-ID fehlt [transaktions_id_fehlt]"
    assert fehler.http_status == 400


# --- attachments -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roh", "erwartet"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.exe", "evil.exe"),
        ("/absolut/pfad/antrag.pdf", "antrag.pdf"),
        ("C:\\Users\\Erika\\Foto 1.jpg", "Foto 1.jpg"),
        ("zeile\numbruch\x00null.pdf", "zeile umbruch null.pdf"),
        ("rechnung\u202egpj.exe", "rechnung gpj.exe"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("..", "anhang"),
        ("", "anhang"),
        (None, "anhang"),
        (".htaccess", "htaccess"),
        ("CON.txt", "_CON.txt"),
        ("Bescheinigung Ärztin.pdf", "Bescheinigung Ärztin.pdf"),
    ],
)
def test_file_names_are_sanitized_without_paths_or_control_characters(roh, erwartet):
    """No directory part, no control/bidi/reserved characters, never empty."""
    assert dateiname_bereinigen(roh) == erwartet


def test_overlong_file_name_is_shortened_keeping_its_extension():
    """A 500-character name is cut to 200 characters and keeps ``.pdf``."""
    name = dateiname_bereinigen("x" * 500 + ".pdf")
    assert len(name) == 200
    assert name.endswith(".pdf")


@pytest.mark.parametrize(
    ("inhalt", "erwartet"),
    [
        (PDF, "application/pdf"),
        (b"\n\n  %PDF-1.4 mit Vorspann", "application/pdf"),
        (PNG, "image/png"),
        (EXE, "application/x-msdownload"),
        (ELF, "application/x-executable"),
        (HTML, "text/html"),
        (b"<html><head><title>x</title></head></html>", "text/html"),
        (SVG, "image/svg+xml"),
        (XML_HARMLOS, "application/xml"),
        ("Grüße aus München\n".encode(), "text/plain"),
        (("€" * 30000).encode(), "text/plain"),
        ("Grüße, Straße".encode("cp1252"), "text/plain"),
        (b'{"a": 1}', "application/json"),
        (bytes(range(256)) * 4, "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
    ids=[
        "pdf",
        "pdf-vorspann",
        "png",
        "exe",
        "elf",
        "html",
        "html-ohne-doctype",
        "svg",
        "xml",
        "text",
        "text-mitten-im-zeichen-abgeschnitten",
        "text-cp1252",
        "json",
        "binaer",
        "leer",
    ],
)
def test_mime_type_is_sniffed_from_content(inhalt, erwartet):
    """filetype magic numbers first, then heuristics for PDF, HTML, SVG, XML, JSON and text."""
    assert mime_erkennen(inhalt) == erwartet


@pytest.mark.parametrize(
    ("name", "mime", "inhalt"),
    [
        ("seite.html", "text/html", HTML),
        ("harmlos.pdf", "application/pdf", HTML),
        ("bild.svg", "image/svg+xml", SVG),
        ("bild.png", "image/png", SVG),
        ("skript.js", "application/javascript", b"alert(1)"),
        ("skript.txt", "application/javascript", b"alert(1)"),
        ("programm.pdf", "application/pdf", EXE),
        ("programm.bin", None, ELF),
        ("daten.xml", "application/xml", XML_SKRIPT),
        ("daten.xml", "text/xml", b'<?xml version="1.0"?><a onload="x()"/>'),
        ("bericht.txt", "text/plain", b"Hallo <script>alert(1)</script>"),
    ],
    ids=[
        "html",
        "html-als-pdf",
        "svg",
        "svg-als-png",
        "js",
        "js-mime",
        "exe-als-pdf",
        "elf",
        "xml-mit-script",
        "xml-mit-handler",
        "text-mit-script",
    ],
)
def test_dangerous_attachments_are_flagged(name, mime, inhalt):
    """HTML, SVG, JavaScript, executables and XML with scripts are marked ist_gefaehrlich."""
    assert anhang_erstellen(name, mime, inhalt).ist_gefaehrlich is True


@pytest.mark.parametrize(
    ("name", "mime", "inhalt"),
    [
        ("antrag.pdf", "application/pdf", PDF),
        ("foto.png", "image/png", PNG),
        ("daten.xml", "text/xml", XML_HARMLOS),
        ("notiz.txt", "text/plain", "Bitte rückrufen, online = gut".encode()),
        ("konto.xml", "application/xml", b'<?xml version="1.0"?><konto onlineZugang="ja" ontology="x"/>'),
    ],
)
def test_ordinary_attachments_are_not_flagged(name, mime, inhalt):
    """PDF, images, plain XML and text stay servable."""
    assert anhang_erstellen(name, mime, inhalt).ist_gefaehrlich is False


@pytest.mark.parametrize(
    ("deklariert", "inhalt", "passt"),
    [
        ("application/pdf", EXE, False),
        ("image/png", PDF, False),
        ("application/pdf", HTML, False),
        ("application/pdf", PDF, True),
        ("application/x-pdf", PDF, True),
        ("APPLICATION/PDF; name=a.pdf", PDF, True),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP_DOCX, True),
        ("application/octet-stream", EXE, True),
        (None, PNG, True),
        ("text/xml", XML_HARMLOS, True),
        ("text/plain", XML_HARMLOS, True),
        ("image/jpeg", bytes(range(256)), True),
    ],
)
def test_mime_mismatch_between_declared_and_sniffed_type_is_detected(deklariert, inhalt, passt):
    """mime_passt is False only when the declaration clearly contradicts the content."""
    anhang = anhang_erstellen("datei", deklariert, inhalt)
    assert anhang.mime_passt is passt
    assert mime_kompatibel(deklariert, anhang.mime_erkannt) is passt


@pytest.mark.parametrize(
    "kaputt",
    ["kein base64!", "QUJD=", "QUJDRA=x", "\u00e4\u00f6\u00fc"],
    ids=["sonderzeichen", "falsches-padding", "zeichen-nach-padding", "nicht-ascii"],
)
def test_bad_base64_names_the_attachment(kaputt):
    """Strict decoding: the error names the attachment and has code base64_ungueltig."""
    with pytest.raises(AdapterFehler) as fehler:
        base64_dekodieren(kaputt, "Anhang 'foto.jpg'")
    assert fehler.value.code == "base64_ungueltig"
    assert "Ungültiges Base64 in Anhang 'foto.jpg'" in fehler.value.message


def test_base64_with_line_breaks_is_accepted():
    """MIME-style base64 with line breaks (as SOAP stacks send it) decodes."""
    kodiert = base64.encodebytes(b"x" * 200).decode()
    assert "\n" in kodiert
    assert base64_dekodieren(kodiert, "Anhang 'x'") == b"x" * 200


@pytest.mark.parametrize("groesse", [1025, 4096])
def test_oversize_attachment_is_refused_with_413(groesse):
    """Above the per-attachment limit: AdapterFehler anhang_zu_gross, HTTP status 413, before and after
    decoding."""
    kodiert = base64.b64encode(b"a" * groesse).decode()
    with pytest.raises(AdapterFehler) as fehler:
        base64_dekodieren(kodiert, "Anhang 'gross.bin'", max_bytes=1024)
    assert (fehler.value.code, fehler.value.http_status) == ("anhang_zu_gross", 413)
    with pytest.raises(AdapterFehler) as fehler:
        anhang_erstellen("gross.bin", None, b"a" * groesse, max_bytes=1024)
    assert fehler.value.code == "anhang_zu_gross"


def test_attachment_exactly_at_limit_is_accepted():
    """The limit is inclusive."""
    kodiert = base64.b64encode(b"a" * 1024).decode()
    assert len(base64_dekodieren(kodiert, "Anhang 'x'", max_bytes=1024)) == 1024


# --- hardened XML ------------------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<foo>&xxe;</foo>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<lolz>&lol9;</lolz>"""

EXTERNE_DTD = b'<?xml version="1.0"?><!DOCTYPE foo SYSTEM "http://example.org/evil.dtd"><foo/>'
DOCTYPE_UTF16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16")
DOCTYPE_NACH_LANGEM_KOMMENTAR = b"<!--" + b"x" * 70000 + b'--><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'


@pytest.mark.parametrize(
    "boese",
    [XXE, BILLION_LAUGHS, EXTERNE_DTD, DOCTYPE_UTF16, DOCTYPE_NACH_LANGEM_KOMMENTAR],
    ids=["xxe-file-etc-passwd", "billion-laughs", "externe-dtd", "utf16", "hinter-64kb-kommentar"],
)
def test_any_doctype_is_refused_without_entity_expansion(boese):
    """XXE and billion laughs end in xml_doctype; nothing from /etc/passwd leaks into the message."""
    with pytest.raises(AdapterFehler) as fehler:
        parse_xml(boese, "Testdokument")
    assert fehler.value.code == "xml_doctype"
    assert "Testdokument" in fehler.value.message
    assert "root:" not in fehler.value.message


@pytest.mark.parametrize(
    "kaputt",
    [b"<a><b>abgeschnitten", b"", b"   ", b"kein xml", b"<a></b>", b'<?xml version="1.0" encoding="gibtsnicht"?><a/>'],
    ids=["abgeschnitten", "leer", "nur-leerraum", "text", "falsch-verschachtelt", "unbekannte-kodierung"],
)
def test_malformed_xml_gives_xml_ungueltig(kaputt):
    """Truncated, empty or otherwise broken XML: AdapterFehler xml_ungueltig naming the document."""
    with pytest.raises(AdapterFehler) as fehler:
        parse_xml(kaputt, "Formular-XML")
    assert fehler.value.code == "xml_ungueltig"
    assert fehler.value.message.startswith("Formular-XML")


def test_text_nodes_above_10_mb_need_the_explicit_relaxation():
    """huge_tree stays off by default; grosse_textknoten=True (SOAP envelopes) lifts only the text limit."""
    gross = b"<a>" + b"QUFB" * 3_000_000 + b"</a>"
    with pytest.raises(AdapterFehler):
        parse_xml(gross)
    assert len(parse_xml(gross, grosse_textknoten=True).text) == 12_000_000


@pytest.mark.parametrize(
    ("text", "hinweis", "erwartet"),
    [
        ("true", None, (True, "boolean")),
        ("false", "boolean", (False, "boolean")),
        ("2023-09-12", None, (date(2023, 9, 12), "date")),
        ("2023-02-30", None, ("2023-02-30", "string")),
        ("01", None, ("01", "string")),
        ("42", "number", (42, "number")),
        ("4.5", "decimal", (4.5, "number")),
        ("abc", "number", ("abc", "string")),
        ("true", "string", ("true", "string")),
        (None, None, (None, "string")),
        ("", "boolean", (None, "boolean")),
    ],
)
def test_xml_values_get_types_only_when_unambiguous(text, hinweis, erwartet):
    """Codes keep leading zeros; type hints decide; unfit values stay strings."""
    assert wert_erkennen(text, hinweis) == erwartet


# --- applicant patterns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "attribut"),
    [
        ("vorname", "vorname"),
        ("AS_Vorname", "vorname"),
        ("antragsteller.firstName", "vorname"),
        ("familienname", "nachname"),
        ("person-nachname", "nachname"),
        ("Firmenname", "firmenname"),
        ("Straße", "strasse"),
        ("hausnr", "hausnummer"),
        ("PLZ", "plz"),
        ("wohnort", "ort"),
        ("Geburtsdatum", "geburtsdatum"),
        ("E-Mail", "email"),
        ("kontakt_email_address", "email"),
        ("Telefonnummer", "telefon"),
    ],
)
def test_applicant_fields_are_found_by_default_name_patterns(name, attribut):
    """Freely named form fields are recognized after normalizing (case, umlauts, separators)."""
    wert, erwartet = ("12.08.1964", date(1964, 8, 12)) if attribut == "geburtsdatum" else ("W", "W")
    gefunden = antragsteller_aus_feldern([Feld(name, wert=wert)])
    assert gefunden is not None
    assert getattr(gefunden, attribut) == erwartet


@pytest.mark.parametrize("name", ["vorname_importiert", "geburtsort", "referatkontaktmail", "ortsteil"])
def test_lookalike_field_names_are_not_taken_for_applicant_data(name):
    """Flags like ``vorname_importiert``, the birth place or office addresses are no applicant data."""
    assert antragsteller_aus_feldern([Feld(name, wert="X")]) is None


def test_applicant_search_walks_groups_uses_labels_and_prefers_first_non_empty():
    """Nested groups are searched; empty fields are skipped; a label matches when the name says nothing."""
    felder = [
        Feld("f1", "Vorname", None),
        Feld("block", typ="group", kinder=[Feld("f2", "Vorname", "Erika"), Feld("f3", "Familienname", "Muster")]),
        Feld("f4", "Vorname", "Spaeter"),
    ]
    gefunden = antragsteller_aus_feldern(felder)
    assert (gefunden.vorname, gefunden.nachname) == ("Erika", "Muster")


def test_applicant_patterns_can_be_overridden_and_disabled():
    """An override mapping replaces single patterns; None switches one off; unknown keys are refused."""
    felder = [Feld("wohn_postleitzahl_neu", wert="12345"), Feld("telefon", wert="0301234")]
    gefunden = antragsteller_aus_feldern(felder, {"plz": r"postleitzahl_neu$", "telefon": None})
    assert gefunden.plz == "12345"
    assert gefunden.telefon is None
    with pytest.raises(ValueError, match="Unbekanntes Antragsteller-Feld"):
        antragsteller_aus_feldern(felder, {"schuhgroesse": "x"})


def test_company_without_personal_name_is_an_organisation_and_street_is_split():
    """art='organisation' when only a company name is given; ``Hauptstr. 5a`` becomes street + number."""
    felder = [
        Feld("firma", wert="Muster GmbH"),
        Feld("strasse", wert="Hauptstr. 5a"),
        Feld("geb_datum", wert="01.02.1990"),
    ]
    gefunden = antragsteller_aus_feldern(felder)
    assert gefunden.art == "organisation"
    assert (gefunden.strasse, gefunden.hausnummer) == ("Hauptstr.", "5a")
    assert gefunden.geburtsdatum == date(1990, 2, 1)


@pytest.mark.parametrize(
    ("eingabe", "erwartet"),
    [
        ("Agnes-Pockels-Bogen 21", ("Agnes-Pockels-Bogen", "21")),
        ("Straße des 17. Juni 135", ("Straße des 17. Juni", "135")),
        ("Am Markt 3 - 5", ("Am Markt", "3-5")),
        ("Hauptstraße", ("Hauptstraße", None)),
    ],
)
def test_street_and_house_number_are_split(eingabe, erwartet):
    """The house number is the trailing number group; a street without one stays whole."""
    assert strasse_aufteilen(eingabe) == erwartet


def test_account_data_wins_and_form_fields_fill_the_gaps():
    """antragsteller_ergaenzen keeps trusted account values and only fills empty ones."""
    konto = Antragsteller(vorname="Roland", nachname="Werner")
    formular = Antragsteller(vorname="Rolf", telefon="089 123")
    ergebnis = antragsteller_ergaenzen(konto, formular)
    assert (ergebnis.vorname, ergebnis.telefon) == ("Roland", "089 123")
    assert antragsteller_ergaenzen(None, None) is None
    assert antragsteller_ergaenzen(Antragsteller(), formular) == formular


def test_adapters_import_without_flask_or_database():
    """The package is pure: importing every adapter loads neither Flask nor SQLAlchemy."""
    code = (
        "import sys, adapters, adapters.intelliform, adapters.ozgcloud, adapters.formsolutions, adapters.fitconnect,"
        " adapters.formsolutions_client;"
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'app') if m in sys.modules))"
    )
    ergebnis = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert ergebnis.stdout.strip() == "[]"
