"""Conformance: a business rule task runs the deployed DMN table (FEEL unary tests: `-`, comparisons, lists,
ranges, `not(…)`); unsupported FEEL is rejected at deploy with its line."""

import pytest

from app.engine import runner
from app.engine.registry import deploy_dmn
from app.engine.registry import modell as modell_laden
from app.engine.serialisierung import zustand_laden
from app.engine.validierung import ModellUngueltig
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import erledige, neuer_vorgang


def _steuer(vorgang) -> int:
    """The computed annual tax from the instance state."""
    i = instanz(vorgang)
    geladen = modell_laden(i.modell_version)
    wf = zustand_laden(i.zustand, geladen.spec, geladen.subprocess_specs)
    return next(t.data["jahressteuer"] for t in wf.get_tasks() if t.task_spec.name == "bescheid_versenden")


@pytest.mark.parametrize(
    ("anzahl", "listenhund", "rasse", "steuer"),
    [
        (1, "false", "", 90),
        (1, "true", "", 600),
        (1, "false", "Bullterrier", 600),
        (2, "false", "Dackel", 120),
        (5, "false", "Dackel", 150),
        (5, "false", "Pudel", 120),
    ],
)
def test_hundesteuer_aus_der_entscheidungstabelle(amt, sabine, verfahren, anzahl, listenhund, rasse, steuer):
    """The shipped Hundesteuer procedure takes the rate from processes/hundesteuer.dmn."""
    v = neuer_vorgang(amt, formular_id="hundesteuer")
    erledige(sabine, v, "anmeldung_pruefen", entscheidung="annehmen")
    erledige(sabine, v, "angaben_erfassen", anzahl_hunde=anzahl, listenhund=listenhund, rasse=rasse)
    if listenhund == "true":
        erledige(sabine, v, "wesenstest_pruefen", wesenstest_datum="2026-10-01")
    assert _steuer(v) == steuer


def test_nicht_unterstuetztes_feel_wird_abgelehnt(app):
    """A FEEL function in an input entry: a German error with its line."""
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="frist" name="Frist"><decisionTable id="t">
    <input id="i"><inputExpression id="e" typeRef="date"><text>eingang</text></inputExpression></input>
    <output id="o" name="tage" typeRef="integer" />
    <rule id="r"><inputEntry id="a"><text>&lt; date("2026-01-01")</text></inputEntry>
      <outputEntry id="b"><text>30</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""
    with pytest.raises(ModellUngueltig) as info:
        deploy_dmn(xml, "frist.dmn")
    [fehler] = info.value.fehler
    assert fehler.zeile == 6 and "date(" in fehler.meldung and "Entscheidungstabelle" in fehler.meldung


def test_entscheidung_ist_kein_startbares_verfahren(amt, verfahren):
    """Starting a Vorgang with a decision key is refused like an unknown procedure (no crash)."""
    with pytest.raises(runner.KeinVerfahren):
        neuer_vorgang(amt, verfahren_key="dmn:hundesteuer_satz")
