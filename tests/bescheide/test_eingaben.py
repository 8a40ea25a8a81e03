"""Bad input on the Bescheid pages gives a clear answer (403, 404, 422, a redirect with a message), never a 500;
caseworkers do not reach the template pages, other OEs' Vorgänge do not exist."""

from sqlalchemy import select

from app.bescheide import service
from app.bescheide.models import Bescheid, Textbaustein
from app.extensions import db
from tests.factories import benutzer


def test_bad_requests_on_the_vorgang(app, client, auth, akte, sabine, vorlage):
    """Unknown or foreign template, unknown Bescheid, unknown channel."""
    auth.login()
    for wert in ("abc", "", "999"):
        assert client.post(f"/vorgang/{akte.nummer}/bescheide", data={"vorlage": wert}).status_code == 302
    assert db.session.scalars(select(Bescheid)).all() == []
    assert client.get(f"/vorgang/{akte.nummer}/bescheide/999").status_code == 404
    bescheid = service.entwurf_anlegen(akte, vorlage, sabine)
    db.session.commit()
    erlassen = f"/vorgang/{akte.nummer}/bescheide/{bescheid.id}/erlassen"
    assert client.post(erlassen, data={"kanal": "brieftaube"}).status_code == 422
    db.session.expire_all()
    assert not db.session.get(Bescheid, bescheid.id).ist_final
    assert client.post(f"/vorgang/{akte.nummer}/bescheide/{bescheid.id}/freigeben").status_code == 422  # no lead


def test_template_pages_are_for_designers_and_check_their_input(app, client, auth, ordnungsamt, akte, vorlage):
    """Caseworker: 403. Designer: a bad key or broken template gives 422; an unknown Vorgang for the preview 404."""
    auth.login()
    assert client.get("/bescheide/vorlagen").status_code == 403
    auth.logout()
    benutzer("dora", "Dora Design", ["verfahrensdesign"], [ordnungsamt])
    db.session.commit()
    auth.login("dora")
    assert client.get("/bescheide/vorlagen").status_code == 200
    assert (
        client.post(
            "/bescheide/textbausteine/neu", data={"schluessel": "Böse Taste", "titel": "x", "text": "y"}
        ).status_code
        == 422
    )
    assert db.session.scalar(select(db.func.count(Textbaustein.id))) == 2
    assert (
        client.post(
            f"/bescheide/vorlagen/{vorlage.id}",
            data={"name": "Fällgenehmigung", "verfahren": "baumfaellung", "art": "genehmigung", "html": "<p>"},
        ).status_code
        == 422
    )
    assert client.get(f"/bescheide/vorlagen/{vorlage.id}/vorschau?vorgang=31005-XXXXXX").status_code == 404
    assert client.get(f"/bescheide/vorlagen/{vorlage.id}/vorschau?vorgang={akte.nummer}").mimetype == "application/pdf"
    assert client.get("/bescheide/vorlagen/999").status_code == 404
    assert client.get("/bescheide/textbausteine/999").status_code == 404
