"""No URL that names a Vorgang reveals or changes a Vorgang of another Organisationseinheit."""

from app.extensions import db
from tests import factories


def test_every_vorgang_url_answers_404_for_a_vorgang_of_another_oe(app, client, auth, ordnungsamt):
    """GET and POST on every route with a Vorgangsnummer: a foreign Vorgang does not exist for the user."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    fremder = factories.vorgang(bauamt, formular_name="Antrag auf Baumfällung")
    db.session.commit()
    auth.login()
    geprueft = []
    for regel in app.url_map.iter_rules():
        if "nummer" not in regel.arguments:
            continue
        werte = {name: "1" for name in regel.arguments} | {"nummer": fremder.nummer, "name": "kommentar"}
        pfad = regel.build(werte, append_unknown=False)[1]
        for methode in sorted(regel.methods & {"GET", "POST"}):
            antwort = client.open(pfad, method=methode, data={"text": "x"} if methode == "POST" else None)
            assert antwort.status_code == 404, (regel.endpoint, methode, antwort.status_code)
            geprueft.append(regel.endpoint)
    assert len(set(geprueft)) >= 5
    db.session.expire_all()
    assert db.session.get(type(fremder), fremder.id).version == fremder.version
