"""Conformance: call activities to a process of the same file and to another deployed model (pinned version),
in a file with a collaboration of two pools; data flows into and out of the called process."""

import pytest

from app.engine.models import BEENDET
from app.engine.registry import deploy_xml
from app.engine.validierung import ModellUngueltig
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def test_aufruf_in_derselben_datei_und_eines_anderen_modells(amt, sabine, modell):
    """k_aufruf calls k_unter (same file), then k_subprozess version 1 (deployed before); all run to the end."""
    modell("subprozess.bpmn")
    v = neuer_vorgang(amt, verfahren_key=modell("aufruf.bpmn"))
    assert instanz(v).modell_version.key == "k_aufruf"
    erledige(sabine, v, "unter_aufgabe", notiz="aus dem Unterverfahren")
    assert offene_ids(v) == ["innen"]
    erledige(sabine, v, "innen", ok="true")
    erledige(sabine, v, "danach")
    assert offene_ids(v) == ["pruefen"]
    erledige(sabine, v, "pruefen")
    assert instanz(v).zustand_art == BEENDET


def test_fehlendes_aufrufziel_ist_ein_klarer_fehler(app):
    """Without the called model deployed: a German error at the call activity, with its line."""
    with pytest.raises(ModellUngueltig) as info:
        deploy_xml((MODELLE / "aufruf.bpmn").read_bytes(), "aufruf.bpmn")
    [fehler] = info.value.fehler
    assert fehler.element == "extern" and fehler.zeile == 15 and "k_subprozess" in fehler.meldung
