"""Saved views of the Vorgangsliste: per user, shared per OE by the Leitung (issue 17, item 13)."""

import re

from app.extensions import db
from tests import factories


def _links(seite: str) -> dict[str, str]:
    """Saved view name → its link."""
    block = seite[seite.index('id="gespeichert-titel"') :]
    return {name.strip(): href for href, name in re.findall(r'<li><a href="([^"]+)">([^<]+)', block)}


def test_a_caseworker_keeps_a_filter_under_a_name_only_for_herself(app, client, auth, ordnungsamt):
    """Saved with name and filter; the link restores it; a colleague does not see it; she can delete it."""
    factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    factories.vorgang(ordnungsamt, "Hundesteuer-Anmeldung", formular_id="hundesteuer-anmeldung")
    db.session.commit()
    auth.login()
    antwort = client.post(
        "/ansichten", data={"name": "Hunde neu", "status": "neu", "formular": "Hundesteuer-Anmeldung"}
    )
    assert antwort.status_code == 302
    links = _links(client.get("/").get_data(as_text=True))
    assert "status=neu" in links["Hunde neu"] and "formular=Hundesteuer-Anmeldung" in links["Hunde neu"]
    assert client.get(links["Hunde neu"].replace("&amp;", "&")).status_code == 200
    auth.logout()
    auth.login("paul")
    assert "Hunde neu" not in _links(client.get("/").get_data(as_text=True))
    auth.logout()
    auth.login()
    ansicht_id = re.search(r"/ansichten/(\d+)/loeschen", client.get("/").get_data(as_text=True)).group(1)
    client.post(f"/ansichten/{ansicht_id}/loeschen")
    assert _links(client.get("/").get_data(as_text=True)) == {}


def test_leitung_shares_a_view_with_the_oe_caseworkers_cannot(app, client, auth, ordnungsamt):
    """A Leitung's shared view shows for everyone of the OE; a caseworker's attempt to share is refused."""
    factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt])
    bauamt = factories.oe("Bauamt", "197009", "31006")
    factories.benutzer("bernd", "Bernd Bau", ["sachbearbeitung"], [bauamt])
    db.session.commit()
    auth.login("lea")
    client.post("/ansichten", data={"name": "Unzugewiesen", "ansicht": "nicht_zugewiesen", "oe": ordnungsamt.id})
    auth.logout()
    auth.login()
    seite = client.get("/").get_data(as_text=True)
    assert "Unzugewiesen" in seite[seite.index('id="gespeichert-titel"') :]
    assert "der Ansicht Unzugewiesen" not in seite  # only the Leitung may delete a shared view
    antwort = client.post("/ansichten", data={"name": "Meine", "oe": ordnungsamt.id}, follow_redirects=True)
    assert "Nur die Leitung kann Ansichten" in antwort.get_data(as_text=True)
    auth.logout()
    auth.login("bernd")
    assert "Unzugewiesen" not in client.get("/").get_data(as_text=True)
    assert client.post("/ansichten", data={"name": ""}, follow_redirects=True).status_code == 200
