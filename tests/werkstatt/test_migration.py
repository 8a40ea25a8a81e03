"""Migrating running instances to another version: preview, mapping, refusal with reason, permissions."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Benutzer
from app.engine.models import ProzessInstanz
from app.engine.registry import deploy_xml
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from app.werkstatt import migration
from app.werkstatt.models import WerkstattEreignis
from tests.engine.conftest import erledige, neuer_vorgang, offene_ids
from tests.factories import benutzer, oe

KOPF = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">\n'
    '<bpmn:process id="umzug" name="Umzug" isExecutable="true">\n'
)


def modell(*aufgaben: str, art: str = "userTask") -> bytes:
    """A linear procedure `umzug`: start → the user tasks in order → end (the first task of kind `art`)."""
    teile = ['<bpmn:startEvent id="start"/>']
    for nummer, aufgabe in enumerate(aufgaben):
        tag = art if nummer == 0 else "userTask"
        gruppen = ' camunda:candidateGroups="sachbearbeitung"' if tag == "userTask" else ""
        teile.append(f'<bpmn:{tag} id="{aufgabe}" name="{aufgabe.title()}"{gruppen}/>')
    teile.append('<bpmn:endEvent id="ende"/>')
    kette = ["start", *aufgaben, "ende"]
    for a, b in zip(kette, kette[1:], strict=False):
        teile.append(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>')
    return (KOPF + "\n".join(teile) + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


def _person(login: str) -> Benutzer:
    return db.session.scalars(select(Benutzer).filter_by(login=login)).one()


def _instanz(vorgang) -> ProzessInstanz:
    return db.session.scalars(select(ProzessInstanz).filter_by(vorgang_id=vorgang.id)).one()


def test_task_in_both_versions_moves_and_completes_on_the_new_version(app, amt):
    """Waiting at „pruefen“ on version 1, migrated to 2: completing it leads to the new task „anhoeren“."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    deploy_xml(modell("pruefen", "anhoeren", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    instanz, dora, sabine = _instanz(vorgang), _person("dora"), _person("sabine")
    task_id = instanz.aufgaben[0].task_id
    vorschau = migration.vorschau("umzug", 1, 2, [instanz.id], {}, dora)
    assert [(s.element, s.ziel, s.grund) for s in vorschau[0].schritte] == [("pruefen", "pruefen", None)]
    assert vorschau[0].moeglich and instanz.modell_version.version == 1  # the preview writes nothing
    ergebnisse = migration.migrieren("umzug", 1, 2, [instanz.id], {}, dora)
    assert ergebnisse[0].migriert
    db.session.refresh(instanz)
    assert instanz.modell_version.version == 2 and instanz.aufgaben[0].task_id == task_id  # the same open task
    historie = db.session.scalars(select(HistorieEintrag).filter_by(vorgang_id=vorgang.id, aktion="Verfahren migriert"))
    eintrag = historie.one()
    assert eintrag.vorher == {"version": 1} and eintrag.nachher == {"version": 2} and eintrag.akteur == "Dora Design"
    protokoll = db.session.scalars(select(WerkstattEreignis).filter_by(key="umzug", aktion="migriert")).one()
    assert protokoll.details["vorgaenge"] == [vorgang.nummer] and protokoll.benutzer == "dora"
    erledige(sabine, vorgang, "pruefen")
    assert offene_ids(vorgang) == ["anhoeren"]
    erledige(sabine, vorgang, "anhoeren")
    erledige(sabine, vorgang, "bescheiden")
    assert _instanz(vorgang).zustand_art == "beendet"


