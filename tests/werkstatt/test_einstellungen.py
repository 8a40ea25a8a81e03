"""Routing, role mapping and label files edited in the workbench: the database rules once taken over, the files
are import and export, a restart never undoes a browser edit, every change is in the Historie."""

import io

from sqlalchemy import select

from app.einstellungen import EinstellungStand
from app.engine import einstellungen_beim_start
from app.engine.models import VerfahrensRouting
from app.engine.rollen import rolle_fuer, zuordnung_pruefen
from app.engine.routing import routing_laden, verfahren_fuer
from app.extensions import db
from app.vorgaenge.beschriftung import labels_laden
from tests.factories import benutzer


def test_routing_bearbeiten_import_export_und_historie(dora, client):
    """Add, change and delete an entry; export and re-import the file; the Historie names who and what."""
    assert verfahren_fuer("sondernutzung-antrag", []) == "allgemeines_verfahren"
    client.post(
        "/werkstatt/routing", data={"art": "formular", "schluessel": "sondernutzung-antrag", "verfahren": "hundesteuer"}
    )
    assert verfahren_fuer("sondernutzung-antrag", []) == "hundesteuer"
    assert verfahren_fuer("gewerbeanmeldung", []) == "gewerbeanmeldung"  # the file's entries were taken over
    client.post(
        "/werkstatt/routing",
        data={"art": "formular", "schluessel": "sondernutzung-antrag", "verfahren": "baumfaellung"},
    )
    client.post(
        "/werkstatt/routing", data={"art": "leika", "schluessel": "99107004001000", "verfahren": "baumfaellung"}
    )
    assert verfahren_fuer("", ["99107004001000"]) == "baumfaellung"
    client.post("/werkstatt/routing/loeschen", data={"art": "formular", "schluessel": "gewerbeanmeldung"})
    assert verfahren_fuer("gewerbeanmeldung", []) == "allgemeines_verfahren"
    client.post("/werkstatt/routing", data={"art": "standard", "verfahren": "hundesteuer"})
    assert verfahren_fuer("unbekannt", []) == "hundesteuer"

    export = client.get("/werkstatt/routing.toml")
    assert export.status_code == 200 and 'standard = "hundesteuer"' in export.get_data(as_text=True)
    text = export.get_data(as_text=True).replace(
        '"baumfaellung-antrag" = "baumfaellung"', '"neu-x" = "gewerbeanmeldung"'
    )
    client.post("/werkstatt/routing/import", data={"datei": (io.BytesIO(text.encode()), "routing.toml")})
    assert (
        verfahren_fuer("neu-x", []) == "gewerbeanmeldung" and verfahren_fuer("baumfaellung-antrag", []) == "hundesteuer"
    )
    kaputt = client.post(
        "/werkstatt/routing/import", data={"datei": (io.BytesIO(b"[formulare\n"), "r.toml")}, follow_redirects=True
    )
    assert "Kein gültiges TOML" in kaputt.get_data(as_text=True)
    seite = client.get("/werkstatt/routing").get_data(as_text=True)
    for text in (
        "dora: Zuordnung gelöscht",
        "Formular-ID gewerbeanmeldung",
        "hundesteuer → baumfaellung",
        "Datei importiert",
    ):
        assert text in seite, text


def test_neustart_macht_browser_aenderung_nicht_rueckgaengig(app, dora, client):
    """Start-up takes the files over only once: a restart after a browser edit keeps the edit."""
    with app.app_context():  # as at start-up: its own session
        einstellungen_beim_start()
    assert {s.name for s in db.session.scalars(select(EinstellungStand))} == {"routing", "rollen", "beschriftungen"}
    client.post("/werkstatt/routing/loeschen", data={"art": "formular", "schluessel": "hundesteuer"})
    client.post("/werkstatt/rollen/loeschen", data={"gruppe": "management"})
    client.post("/werkstatt/beschriftungen/hundesteuer-anmeldung", data={"felder": "rasse = Hunderasse"})
    with app.app_context():  # a restart
        einstellungen_beim_start()
    assert "hundesteuer" not in routing_laden()["formulare"]
    assert rolle_fuer("management") == ("sachbearbeitung", False)
    assert labels_laden("hundesteuer-anmeldung")["rasse"] == "Hunderasse"
    assert "hund.name" not in labels_laden("hundesteuer-anmeldung")
    assert db.session.scalar(select(VerfahrensRouting).where(VerfahrensRouting.schluessel == "hundesteuer")) is None


