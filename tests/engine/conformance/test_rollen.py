"""Conformance: candidate groups and lanes that are not product roles map through processes/rollen.toml and the
database table; an unknown group is a deploy warning and the task goes to the fallback role."""

from app.engine.aufgaben import offene_aufgaben
from app.engine.models import BEENDET
from app.engine.registry import deploy_xml
from app.engine.rollen import rolle_fuer, zuordnen
from app.extensions import db
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang
from tests.factories import benutzer


def test_unbekannte_gruppe_ist_warnung_und_geht_an_die_standardrolle(app):
    """The lane „Kasse“ is unknown: the deploy goes through with a warning naming element, group and role."""
    ergebnis = deploy_xml((MODELLE / "rollen.bpmn").read_bytes(), "rollen.bpmn")
    [warnung] = ergebnis.warnungen
    assert warnung.element == "kasse" and warnung.zeile and "„Kasse“" in warnung.meldung
    assert "sachbearbeitung" in warnung.meldung and "Warnung" in str(warnung)


def test_zuordnung_aus_datei_datenbank_und_juel(amt, sabine, lars, modell):
    """Kasse → fallback; Management → leitung (file); ${zustaendig} evaluated, then mapped (database row)."""
    v = neuer_vorgang(amt, verfahren_key=modell("rollen.bpmn"))
    assert [a.kandidatengruppen for a in offene_aufgaben(vorgang=v)] == [["sachbearbeitung"]]
    erledige(sabine, v, "kasse", zustaendig="Stadtkasse")
    assert [a.kandidatengruppen for a in offene_aufgaben(vorgang=v)] == [["leitung"]]
    zuordnen("stadtkasse", "leitung", von="test")
    db.session.commit()
    erledige(lars, v, "management")
    [aufgabe] = offene_aufgaben(vorgang=v)
    assert aufgabe.kandidatengruppen == ["leitung"]
    erledige(lars, v, "dynamisch")
    assert instanz(v).zustand_art == BEENDET


def test_rolle_per_cli(app, amt):
    """`processes rolle GRUPPE ROLLE` stores the mapping; a wrong role is a clear error."""
    cli = app.test_cli_runner()
    assert cli.invoke(args=["processes", "rolle", "Kasse", "leitung"]).output.strip() == "kasse → leitung"
    falsch = cli.invoke(args=["processes", "rolle", "Kasse", "chef"])
    assert falsch.exit_code != 0 and "keine Rolle" in falsch.output


def test_rollen_seite_nur_installationsweit(client, auth, amt):
    """The mapping is installation-wide: a designer sees the file's entries and adds one; an OE-scoped
    administrator and a caseworker get 403."""
    benutzer("ada", "Ada Admin", ["administration"], [amt])
    benutzer("dana", "Dana Design", ["verfahrensdesign"], [amt])
    db.session.commit()
    for login in ("sabine", "ada"):
        auth.login(login)
        assert client.get("/werkstatt/rollen").status_code == 403
        assert client.post("/werkstatt/rollen", data={"gruppe": "x", "rolle": "leitung"}).status_code == 403
        auth.logout()
    auth.login("dana")
    seite = client.get("/werkstatt/rollen").get_data(as_text=True)
    assert "management" in seite and "processes/rollen.toml" in seite
    antwort = client.post("/werkstatt/rollen", data={"gruppe": "Poststelle", "rolle": "leitung"}, follow_redirects=True)
    assert antwort.status_code == 200 and "poststelle" in antwort.get_data(as_text=True)
    assert rolle_fuer("Poststelle") == ("leitung", True)
    falsch = client.post("/werkstatt/rollen", data={"gruppe": "x", "rolle": "chef"}, follow_redirects=True)
    assert "keine Rolle" in falsch.get_data(as_text=True)
    assert client.get("/admin/rollen").status_code in (403, 404)
