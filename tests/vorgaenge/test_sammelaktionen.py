"""Bulk actions on the Vorgangsliste: claim, assign, Wiedervorlage, forward — one summary (issue 17, item 12)."""

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge import aktionen
from app.vorgaenge.models import Vorgang
from app.wiedervorlagen.models import Wiedervorlage
from tests import factories


def _person(login: str) -> Benutzer:
    """A user by login."""
    return db.session.scalars(select(Benutzer).filter_by(login=login)).one()


def _nachrichten(antwort) -> str:
    """The page text after following the redirect."""
    return antwort.get_data(as_text=True)


def test_claiming_several_reports_what_worked_and_what_was_refused(app, client, auth, ordnungsamt):
    """Two free Vorgänge are claimed; one held by Paul is refused with the reason; an unknown number too."""
    paul = factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    a, b, c = (factories.vorgang(ordnungsamt) for _ in range(3))
    aktionen.zuweisen(c, paul, paul)
    db.session.commit()
    auth.login()
    seite = client.get("/").get_data(as_text=True)
    assert f'name="nummer" value="{a.nummer}"' in seite and "Ausgewählte Vorgänge bearbeiten" in seite
    antwort = client.post(
        "/sammelaktion",
        data={"aktion": "uebernehmen", "nummer": [a.nummer, b.nummer, c.nummer, "31005-XXXXXX"], "zurueck": "/"},
        follow_redirects=True,
    )
    text = _nachrichten(antwort)
    assert "2 Vorgänge übernommen." in text
    assert f"Nicht möglich bei 2: {c.nummer} – " in text and "31005-XXXXXX – Vorgang nicht gefunden." in text
    db.session.expire_all()
    sabine = _person("sabine")
    assert [db.session.get(Vorgang, v.id).bearbeiter_id for v in (a, b, c)] == [sabine.id, sabine.id, paul.id]


def test_bulk_wiedervorlage_assign_and_forward(uhr, app, client, auth, ordnungsamt):
    """A Leitung sets a Wiedervorlage on two, assigns them to Paul, forwards one to the Bauamt."""
    factories.benutzer("lea", "Lea Leitung", ["leitung"], [ordnungsamt])
    paul = factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [ordnungsamt])
    bauamt = factories.oe("Bauamt", "197009", "31006")
    a, b = factories.vorgang(ordnungsamt), factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login("lea")
    nummern = [a.nummer, b.nummer]
    text = _nachrichten(
        client.post(
            "/sammelaktion",
            data={"aktion": "wiedervorlage", "nummer": nummern, "betreff": "Nachfassen", "frist": "07.12.2026"},
            follow_redirects=True,
        )
    )
    assert "2 Vorgänge mit Wiedervorlage versehen." in text
    assert len(db.session.scalars(select(Wiedervorlage).where(Wiedervorlage.betreff == "Nachfassen")).all()) == 2
    vergangen = client.post(
        "/sammelaktion",
        data={"aktion": "wiedervorlage", "nummer": nummern, "betreff": "x", "frist": "01.11.2026"},
        follow_redirects=True,
    )
    assert "Die Frist 01.11.2026 liegt in der Vergangenheit." in _nachrichten(vergangen)
    text = _nachrichten(
        client.post(
            "/sammelaktion", data={"aktion": "zuweisen", "nummer": nummern, "an": paul.id}, follow_redirects=True
        )
    )
    assert "2 Vorgänge zugewiesen." in text
    text = _nachrichten(
        client.post(
            "/sammelaktion",
            data={"aktion": "weiterleiten", "nummer": [a.nummer], "ziel": bauamt.id},
            follow_redirects=True,
        )
    )
    assert "1 Vorgang weitergeleitet." in text
    db.session.expire_all()
    assert db.session.get(Vorgang, a.id).oe_id == bauamt.id and db.session.get(Vorgang, b.id).bearbeiter_id == paul.id


def test_bulk_action_without_selection_or_with_nonsense_input_explains_itself(app, client, auth, ordnungsamt):
    """Nothing selected, an unknown action, a missing person: a message, never a 500."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    for daten in (
        {"aktion": "uebernehmen"},
        {"aktion": "sprengen", "nummer": v.nummer},
        {"aktion": "zuweisen", "nummer": v.nummer, "an": "abc"},
        {"aktion": "wiedervorlage", "nummer": v.nummer, "betreff": "x", "frist": "31.02.2026"},
        {"aktion": "uebernehmen", "nummer": v.nummer, "zurueck": "//boese.example/"},
        {"aktion": "uebernehmen", "nummer": v.nummer, "zurueck": "/\\boese.example/"},
    ):
        antwort = client.post("/sammelaktion", data=daten)
        assert antwort.status_code == 302 and antwort.headers["Location"] in ("/", "http://localhost/")
