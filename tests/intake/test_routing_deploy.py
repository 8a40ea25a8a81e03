"""`processes deploy` checks the routing in force — the file until it is taken over, then the database edited in
the browser — through the same lookup the intake routes with."""

from pathlib import Path

from adapters.ozgcloud import ozgcloud_json_bauen
from app.config import ROOT
from app.engine.models import ProzessInstanz
from app.extensions import db
from app.intake.simulation import multipart_bauen
from app.vorgaenge.models import Vorgang

DB = "Routing in der Datenbank (/werkstatt/routing)"


def _liefern(client, intake) -> Vorgang:
    """An OZG-Cloud delivery of the form `hundesteuer-anmeldung`; the Vorgang it became."""
    form_data = ozgcloud_json_bauen(
        "tx-routing",
        {"antragsteller": {"vorname": "Erika", "nachname": "Mustermann"}, "hund": {"rasse": "Dackel", "anzahl": 1}},
        zustaendige_stelle="197008",
        leika_ids=[],
        formular_id="hundesteuer-anmeldung",
        formular_name="Hundesteuer-Anmeldung",
    )
    body, typ = multipart_bauen([("formData", None, "application/json", form_data)])
    antwort = client.post("/antrag", data=body, headers={"Authorization": intake.ozg_auth, "Content-Type": typ})
    assert antwort.status_code == 201, antwort.get_data(as_text=True)
    return db.session.get(Vorgang, int(antwort.get_json()["vorgang"]["vorgangId"]))


def test_deploy_checks_the_routing_edited_in_the_browser_and_the_intake_uses_it(app, client, auth, runner, intake):
    """Before the take-over the file is checked; after a browser edit the database is, though the file differs."""
    datei = Path(app.instance_path) / "routing.toml"
    text = (ROOT / "processes" / "routing.toml").read_text(encoding="utf-8")
    datei.write_text(text + '\n[formulare."hundesteuer-anmeldung"]\n', encoding="utf-8")  # a duplicate key: broken
    app.config["PROCESS_ROUTING_FILE"] = str(datei)
    kaputt = runner.invoke(args=["processes", "deploy"])
    assert kaputt.exit_code == 1 and f"{datei}: Kein gültiges TOML" in kaputt.output

    alt = text.replace('"hundesteuer-anmeldung" = "hundesteuer"', '"hundesteuer-anmeldung" = "hundesteuer_alt"')
    datei = datei.with_name("routing-alt.toml")  # another file: its parse is not cached by modification time
    datei.write_text(alt, encoding="utf-8")
    app.config["PROCESS_ROUTING_FILE"] = str(datei)
    aus_datei = runner.invoke(args=["processes", "deploy"])
    assert aus_datei.exit_code == 1
    assert f"{datei}: [formulare.hundesteuer-anmeldung] Verfahren „hundesteuer_alt“ ist nicht bereitgestellt." in (
        aus_datei.output
    )

    auth.login("anton")  # takes the file over, then changes the entry; the file keeps saying hundesteuer_alt
    daten = {"art": "formular", "schluessel": "hundesteuer-anmeldung", "verfahren": "allgemeines_verfahren"}
    assert client.post("/werkstatt/routing", data=daten).status_code == 302
    aus_db = runner.invoke(args=["processes", "deploy"])
    assert aus_db.exit_code == 0, aus_db.output
    assert "hundesteuer_alt" not in aus_db.output
    vorgang = _liefern(client, intake)
    instanz = db.session.query(ProzessInstanz).filter_by(vorgang_id=vorgang.id).one()
    assert instanz.modell_version.key == "allgemeines_verfahren"

    daten = {"art": "leika", "schluessel": "99000000000000", "verfahren": "sondernutzung"}
    client.post("/werkstatt/routing", data=daten)
    falsch = runner.invoke(args=["processes", "deploy"])
    assert falsch.exit_code == 1
    assert f"{DB}: [leika.99000000000000] Verfahren „sondernutzung“ ist nicht bereitgestellt." in falsch.output
    assert "hundesteuer_alt" not in falsch.output