def test_removed_task_is_refused_with_reason_and_the_instance_stays(app, amt):
    """Version 3 has no „pruefen“: preview and migration refuse that instance, which keeps version 1."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    deploy_xml(modell("bescheiden"), "umzug.bpmn")
    db.session.commit()
    instanz, dora = _instanz(vorgang), _person("dora")
    vorschau = migration.vorschau("umzug", 1, 2, [instanz.id], {}, dora)[0]
    assert not vorschau.moeglich
    assert vorschau.schritte[0].grund == "Das Element „pruefen“ gibt es in Version 2 (auf dieser Ebene) nicht."
    ergebnis = migration.migrieren("umzug", 1, 2, [instanz.id], {}, dora)[0]
    assert not ergebnis.migriert
    db.session.refresh(instanz)
    assert instanz.modell_version.version == 1 and offene_ids(vorgang) == ["pruefen"]
    assert db.session.scalars(select(HistorieEintrag).filter_by(aktion="Verfahren migriert")).first() is None


def test_explicit_mapping_and_a_changed_kind(app, amt):
    """„pruefen“ renamed to „sichten“ maps when the designer says so; a user task turned manual task is refused."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    deploy_xml(modell("sichten", "bescheiden"), "umzug.bpmn")
    deploy_xml(modell("pruefen", "bescheiden", art="manualTask"), "umzug.bpmn")
    db.session.commit()
    instanz, dora, sabine = _instanz(vorgang), _person("dora"), _person("sabine")
    art = migration.vorschau("umzug", 1, 3, [instanz.id], {}, dora)[0]
    assert art.schritte[0].grund == "Art geändert: User Task → Manual Task."
    ergebnis = migration.migrieren("umzug", 1, 2, [instanz.id], {"pruefen": "sichten"}, dora)[0]
    assert ergebnis.migriert and ergebnis.schritte[0].ziel == "sichten"
    assert offene_ids(vorgang) == ["sichten"]
    eintrag = db.session.scalars(select(HistorieEintrag).filter_by(aktion="Verfahren migriert")).one()
    assert eintrag.notiz == "pruefen → sichten"
    erledige(sabine, vorgang, "sichten")
    assert offene_ids(vorgang) == ["bescheiden"]


def test_only_designers_and_administrators_of_the_vorgang_oe_may_migrate(app, amt, client, auth):
    """A caseworker and a system administrator get 403; a designer of another OE cannot pick the instance."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    deploy_xml(modell("pruefen", "anhoeren", "bescheiden"), "umzug.bpmn")
    kaemmerei = oe("Kämmerei", "197009", "31006")
    benutzer("karla", "Karla Kasse", ["verfahrensdesign"], [kaemmerei])
    benutzer("sven", "Sven System", ["systemadministration"], [amt])
    db.session.commit()
    instanz = _instanz(vorgang)
    with pytest.raises(migration.KeineBerechtigung):
        migration.migrieren("umzug", 1, 2, [instanz.id], {}, _person("sabine"))
    with pytest.raises(migration.KeineBerechtigung):
        migration.migrieren("umzug", 1, 2, [instanz.id], {}, _person("karla"))
    assert migration.laufende(migration.version_laden("umzug", 1), _person("karla")) == []
    for login in ("sabine", "sven"):
        auth.login(login)
        assert client.get("/werkstatt/verfahren/umzug/migration").status_code == 403
        auth.logout()
    auth.login("karla")
    antwort = client.post("/werkstatt/verfahren/umzug/migration", data={"von": 1, "nach": 2, "instanz": instanz.id})
    assert antwort.status_code == 403 and vorgang.nummer not in antwort.get_data(as_text=True)
    db.session.refresh(instanz)
    assert instanz.modell_version.version == 1


def test_page_lists_instances_previews_and_migrates(app, amt, client, auth):
    """Choose versions, tick the instance, see the preview table, confirm: the instance is on version 2."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    deploy_xml(modell("pruefen", "anhoeren", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    instanz = _instanz(vorgang)
    auth.login("anton")
    seite = client.get("/werkstatt/verfahren/umzug/migration?von=1&nach=2").get_data(as_text=True)
    assert vorgang.nummer in seite and f'value="{instanz.id}"' in seite
    daten = {"von": 1, "nach": 2, "instanz": instanz.id, "_aktion": "vorschau", "zuordnung": ""}
    vorschau = client.post("/werkstatt/verfahren/umzug/migration", data=daten).get_data(as_text=True)
    assert "1 von 1 Instanzen lassen sich migrieren." in vorschau and "✓ <code>pruefen</code>" in vorschau
    kaputt = client.post("/werkstatt/verfahren/umzug/migration", data={**daten, "zuordnung": "nur_links"})
    assert kaputt.status_code == 400 and "erwartet „alte_id = neue_id“" in kaputt.get_data(as_text=True)
    leer = client.post("/werkstatt/verfahren/umzug/migration", data={"von": 1, "nach": 2, "_aktion": "vorschau"})
    assert leer.status_code == 400 and "mindestens eine laufende Instanz" in leer.get_data(as_text=True)
    fertig = client.post("/werkstatt/verfahren/umzug/migration", data={**daten, "_aktion": "migrieren"})
    assert "1 von 1 Instanzen auf Version 2 migriert." in fertig.get_data(as_text=True)
    db.session.refresh(instanz)
    assert instanz.modell_version.version == 2


