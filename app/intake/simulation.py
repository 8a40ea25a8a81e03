"""Realistic applications of the shipped forms, as the form services would deliver them.

Used by ``flask --app wsgi intake simulate``, by ``bench/intake.py`` and by the tests. Pure: no Flask, no
database. Form ids and LeiKa ids match ``processes/routing.toml``; unknown ones fall back to the general
procedure there anyway.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from adapters.antrag import Feld
from adapters.intelliform import DepositAnhang
from adapters.intelliform_soap import deposit_bauen
from adapters.ozgcloud import felder_aus_dict, ozgcloud_json_bauen
from app.timeutil import heute
from app.vorgaenge.beschriftung import label_fuer, labels_laden

VORNAMEN = [
    "Anna",
    "Lukas",
    "Mia",
    "Jonas",
    "Emilia",
    "Leon",
    "Sofia",
    "Paul",
    "Hannah",
    "Felix",
    "Marie",
    "Ömer",
    "Jürgen",
    "Zeynep",
    "Björn",
    "Katarzyna",
]
NACHNAMEN = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Yılmaz",
    "Nowak",
    "Krüger",
    "Schäfer",
]
STRASSEN = ["Hauptstraße", "Bahnhofstraße", "Lindenweg", "Am Marktplatz", "Schillerstraße", "Goethestraße", "Gartenweg"]
ORTE = [("80331", "München"), ("01067", "Dresden"), ("50667", "Köln"), ("20095", "Hamburg"), ("04109", "Leipzig")]
HUNDERASSEN = ["Mischling", "Labrador Retriever", "Dackel", "Deutscher Schäferhund", "Beagle", "Pudel"]
BAUMARTEN = ["Eiche", "Buche", "Ahorn", "Linde", "Birke", "Kastanie"]
TAETIGKEITEN = [
    "Einzelhandel mit Backwaren",
    "IT-Dienstleistungen",
    "Gastronomie (Café)",
    "Friseursalon",
    "Handel mit Gebrauchtwagen",
]

#: Shipped forms: form id, name, LeiKa id.
FORMULARE = [
    ("gewerbeanmeldung", "Gewerbeanmeldung", "99050012104000"),
    ("hundesteuer-anmeldung", "Hundesteuer-Anmeldung", "99107004001000"),
    ("baumfaellung", "Antrag auf Baumfällung", "99108008001000"),
    ("allgemeine-anfrage", "Allgemeine Anfrage", "99000000000000"),
]

#: A minimal well-formed PDF head; padded to the wanted size.
_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
)


def pdf(groesse: int = 100 * 1024, rnd: random.Random | None = None) -> bytes:
    """A PDF of about ``groesse`` bytes (a comment block pads it)."""
    rnd = rnd or random
    fuell = max(groesse - len(_PDF) - 30, 0)
    zufall = bytes(rnd.getrandbits(8) for _ in range(min(fuell, 256)))
    block = (b"% " + zufall.hex().encode() + b"\n") if fuell else b""
    rumpf = (block * (fuell // max(len(block), 1) + 1))[:fuell]
    return _PDF + rumpf + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _person(rnd: random.Random) -> dict:
    """A random applicant."""
    plz, ort = rnd.choice(ORTE)
    vorname, nachname = rnd.choice(VORNAMEN), rnd.choice(NACHNAMEN)
    return {
        "vorname": vorname,
        "nachname": nachname,
        "geburtsdatum": date(1950, 1, 1) + timedelta(days=rnd.randint(0, 365 * 55)),
        "strasse": rnd.choice(STRASSEN),
        "hausnummer": str(rnd.randint(1, 120)),
        "plz": plz,
        "ort": ort,
        "email": f"{vorname.lower()}.{nachname.lower()}@example.org".replace("ü", "ue").replace("ö", "oe"),
        "telefon": f"0{rnd.randint(30, 999)} {rnd.randint(100000, 9999999)}",
    }


def formular_werte(formular_id: str, rnd: random.Random, ziel_bytes: int = 3000) -> dict:
    """The form data of one application of ``formular_id`` as a nested mapping (about ``ziel_bytes`` JSON)."""
    werte: dict = {"antragsteller": _person(rnd)}
    if formular_id == "gewerbeanmeldung":
        werte["betrieb"] = {
            "taetigkeit": rnd.choice(TAETIGKEITEN),
            "beginn": heute() + timedelta(days=rnd.randint(1, 90)),
            "betriebsstaette_strasse": f"{rnd.choice(STRASSEN)} {rnd.randint(1, 80)}",
            "vollzeit": rnd.random() < 0.7,
            "beschaeftigte": rnd.randint(0, 25),
        }
    elif formular_id == "hundesteuer-anmeldung":
        werte["hund"] = {
            "rasse": rnd.choice(HUNDERASSEN),
            "name": rnd.choice(["Bello", "Luna", "Rex", "Balu", "Kira"]),
            "geburtsdatum": heute() - timedelta(days=rnd.randint(60, 4000)),
            "gehalten_seit": heute() - timedelta(days=rnd.randint(0, 30)),
            "listenhund": False,
        }
    elif formular_id == "baumfaellung":
        werte["baum"] = {
            "art": rnd.choice(BAUMARTEN),
            "stammumfang_cm": rnd.randint(60, 350),
            "flurstueck": f"{rnd.randint(100, 9999)}/{rnd.randint(1, 20)}",
            "begruendung": "Der Baum ist durch Pilzbefall geschädigt und nicht mehr standsicher.",
            "ersatzpflanzung": rnd.random() < 0.5,
        }
    else:
        werte["anliegen"] = {"betreff": "Frage zu meinem Antrag", "nachricht": "Bitte rufen Sie mich zurück."}
    # pad with a free-text field to reach a realistic size (3 KB by default)
    groesse = len(str(werte))
    if ziel_bytes > groesse:
        satz = "Ergänzende Angaben zum Antrag gemäß den Hinweisen im Formular. "
        werte["bemerkungen"] = (satz * (ziel_bytes // len(satz) + 1))[: ziel_bytes - groesse]
    return werte


def beschriftete_felder(formular_id: str, werte: dict) -> list[Feld]:
    """The form data as Felder with the labels the form shows (from ``processes/formulare/``), as a real form
    service delivers them."""
    labels = labels_laden(formular_id)

    def beschriften(felder: list[Feld], eltern: str) -> None:
        for feld in felder:
            pfad = f"{eltern}.{feld.name}" if eltern else feld.name
            feld.label = label_fuer(labels, pfad, feld.name) or feld.label
            beschriften(feld.kinder, pfad)

    felder = felder_aus_dict(werte)
    beschriften(felder, "")
    return felder


def _formular(rnd: random.Random, formular_id: str | None):
    """(form id, name, LeiKa id), random unless given."""
    if formular_id:
        return next((f for f in FORMULARE if f[0] == formular_id), (formular_id, formular_id, ""))
    return rnd.choice(FORMULARE)


def ozg_lieferung(
    rnd: random.Random | None = None,
    *,
    transaktions_id: str | None = None,
    formular_id: str | None = None,
    zustaendige_stelle: str | None = "197008",
    formular_bytes: int = 3000,
    anhang_bytes: int = 100 * 1024,
) -> tuple[bytes, str]:
    """One OZG-Cloud multipart delivery: (body, content type) with `formData`, `representation` and one
    attachment of ``anhang_bytes``."""
    rnd = rnd or random.Random()
    fid, name, leika = _formular(rnd, formular_id)
    form_data = ozgcloud_json_bauen(
        transaktions_id or str(uuid.UUID(int=rnd.getrandbits(128))),
        beschriftete_felder(fid, formular_werte(fid, rnd, formular_bytes)),
        zustaendige_stelle=zustaendige_stelle,
        leika_ids=[leika] if leika else [],
        formular_id=fid,
        formular_name=name,
        konto_typ="BUND_ID",
        vertrauensniveau="STORK-QAA-Level-3",
        postfach_adresse=str(uuid.UUID(int=rnd.getrandbits(128))),
        postfach_typ="1",
    )
    teile = [("formData", None, "application/json", form_data)]
    if anhang_bytes:
        teile.append(("representation", f"{fid}.pdf", "application/pdf", pdf(min(anhang_bytes, 20000), rnd)))
        teile.append(("attachment", "nachweis.pdf", "application/pdf", pdf(anhang_bytes, rnd)))
    return multipart_bauen(teile)


def multipart_bauen(teile: list[tuple[str, str | None, str, bytes]]) -> tuple[bytes, str]:
    """Encode (name, filename, content type, bytes) parts as multipart/form-data: (body, content type)."""
    grenze = "----amtsfluss" + uuid.uuid4().hex
    stuecke = []
    for name, dateiname, typ, inhalt in teile:
        kopf = f'--{grenze}\r\nContent-Disposition: form-data; name="{name}"'
        if dateiname is not None:
            kopf += f'; filename="{dateiname}"'
        kopf += f"\r\nContent-Type: {typ}\r\n\r\n"
        stuecke += [kopf.encode("utf-8"), inhalt, b"\r\n"]
    stuecke.append(f"--{grenze}--\r\n".encode())
    return b"".join(stuecke), f"multipart/form-data; boundary={grenze}"


def _xml_text(wert) -> str:
    """A value as myForm element text."""
    if isinstance(wert, bool):
        return "true" if wert else "false"
    if isinstance(wert, date):
        return wert.isoformat()
    return str(wert)


def _xml_elemente(werte: dict) -> str:
    """Nested mapping → myForm child elements (escaped)."""

    teile = []
    for name, wert in werte.items():
        if isinstance(wert, dict):
            teile.append(f"<{name}>{_xml_elemente(wert)}</{name}>")
        else:
            teile.append(f"<{name}>{escape(_xml_text(wert))}</{name}>")
    return "".join(teile)


def intelliform_lieferung(
    rnd: random.Random | None = None,
    *,
    transaktions_id: str | None = None,
    formular_id: str | None = None,
    zustaendige_stelle: str | None = "197008",
    formular_bytes: int = 3000,
    anhang_bytes: int = 100 * 1024,
) -> bytes:
    """One intelliForm SOAP deposit envelope with a myForm XML and one uploaded PDF of ``anhang_bytes``."""

    rnd = rnd or random.Random()
    fid, name, leika = _formular(rnd, formular_id)
    tid = transaktions_id or str(rnd.randint(10**19, 10**20 - 1))
    werte = formular_werte(fid, rnd, formular_bytes)
    person = werte["antragsteller"]
    datei_id = "assistants." + uuid.UUID(int=rnd.getrandbits(128)).hex.upper()
    upload = (
        f'<upload><upload-item><file content-type="application/pdf" id="{datei_id}" length="{anhang_bytes}">'
        "nachweis.pdf</file></upload-item></upload>"
        if anhang_bytes
        else ""
    )
    myform = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<myForm xmlns:t="http://xmlns.cit.de/intelliform/transaction" xmlns:u="http://xmlns.cit.de/intelliform/user"'
        f' t:id="{tid}" t:form-id={quoteattr(fid)} t:form={quoteattr(name)} t:customer="Stadt" t:customer-id="01"'
        f' t:timestamp="2026-11-28T08:00:00Z" u:givenName={quoteattr(person["vorname"])}'
        f' u:surname={quoteattr(person["nachname"])} u:postalCode="{person["plz"]}"'
        f' u:localityName={quoteattr(person["ort"])} u:accountSource="BayernID" u:authlevel="STORK-QAA-Level-3"'
        f' u:postOfficeBox="{uuid.UUID(int=rnd.getrandbits(128)).hex}">'
        f"{_xml_elemente(werte)}{upload}</myForm>"
    ).encode()
    anhaenge = (
        [DepositAnhang(datei_id, "nachweis.pdf", "application/pdf", pdf(anhang_bytes, rnd))] if anhang_bytes else []
    )
    parameter = {"leikaIds": leika} if leika else {}
    if zustaendige_stelle:
        parameter["zustaendigeStelle"] = zustaendige_stelle
    return deposit_bauen(myform, anhaenge, custom_parameters=parameter)
