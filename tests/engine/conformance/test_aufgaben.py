"""Conformance: user tasks wherever they are drawn (subprocess, event subprocess, transaction, multi-instance,
loop), `bpmn:task`/`manualTask` as confirm-only tasks, and a stuck instance becoming an incident."""

from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import BEENDET, VORFALL
from app.extensions import db
from tests.engine.conformance.conftest import instanz
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids


def test_usertask_im_eingebetteten_unterprozess(client, auth, amt, sabine, modell):
    """The task inside the subprocess is in the inbox (open for my role: nobody has the case yet), on the Vorgang
    page, and can be completed."""
    v = neuer_vorgang(amt, verfahren_key=modell("subprozess.bpmn"))
    assert offene_ids(v) == ["innen"]
    [aufgabe] = offene_aufgaben(benutzer=sabine)
    assert aufgabe.titel == "Innen prüfen" and [f.id for f in aufgabe.felder] == ["ok"]
    auth.login("sabine")
    assert "Innen prüfen" in client.get("/aufgaben?teil=offen").get_data(as_text=True)
    assert client.get(f"/vorgang/{v.nummer}").status_code == 200
    erledige(sabine, v, "innen", ok="true")
    erledige(sabine, v, "danach")
    assert instanz(v).zustand_art == BEENDET


def test_usertask_in_transaktion(amt, sabine, modell):
    """A transaction subprocess behaves like an embedded subprocess for its user tasks."""
    v = neuer_vorgang(amt, verfahren_key=modell("transaktion.bpmn"))
    erledige(sabine, v, "buchen")
    assert instanz(v).zustand_art == BEENDET


def test_usertask_im_ereignis_unterprozess(amt, sabine, modell):
    """A message starts the (non-interrupting) event subprocess; its user task comes next to the main one."""
    v = neuer_vorgang(amt, verfahren_key=modell("ereignis_subprozess.bpmn"))
    assert offene_ids(v) == ["bearbeiten"]
    assert runner.nachricht(v, "Storno", {"grund": "zurückgezogen"})
    db.session.commit()
    assert offene_ids(v) == ["bearbeiten", "storno_bearbeiten"]
    erledige(sabine, v, "storno_bearbeiten")
    erledige(sabine, v, "bearbeiten")
    assert instanz(v).zustand_art == BEENDET


def test_mehrfachinstanz_parallel_und_sequenziell(amt, sabine, modell):
    """Three parallel instances of one task, then two in sequence, each completed on its own."""
    v = neuer_vorgang(amt, verfahren_key=modell("mehrfach.bpmn"))
    assert len(offene_aufgaben(vorgang=v)) == 3
    for note in (1, 2, 3):
        erledige(sabine, v, offene_ids(v)[0], note=note)
    for _ in range(2):
        assert len(offene_aufgaben(vorgang=v)) == 1
        erledige(sabine, v, offene_ids(v)[0])
    assert instanz(v).zustand_art == BEENDET


def test_schleife_bis_bedingung(amt, sabine, modell):
    """A standard loop repeats the task while its condition holds (BPMN: loop while true)."""
    v = neuer_vorgang(amt, verfahren_key=modell("schleife.bpmn"))
    erledige(sabine, v, offene_ids(v)[0], fertig="false")
    erledige(sabine, v, offene_ids(v)[0], fertig="false")
    erledige(sabine, v, offene_ids(v)[0], fertig="true")
    assert instanz(v).zustand_art == BEENDET


def test_task_und_manualtask_sind_bestaetigungsaufgaben(amt, sabine, lars, modell):
    """`bpmn:task` and `manualTask` appear without fields for the lane's role and complete with „Erledigt“."""
    v = neuer_vorgang(amt, verfahren_key=modell("manuell.bpmn"))
    [aufgabe] = offene_aufgaben(vorgang=v)
    assert (aufgabe.element_id, aufgabe.felder, aufgabe.kandidatengruppen) == ("aufgabe", [], ["sachbearbeitung"])
    erledige(sabine, v, "aufgabe")
    [aufgabe] = offene_aufgaben(vorgang=v)
    assert aufgabe.kandidatengruppen == ["leitung"]
    assert offene_aufgaben(benutzer=sabine) == []
    erledige(lars, v, "handarbeit")
    assert instanz(v).zustand_art == BEENDET


def test_festgefahrenes_verfahren_wird_vorfall(amt, modell):
    """A conditional event whose condition nothing can change: an incident „Verfahren steckt fest“."""
    v = neuer_vorgang(amt, verfahren_key=modell("festgefahren.bpmn"))
    i = instanz(v)
    assert i.zustand_art == VORFALL
    assert "Verfahren steckt fest" in i.vorfall_text
    assert i.vorfall_element == "bedingung"
