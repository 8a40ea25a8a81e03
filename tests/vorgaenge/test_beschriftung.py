"""Form data and applicant data read as the form shows them, not as technical keys (issue 17, defect 1)."""

import random

from app.intake.simulation import beschriftete_felder, formular_werte, intelliform_lieferung, ozg_lieferung
from app.vorgaenge.beschriftung import beschriften, dateiname, labels_laden


def test_simulated_ozg_delivery_shows_the_labels_it_carries(client, auth, zustellung):
    """The simulator sends labels like the real services; the detail page shows them, not the keys."""
    body, typ = ozg_lieferung(random.Random(1), formular_id="baumfaellung", anhang_bytes=0)
    vorgang = zustellung.ozg(body, typ)
    baum = next(f for f in vorgang.formulardaten if f["name"] == "baum")
    assert {k["name"]: k["label"] for k in baum["kinder"]}["stammumfang_cm"] == "Stammumfang in 1 m Höhe (cm)"
    auth.login()
    seite = client.get(f"/vorgang/{vorgang.nummer}").get_data(as_text=True)
    assert "Stammumfang in 1 m Höhe (cm)" in seite and "Angaben zum Baum" in seite
    assert "stammumfang_cm" not in seite and "Stammumfang cm" not in seite
    assert "Postfach typ" not in seite and "Postfach-Art" not in seite  # OZG-Cloud's numeric code 1
    assert "BundID" in seite and "BUND_ID" not in seite


def test_intelliform_delivery_without_labels_reads_the_forms_label_file(client, auth, zustellung):
    """myForm XML carries no labels: processes/formulare/<form>.toml maps the keys; uploads show the file name."""
    vorgang = zustellung.intelliform(intelliform_lieferung(random.Random(2), formular_id="hundesteuer-anmeldung"))
    auth.login()
    seite = client.get(f"/vorgang/{vorgang.nummer}").get_data(as_text=True)
    assert "Angaben zum Hund" in seite and "Listenhund (gefährlicher Hund)" in seite
    assert "Hochgeladene Dateien" in seite and "nachweis.pdf" in seite
    for technisch in ("upload-item", "Upload-item", "assistants.", "gehalten_seit", ">listenhund<"):
        assert technisch not in seite


def test_delivered_labels_win_and_unknown_keys_become_readable():
    """A label of the delivery beats the label file; a key nobody labelled loses its underscores."""
    felder = [
        {
            "name": "hund",
            "label": "Ihr Hund",
            "typ": "group",
            "wert": None,
            "kinder": [
                {"name": "rasse", "label": "rasse", "typ": "string", "wert": "Dackel"},
                {"name": "chip_nummer", "label": None, "typ": "string", "wert": "276"},
            ],
        },
    ]
    ergebnis = beschriften(felder, "hundesteuer-anmeldung")
    assert ergebnis[0]["label"] == "Ihr Hund"
    assert [k["label"] for k in ergebnis[0]["kinder"]] == ["Rasse", "Chip nummer"]
    assert felder[0]["kinder"][0]["label"] == "rasse"  # the stored data stay raw


def test_label_files_are_named_safely_and_every_shipped_form_has_one():
    """Form ids with slashes map to a file name inside processes/formulare; the simulator's forms are covered."""
    assert dateiname("32/baumfaellgenehmigung") == "32_baumfaellgenehmigung"
    assert dateiname("../../etc/passwd") == "______etc_passwd"
    assert labels_laden("32/baumfaellgenehmigung")["stammumfang_cm"] == "Stammumfang in 1 m Höhe (cm)"
    for formular_id in ("gewerbeanmeldung", "hundesteuer-anmeldung", "baumfaellung", "allgemeine-anfrage"):
        felder = beschriftete_felder(formular_id, formular_werte(formular_id, random.Random(4)))
        namen_ohne_label = [f.name for f in _alle(felder) if f.label == f.name]
        assert namen_ohne_label == [], (formular_id, namen_ohne_label)


def _alle(felder):
    """Every Feld of a tree."""
    for f in felder:
        yield f
        yield from _alle(f.kinder)