def test_rollen_bearbeiten_standardrolle_import_export(dora, client):
    """Change, delete, standard role, export/import round trip; a role as group is refused."""
    client.post("/werkstatt/rollen", data={"gruppe": "Kasse", "rolle": "leitung"})
    assert rolle_fuer("kasse") == ("leitung", True)
    client.post("/werkstatt/rollen", data={"gruppe": "*", "rolle": "leitung"})
    assert rolle_fuer("gibt-es-nicht") == ("leitung", False)
    selbst = client.post("/werkstatt/rollen", data={"gruppe": "leitung", "rolle": "leitung"}, follow_redirects=True)
    assert "selbst eine Rolle" in selbst.get_data(as_text=True)
    export = client.get("/werkstatt/rollen.toml").get_data(as_text=True)
    assert 'standard = "leitung"' in export and '"kasse" = "leitung"' in export
    neu = export.replace('"kasse" = "leitung"', '"kasse" = "sachbearbeitung"')
    client.post("/werkstatt/rollen/import", data={"datei": (io.BytesIO(neu.encode()), "rollen.toml")})
    assert rolle_fuer("kasse") == ("sachbearbeitung", True)
    falsch = client.post(
        "/werkstatt/rollen/import",
        data={"datei": (io.BytesIO(b'[gruppen]\nx = "chef"\n'), "rollen.toml")},
        follow_redirects=True,
    )
    assert "keine Rolle" in falsch.get_data(as_text=True) and rolle_fuer("kasse") == ("sachbearbeitung", True)
    assert "Datei importiert" in client.get("/werkstatt/rollen").get_data(as_text=True)


def test_beschriftungen_anlegen_aendern_loeschen_import_export(dora, client):
    """A new form's labels, a change, export/import, delete; bad lines and names are refused in German."""
    client.post("/werkstatt/beschriftungen", data={"formular": "sondernutzung", "felder": "flaeche = Fläche in m²\n"})
    assert labels_laden("sondernutzung")["flaeche"] == "Fläche in m²"
    assert labels_laden("sondernutzung")["vorname"] == "Vorname"  # _gemeinsam taken over too
    falsch = client.post(
        "/werkstatt/beschriftungen/sondernutzung", data={"felder": "ohne gleich"}, follow_redirects=True
    )
    assert "Zeile 1" in falsch.get_data(as_text=True)
    name = client.post("/werkstatt/beschriftungen", data={"formular": "a/b", "felder": "x = y"}, follow_redirects=True)
    assert "Formular-ID" in name.get_data(as_text=True)
    export = client.get("/werkstatt/beschriftungen/sondernutzung.toml").get_data(as_text=True)
    assert '"flaeche" = "Fläche in m²"' in export
    client.post(
        "/werkstatt/beschriftungen/import",
        data={"datei": (io.BytesIO(export.replace("Fläche", "Größe").encode()), "sondernutzung.toml")},
    )
    assert labels_laden("sondernutzung")["flaeche"] == "Größe in m²"
    client.post("/werkstatt/beschriftungen/sondernutzung/loeschen")
    assert "flaeche" not in labels_laden("sondernutzung")
    assert client.get("/werkstatt/beschriftungen/sondernutzung").status_code == 404
    seite = client.get("/werkstatt/beschriftungen").get_data(as_text=True)
    assert "Beschriftungen gelöscht" in seite and "Datei importiert" in seite


