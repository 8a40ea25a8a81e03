"""Robustness: randomly damaged deliveries end in AdapterFehler (or parse), never in another exception.

Seeded, so every run checks the same inputs; a failure prints the seed and the damaged input.
"""

import base64
import json
import random

import pytest

from adapters import AdapterFehler
from adapters.fitconnect import parse_fitconnect
from adapters.formsolutions import parse_submission, parse_submission_liste
from adapters.intelliform import DepositAnhang, parse_deposit
from adapters.intelliform_soap import deposit_bauen
from adapters.ozgcloud import ozgcloud_json_bauen, parse_ozgcloud
from tests.adapters.formsolutions_bauen import submission_bauen
from tests.fixtures import MYFORM_UPLOAD_ID

STOERUNGEN = [b'"', b"{", b"}", b"[", b"]", b"<", b">", b"&", b"null", b"1", b"true", b"\x00", b"\xff", b"=", b"/"]
ERSATZWERTE = [None, 1, "x", [], {}, True, [1], {"a": 1}, -1.5, "2020-13-45", 10**30]


def _byte_stoerung(daten: bytes, rnd: random.Random) -> bytes:
    """Delete, insert or overwrite a few bytes."""
    puffer = bytearray(daten)
    for _ in range(rnd.randint(1, 5)):
        i = rnd.randrange(len(puffer)) if puffer else 0
        art = rnd.random()
        if art < 0.3 and puffer:
            del puffer[i : i + rnd.randint(1, 20)]
        elif art < 0.6:
            puffer[i:i] = rnd.choice(STOERUNGEN)
        elif puffer:
            puffer[i] = rnd.randrange(256)
    return bytes(puffer)


def _json_stoerung(objekt, rnd: random.Random):
    """Replace one value somewhere in a decoded JSON document by a value of another type."""
    if isinstance(objekt, dict) and objekt:
        schluessel = rnd.choice(list(objekt))
        if rnd.random() < 0.5:
            objekt[schluessel] = rnd.choice(ERSATZWERTE)
        else:
            _json_stoerung(objekt[schluessel], rnd)
    elif isinstance(objekt, list) and objekt:
        i = rnd.randrange(len(objekt))
        if rnd.random() < 0.5:
            objekt[i] = rnd.choice(ERSATZWERTE)
        else:
            _json_stoerung(objekt[i], rnd)
    return objekt


def _eingaben(myform_xml: bytes, metadaten: bytes) -> dict:
    """Valid input and parser per source."""
    submission = submission_bauen(
        "AS_1-x",
        formular_xml=b"<f><vorname>x</vorname></f>",
        pdf=b"%PDF-1.4",
        anhaenge=[("a.txt", "text/plain", b"x")],
        secure_data={"Origin": "BUNDID", "FirstName": "Erika", "DateOfBirth": "01.02.1990"},
    )
    return {
        "intelliform": (
            deposit_bauen(myform_xml, [DepositAnhang(MYFORM_UPLOAD_ID, "s.pdf", "application/pdf", b"%PDF-1.4")]),
            parse_deposit,
        ),
        "ozgcloud": (
            ozgcloud_json_bauen("T", {"p": {"vorname": "x", "n": 3, "ok": True}}, postfach_adresse="p", konto_typ="k"),
            parse_ozgcloud,
        ),
        "formsolutions": (json.dumps(submission).encode(), parse_submission),
        "formsolutions-liste": (json.dumps([submission]).encode(), parse_submission_liste),
        "fitconnect": (metadaten, parse_fitconnect),
    }


@pytest.mark.parametrize("quelle", ["intelliform", "ozgcloud", "formsolutions", "formsolutions-liste", "fitconnect"])
def test_damaged_deliveries_never_raise_anything_but_adapterfehler(quelle, myform_xml, fitconnect_metadaten_roh):
    """400 damaged variants per source (byte damage; for JSON also type damage): AdapterFehler or success."""
    gueltig, parser = _eingaben(myform_xml, fitconnect_metadaten_roh)[quelle]
    rnd = random.Random(f"amtsfluss-{quelle}")
    for nummer in range(400):
        if quelle != "intelliform" and nummer % 2:
            eingabe = json.dumps(_json_stoerung(json.loads(gueltig), rnd)).encode()
        else:
            eingabe = _byte_stoerung(gueltig, rnd)
        try:
            parser(eingabe)
        except AdapterFehler:
            pass
        except Exception as fehler:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{quelle} #{nummer}: {type(fehler).__name__}: {fehler}\n{eingabe[:500]!r}")


def test_damaged_inner_form_xml_never_raises_anything_but_adapterfehler(myform_xml):
    """The myForm XML (intelliForm) and the form XML (Form-Solutions) damaged byte-wise, 300 times each."""
    rnd = random.Random("amtsfluss-inneres-xml")
    huelle = deposit_bauen(b"<myForm/>", transaktions_id="1")
    for nummer in range(300):
        kaputt = _byte_stoerung(myform_xml, rnd)
        for parser, eingabe in (
            (parse_deposit, huelle.replace(base64.b64encode(b"<myForm/>"), base64.b64encode(kaputt))),
            (parse_submission, submission_bauen("A-1", formular_xml=kaputt)),
        ):
            try:
                parser(eingabe)
            except AdapterFehler:
                pass
            except Exception as fehler:  # noqa: BLE001 - the point of the test
                pytest.fail(f"#{nummer}: {type(fehler).__name__}: {fehler}\n{kaputt[:500]!r}")