def _mit_teilprozess(innen: bool, timer: str = "P14D") -> bytes:
    """`umzug` with a user task „innen“ inside the subprocess „teil“ (or, `innen=False`, at top level instead),
    and a timer boundary event on „innen“."""
    aufgabe = '<bpmn:userTask id="innen" name="Innen" camunda:candidateGroups="sachbearbeitung"/>'
    grenze = (
        f'<bpmn:boundaryEvent id="frist" attachedToRef="innen"><bpmn:timerEventDefinition>'
        f"<bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    if innen:
        mitte = (
            f'<bpmn:subProcess id="teil"><bpmn:startEvent id="ts"/>{aufgabe}<bpmn:endEvent id="te"/>'
            '<bpmn:sequenceFlow id="g1" sourceRef="ts" targetRef="innen"/>'
            '<bpmn:sequenceFlow id="g2" sourceRef="innen" targetRef="te"/>'
            f'{grenze}<bpmn:endEvent id="te2"/><bpmn:sequenceFlow id="g3" sourceRef="frist" targetRef="te2"/>'
            "</bpmn:subProcess>"
        )
    else:
        mitte = f"{aufgabe.replace('innen', 'teil', 1).replace('Innen', 'Teil')}"
    rumpf = (
        f'<bpmn:startEvent id="start"/>{mitte}<bpmn:endEvent id="ende"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="teil"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="teil" targetRef="ende"/>'
    )
    return (KOPF + rumpf + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


def test_task_inside_a_subprocess_that_is_gone_is_refused_and_timers_keep_their_due_time(app, amt, uhr):
    """In a subprocess of both versions the task and its timer move (the timer keeps its due time); a version
    without the subprocess refuses „innen“ with the reason."""
    deploy_xml(_mit_teilprozess(True), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    instanz = _instanz(vorgang)
    faellig = instanz.next_timer_due
    assert offene_ids(vorgang) == ["innen"] and faellig is not None
    uhr.vorstellen(timedelta(days=3))
    deploy_xml(_mit_teilprozess(True, timer="P20D"), "umzug.bpmn")
    deploy_xml(_mit_teilprozess(False), "umzug.bpmn")
    db.session.commit()
    dora = _person("dora")
    weg = migration.vorschau("umzug", 1, 3, [instanz.id], {}, dora)[0]
    gruende = {s.element: s.grund for s in weg.schritte}
    assert gruende["innen"] == "liegt im Teilprozess „teil“, den es in Version 3 nicht gibt."
    assert gruende["teil"] == "Art geändert: Subprocess → User Task."
    ergebnis = migration.migrieren("umzug", 1, 2, [instanz.id], {}, dora)[0]
    assert ergebnis.migriert, ergebnis.alle_gruende()
    db.session.refresh(instanz)
    assert instanz.modell_version.version == 2 and instanz.next_timer_due == faellig
    assert offene_ids(vorgang) == ["innen"]
    erledige(_person("sabine"), vorgang, "innen")
    assert _instanz(vorgang).zustand_art == "beendet"


def test_passed_element_missing_in_the_target_refuses_the_instance(app, amt):
    """The instance already passed „pruefen“, which version 2 removed: its history could not be loaded there."""
    deploy_xml(modell("pruefen", "bescheiden"), "umzug.bpmn")
    db.session.commit()
    vorgang = neuer_vorgang(amt, verfahren_key="umzug")
    erledige(_person("sabine"), vorgang, "pruefen")
    deploy_xml(modell("bescheiden"), "umzug.bpmn")
    db.session.commit()
    instanz = _instanz(vorgang)
    vorschau = migration.vorschau("umzug", 1, 2, [instanz.id], {}, _person("anton"))[0]
    assert vorschau.schritte[0].ziel == "bescheiden"
    assert vorschau.alle_gruende() == ["Bereits durchlaufene Elemente fehlen in Version 2: „pruefen“."]


def test_page_of_a_procedure_without_versions_says_so(app, amt, client, auth):
    """A drafted, never deployed procedure has a migration page without anything to choose; unknown keys are 404."""
    auth.login("dora")
    client.post("/werkstatt/neu", data={"key": "skizze", "name": "Skizze"})
    seite = client.get("/werkstatt/verfahren/skizze/migration")
    assert seite.status_code == 200 and "noch nicht bereitgestellt" in seite.get_data(as_text=True)
    assert client.get("/werkstatt/verfahren/gibtsnicht/migration").status_code == 404
