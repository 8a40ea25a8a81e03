"""Case actions of the caseworker's day: forwarding lands somewhere sensible, deletion asks (issue 17, defects 3, 4)."""

from app.extensions import db
from app.vorgaenge.models import Vorgang
from tests import factories


def test_forwarding_out_of_my_oes_lands_on_the_list_not_on_a_404(app, client, auth, ordnungsamt):
    """The success message appears on the Vorgangsliste; the forwarded Vorgang is no longer mine to open."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    factories.benutzer("bernd", "Bernd Bau", ["sachbearbeitung"], [bauamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    antwort = client.post(
        f"/vorgang/{v.nummer}/aktion/weiterleiten", data={"weiterleiten-ziel": str(bauamt.id)}, follow_redirects=True
    )
    assert antwort.status_code == 200
    assert antwort.request.path == "/"
    assert "an Bauamt weitergeleitet" in antwort.get_data(as_text=True)


def test_forwarding_to_an_oe_without_caseworkers_warns_and_needs_a_confirmation(app, client, auth, ordnungsamt):
    """An OE where nobody may work on Vorgänge is marked in the choice; forwarding there asks first."""
    archiv = factories.oe("Archiv", "197010", "31007")
    factories.benutzer("ada", "Ada Admin", ["administration"], [archiv])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Archiv (ohne Sachbearbeitung)" in seite
    url = f"/vorgang/{v.nummer}/aktion/weiterleiten"
    antwort = client.post(url, data={"weiterleiten-ziel": str(archiv.id)})
    assert antwort.status_code == 422
    assert "niemand Vorgänge: bitte bestätigen" in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).oe_id == ordnungsamt.id
    antwort = client.post(url, data={"weiterleiten-ziel": str(archiv.id), "weiterleiten-trotzdem": "y"})
    assert antwort.status_code == 302
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).oe_id == archiv.id


def test_confirming_a_deletion_shows_requester_and_reason_and_asks(app, client, auth, ordnungsamt):
    """„Löschung bestätigen“ opens the request (who, when, why); without the tick nothing is deleted."""
    factories.benutzer("vera", "Vera Lindner", ["leitung"], [ordnungsamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    url = f"/vorgang/{v.nummer}/aktion"
    client.post(f"{url}/verwerfen", data={"verwerfen-begruendung": "Doppelt eingereicht"})
    client.post(f"{url}/loeschen_beantragen", data={"loeschen_beantragen-begruendung": "Dublette von 31005-AAAAAA"})
    auth.logout()
    auth.login("vera")
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    antrag = seite[seite.index("<summary>Löschung bestätigen") :]
    assert "Sabine Berger" in antrag[:800] and "Dublette von 31005-AAAAAA" in antrag[:800]
    antwort = client.post(f"{url}/loeschung_bestaetigen", data={})
    assert antwort.status_code == 422
    assert "Bitte bestätigen Sie die endgültige Löschung." in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id) is not None
    antwort = client.post(f"{url}/loeschung_bestaetigen", data={"loeschen-bestaetigt": "y"}, follow_redirects=True)
    assert f"Vorgang {v.nummer} wurde gelöscht" in antwort.get_data(as_text=True)