def test_nur_verfahrensdesign_und_systemadministration(amt, client, auth):
    """An OE-scoped administration and a caseworker get 403; system administration may."""
    benutzer("sysa", "Sybille Admin", ["systemadministration"], [amt])
    db.session.commit()
    for login in ("anton", "sabine"):
        auth.login(login)
        for pfad in ("/werkstatt/routing", "/werkstatt/rollen", "/werkstatt/beschriftungen", "/werkstatt/routing.toml"):
            assert client.get(pfad).status_code == 403, (login, pfad)
        daten = {"art": "formular", "schluessel": "x", "verfahren": "hundesteuer"}
        assert client.post("/werkstatt/routing", data=daten).status_code == 403
        auth.logout()
    auth.login("sysa")
    assert client.get("/werkstatt/routing").status_code == 200
    client.post("/werkstatt/routing", data={"art": "formular", "schluessel": "x", "verfahren": "hundesteuer"})
    assert verfahren_fuer("x", []) == "hundesteuer"


def test_falsche_eingaben_geben_keinen_500(dora, client):
    """Odd posts get a German message (redirect with flash) or a 4xx, never a 500."""
    posts = [
        ("/werkstatt/routing", {"art": "xyz", "schluessel": "a", "verfahren": "b"}),
        ("/werkstatt/routing", {"art": "standard", "verfahren": ""}),
        ("/werkstatt/routing", {"art": "formular", "schluessel": "x" * 300, "verfahren": "b"}),
        ("/werkstatt/routing/loeschen", {"art": "standard", "schluessel": "*"}),
        ("/werkstatt/routing/loeschen", {"art": "leika", "schluessel": "gibt-es-nicht"}),
        ("/werkstatt/rollen", {}),
        ("/werkstatt/rollen/loeschen", {"gruppe": "*"}),
        ("/werkstatt/rollen/loeschen", {"gruppe": "gibt-es-nicht"}),
        ("/werkstatt/beschriftungen", {"formular": "", "felder": ""}),
        ("/werkstatt/beschriftungen/gibt-es-nicht/loeschen", {}),
        ("/werkstatt/beschriftungen/import", {}),
        ("/werkstatt/routing/import", {"datei": (io.BytesIO(b"\xff\xfe"), "r.toml")}),
        ("/werkstatt/rollen/import", {"datei": (io.BytesIO(b"gruppen = 3"), "r.toml")}),
        ("/werkstatt/beschriftungen/import", {"datei": (io.BytesIO(b"felder = 3"), "../x.toml")}),
        ("/werkstatt/beschriftungen/import", {"datei": (io.BytesIO(b"[felder]\na = 1"), "..\\x.toml")}),
        ("/werkstatt/entscheidungen/gibt_es_nicht/deployen", {}),
    ]
    for pfad, daten in posts:
        antwort = client.post(pfad, data=daten, follow_redirects=True)
        assert antwort.status_code < 500, (pfad, daten)
    assert client.post("/werkstatt/entscheidungen/x/entwurf", data="kein json").status_code == 400
    assert client.post("/werkstatt/entscheidungen/x/entwurf", json={"xml": "<a"}).status_code == 422
    assert client.get("/werkstatt/beschriftungen/gibt-es-nicht.toml").status_code == 404


def test_deploy_prueft_die_geltende_rollenzuordnung(app, dora, client, tmp_path):
    """`processes deploy` checks the file until the mapping is taken over, then the database (the file may differ)."""
    (tmp_path / "routing.toml").write_text('standard = "allgemeines_verfahren"\n', encoding="utf-8")
    (tmp_path / "rollen.toml").write_text('[gruppen]\nkasse = "kassenwart"\n', encoding="utf-8")
    app.config["PROCESS_ROUTING_FILE"] = str(tmp_path / "routing.toml")
    [fehler] = zuordnung_pruefen()
    assert fehler.startswith(f"{tmp_path / 'rollen.toml'}: [gruppen.kasse] „kassenwart“ ist keine Rolle")
    client.post("/werkstatt/rollen", data={"gruppe": "Kasse", "rolle": "leitung"})
    assert zuordnung_pruefen() == []
    assert rolle_fuer("kasse") == ("leitung", True)
