"""The dashboard: incoming per week and form, open by status and age, lead time, workload, overdue items; each
number links to the list it counts (issue 17, item 14)."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge import aktionen
from tests import factories
from tests.conftest import UHR_START


def _zelle(seite: str, zeile: str) -> list[str]:
    """The cell texts (numbers) of the table row headed `zeile`."""
    treffer = re.search(rf"<th scope=\"row\">{re.escape(zeile)}</th>(.*?)</tr>", seite, re.S)
    return re.findall(r"<a href=\"[^\"]*\">([^<]+)</a>", treffer.group(1))


def test_dashboard_counts_and_links(uhr, app, client, auth, ordnungsamt):
    """Two Hundesteuer forms (two ids) 20 days ago, a Gewerbeanmeldung 2 days ago; one closed after 20 days."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    uhr.jetzt = UHR_START - timedelta(days=20)  # Tuesday 10.11.2026
    a = factories.vorgang(ordnungsamt, "Hundesteuer-Anmeldung", formular_id="hundesteuer-anmeldung")
    b = factories.vorgang(ordnungsamt, "Hundesteuer-Anmeldung", formular_id="21/hundesteuer")
    db.session.commit()
    uhr.jetzt = UHR_START - timedelta(days=2)
    factories.vorgang(ordnungsamt, "Gewerbeanmeldung", formular_id="gewerbeanmeldung")
    db.session.commit()
    uhr.jetzt = UHR_START
    aktionen.zuweisen(a, sabine, sabine)
    aktionen.annehmen(a, sabine)
    for _ in range(3):
        aktionen.weiter(a, sabine, aufgabe_offen=False)
    aktionen.zuweisen(b, sabine, sabine)
    db.session.commit()
    assert a.status == "Abgeschlossen"
    auth.login()
    seite = client.get("/uebersicht").get_data(as_text=True)
    eingang = seite[seite.index('id="eingang-titel"') : seite.index('id="offen-titel"')]
    assert _zelle(eingang, "Hundesteuer-Anmeldung") == ["0", "0", "0", "0", "2", "0", "0", "0"]
    assert _zelle(eingang, "Gewerbeanmeldung") == ["0", "0", "0", "0", "0", "0", "1", "0"]
    assert "formular=Hundesteuer-Anmeldung&amp;von=09.11.2026&amp;bis=15.11.2026" in eingang
    offen = seite[seite.index('id="offen-titel"') : seite.index('id="dauer-titel"')]
    assert _zelle(offen, "Neu") == ["1", "1", "0", "0"]
    assert "status=neu&amp;von=31.10.2026&amp;bis=22.11.2026" in offen
    dauer = seite[seite.index('id="dauer-titel"') : seite.index('id="last-titel"')]
    assert '<th scope="row">Hundesteuer-Anmeldung</th>' in dauer and "20,0 Tage" in dauer
    last = seite[seite.index('id="last-titel"') :]
    assert _zelle(last, "Sabine Berger") == ["1", "0", "0", "0"]
    assert f"bearbeiter={sabine.id}&amp;status=neu" in last
    gefiltert = client.get("/?formular=Hundesteuer-Anmeldung&von=09.11.2026&bis=15.11.2026").get_data(as_text=True)
    assert a.nummer in gefiltert and b.nummer in gefiltert


def test_dashboard_of_a_user_without_data_and_its_menu_link(app, client, auth, ordnungsamt):
    """An empty OE: the page explains instead of failing; the header links to it."""
    auth.login()
    seite = client.get("/uebersicht").get_data(as_text=True)
    assert "Keine Eingänge in diesem Zeitraum." in seite and "Noch keine abgeschlossenen Vorgänge." in seite
    assert 'href="/uebersicht"' in client.get("/").get_data(as_text=True)
