"""The admin page of incidents: listed, retried and cancelled through real HTTP with CSRF tokens."""

import re

from app.engine.models import ProzessInstanz
from app.engine.registry import deploy_xml
from app.extensions import db
from tests.engine.conftest import BEISPIELE, erledige, neuer_vorgang
from tests.factories import benutzer


def _csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_administration_sieht_vorfall_und_bricht_ab_sachbearbeitung_nicht(app, client, auth, amt, sabine):
    """Only administrators see /admin/vorfaelle; a retry that fails again keeps the incident; cancel ends it."""
    deploy_xml((BEISPIELE / "rechnen_v1.bpmn").read_bytes(), "rechnen_v1.bpmn")
    benutzer("anton", "Anton Richter", ["administration"], [amt])
    db.session.commit()
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    erledige(sabine, v, "eingabe", zahl=0)

    auth.login("sabine")
    assert client.get("/admin/vorfaelle").status_code == 403
    auth.logout()

    auth.login("anton")
    app.config["WTF_CSRF_ENABLED"] = True  # after the login: the admin forms must carry their token
    seite = client.get("/admin/vorfaelle")
    html = seite.get_data(as_text=True)
    assert seite.status_code == 200 and v.nummer in html and "ZeroDivisionError" in html and "teilen" in html
    instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=v.id)).one()
    antwort = client.post(
        f"/admin/vorfaelle/{instanz.id}/wiederholen",
        data={"csrf_token": _csrf(html), "migrieren": "ja"},
        follow_redirects=True,
    )
    assert "erneut fehlgeschlagen" in antwort.get_data(as_text=True)
    html = client.get("/admin/vorfaelle").get_data(as_text=True)
    antwort = client.post(
        f"/admin/vorfaelle/{instanz.id}/abbrechen",
        data={"csrf_token": _csrf(html), "grund": "Test"},
        follow_redirects=True,
    )
    assert "abgebrochen" in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProzessInstanz, instanz.id).zustand_art == "abgebrochen"
    assert client.post(f"/admin/vorfaelle/{instanz.id}/abbrechen", data={}).status_code == 400  # no CSRF token
    # the list of deployed versions is installation-wide: system administration only
    assert client.get("/admin/verfahren").status_code == 403
    benutzer("sysa", "Sybille Admin", ["systemadministration"], [amt])
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    auth.logout()
    auth.login("sysa")
    assert "rechnen" in client.get("/admin/verfahren").get_data(as_text=True)


def test_vorfall_banner_vorlage_zeigt_stoerung(app, amt, sabine):
    """The partial engine/_vorfall.html renders the incident `prozess_vorfall` finds (and nothing without one)."""
    from flask import render_template_string
    from flask_login import login_user

    from app.engine import prozess_vorfall

    deploy_xml((BEISPIELE / "rechnen_v1.bpmn").read_bytes(), "rechnen_v1.bpmn")
    db.session.commit()
    v = neuer_vorgang(amt, verfahren_key="rechnen")
    with app.test_request_context():
        login_user(sabine)
        vorlage = '{% include "engine/_vorfall.html" %}'
        assert "gestört" not in render_template_string(vorlage, vorfall=prozess_vorfall(v))
        erledige(sabine, v, "eingabe", zahl=0)
        html = render_template_string(vorlage, vorfall=prozess_vorfall(v))
    assert "gestört" in html and "teilen" in html and "ZeroDivisionError" in html
