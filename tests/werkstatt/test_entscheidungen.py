"""Decision tables in the workbench: open the deployed table, check with the engine's DMN loader, save a draft,
deploy it as the next version; FEEL outside the supported subset is refused in German."""

from app.config import ROOT
from app.engine.registry import neueste_version

DMN = (ROOT / "processes" / "hundesteuer.dmn").read_text(encoding="utf-8")


def test_tabelle_oeffnen_pruefen_speichern_deployen(dora, verfahren, client):
    """The list shows version 1; a changed rule is saved and deployed as version 2; a bad one is refused."""
    seite = client.get("/werkstatt/entscheidungen/").get_data(as_text=True)
    assert "hundesteuer_satz" in seite and "1 (" in seite
    assert client.get("/werkstatt/entscheidungen/hundesteuer_satz").status_code == 200
    assert client.get("/werkstatt/entscheidungen/hundesteuer_satz/xml").get_data(as_text=True) == DMN
    assert client.get("/werkstatt/entscheidungen/gibt_es_nicht").status_code == 404

    falsch = DMN.replace("<text>600</text></outputEntry>", "<text>600</text></outputEntry>", 1).replace(
        "<text>&lt;= 1</text>", '<text>date("2020-01-01")</text>'
    )
    assert client.post("/werkstatt/entscheidungen/pruefen", data=falsch.encode()).get_json()["fehler"]
    assert client.post("/werkstatt/entscheidungen/pruefen", data=DMN.encode()).get_json()["fehler"] == []
    assert client.post("/werkstatt/entscheidungen/pruefen", data=b"<kein xml").get_json()["fehler"]

    geaendert = DMN.replace("<text>90</text>", "<text>96</text>")
    antwort = client.post("/werkstatt/entscheidungen/hundesteuer_satz/entwurf", json={"xml": geaendert})
    assert antwort.status_code == 200 and antwort.get_json()["pruefung"] == []
    assert "96" in client.get("/werkstatt/entscheidungen/hundesteuer_satz/xml").get_data(as_text=True)
    anderes = client.post(
        "/werkstatt/entscheidungen/hundesteuer_satz/entwurf", json={"xml": DMN.replace("hundesteuer_satz", "x")}
    )
    assert anderes.status_code == 422
    fertig = client.post("/werkstatt/entscheidungen/hundesteuer_satz/deployen", follow_redirects=True)
    assert "hundesteuer_satz Version 2" in fertig.get_data(as_text=True)
    version = neueste_version("dmn:hundesteuer_satz")
    assert version.version == 2 and version.deployed_von == "dora"
    assert "Version 2" in client.get("/werkstatt/entscheidungen/hundesteuer_satz").get_data(as_text=True)
    alt = client.get("/werkstatt/entscheidungen/hundesteuer_satz/versionen/1.dmn")
    assert alt.get_data(as_text=True) == DMN and "attachment" in alt.headers["Content-Disposition"]
    assert client.get("/werkstatt/entscheidungen/hundesteuer_satz/versionen/9.dmn").status_code == 404

    client.post("/werkstatt/entscheidungen/hundesteuer_satz/entwurf", json={"xml": falsch})
    abgelehnt = client.post("/werkstatt/entscheidungen/hundesteuer_satz/deployen", follow_redirects=True)
    assert "Nicht bereitgestellt" in abgelehnt.get_data(as_text=True)
    assert neueste_version("dmn:hundesteuer_satz").version == 2


def test_entscheidungen_nicht_in_der_verfahrensliste(dora, verfahren, client):
    """Decision tables have their own page; the procedure overview lists no `dmn:` key."""
    assert "dmn:hundesteuer_satz" not in client.get("/werkstatt/").get_data(as_text=True)
