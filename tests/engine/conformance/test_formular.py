"""Conformance: every Camunda 7 form field type plus `textarea`, and the validation constraints, in German."""

from datetime import date

import pytest

from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.formular import formular
from app.engine.models import BEENDET
from app.engine.registry import modell as geladen
from app.engine.serialisierung import zustand_laden
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import neuer_vorgang


def test_alle_feldtypen_und_regeln(amt, sabine, modell):
    """Wrong input gives one German message per field; valid input is stored typed and the instance ends."""
    v = neuer_vorgang(amt, verfahren_key=modell("formular.bpmn"))
    [aufgabe] = offene_aufgaben(vorgang=v)
    assert "textarea" in str(formular(aufgabe.felder)["begruendung"])
    falsch = {"name": "X", "anzahl": "9", "eilig": "vielleicht", "termin": "32.13.2026", "art": "c"}
    with pytest.raises(runner.FormularFehler) as info:
        runner.abschliessen(aufgabe.task_id, falsch, sabine)
    assert set(info.value.fehler) == {"name", "anzahl", "eilig", "termin", "art"}
    assert "Mindestens 2 Zeichen" in info.value.fehler["name"]
    assert "Höchstens 5" in info.value.fehler["anzahl"]
    gut = {
        "name": "Muster",
        "begruendung": "Zeile 1\nZeile 2",
        "anzahl": "3",
        "eilig": "ja",
        "termin": "24.12.2026",
        "art": "b",
        "kennung": "überschrieben",
    }
    runner.abschliessen(aufgabe.task_id, gut, sabine)
    assert instanz(v).zustand_art == BEENDET
    i = instanz(v)
    m = geladen(i.modell_version)
    daten = zustand_laden(i.zustand, m.spec, m.subprocess_specs).data
    assert daten["anzahl"] == 3 and daten["eilig"] is True and daten["termin"] == date(2026, 12, 24)
    assert daten["art"] == "b" and daten["begruendung"] == "Zeile 1\nZeile 2" and "kennung" not in daten
