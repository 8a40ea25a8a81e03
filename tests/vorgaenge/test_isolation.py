"""A user sees only Vorgänge of their own Organisationseinheiten."""

from app.extensions import db
from tests import factories


def test_caseworker_of_oe_a_gets_404_for_vorgang_of_oe_b_in_list_and_by_url(app, client, auth, ordnungsamt):
    """Lists and direct URLs both go through the tenant query helper."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    eigener = factories.vorgang(ordnungsamt, formular_name="Hundesteuer-Anmeldung")
    fremder = factories.vorgang(bauamt, formular_name="Antrag auf Baumfällung")
    db.session.commit()
    auth.login()
    liste = client.get("/").get_data(as_text=True)
    assert eigener.nummer in liste
    assert fremder.nummer not in liste
    assert client.get(f"/vorgang/{eigener.nummer}").status_code == 200
    assert client.get(f"/vorgang/{fremder.nummer}").status_code == 404
    assert client.get("/vorgang/99999-XXXXXX").status_code == 404


def test_status_counts_include_only_own_oe(app, client, auth, ordnungsamt):
    """The side navigation counts do not leak other OEs' numbers."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    factories.vorgang(ordnungsamt)
    for _ in range(3):
        factories.vorgang(bauamt)
    db.session.commit()
    auth.login()
    seite = client.get("/?status=neu").get_data(as_text=True)
    assert '<span class="anzahl">1</span>' in seite
    assert '<span class="anzahl">3</span>' not in seite
