"""Case actions from the detail page: each writes Historie, respects roles and OE, uses the status table."""

import re

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from app.signale import vorgang_verworfen
from app.vorgaenge import aktionen
from app.vorgaenge.models import HistorieEintrag, Vorgang
from tests import factories


def _benutzer(login):
    """The Benutzer with this login."""
    return db.session.scalars(select(Benutzer).where(Benutzer.login == login)).one()


def _aktionen_im_protokoll(vorgang):
    """The Historie actions of a Vorgang, oldest first."""
    return [
        e.aktion
        for e in db.session.scalars(
            select(HistorieEintrag).where(HistorieEintrag.vorgang_id == vorgang.id).order_by(HistorieEintrag.id)
        )
    ]


def test_caseworker_takes_accepts_and_sets_a_generated_aktenzeichen(app, client, auth, ordnungsamt):
    """Übernehmen, annehmen, Aktenzeichen from the OE pattern: all via the page, all in the Historie."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    url = f"/vorgang/{v.nummer}"
    assert client.post(f"{url}/aktion/uebernehmen").status_code == 302
    assert client.post(f"{url}/aktion/annehmen").status_code == 302
    antwort = client.post(f"{url}/aktion/aktenzeichen", data={"az-art": "erzeugen"}, follow_redirects=True)
    seite = antwort.get_data(as_text=True)
    assert re.search(r"197008-\d{4}-00001", seite)
    db.session.expire_all()
    v = db.session.get(Vorgang, v.id)
    assert v.status == "Angenommen" and v.bearbeiter.login == "sabine"
    assert _aktionen_im_protokoll(v)[-3:] == ["Zuweisung geändert", "Status geändert", "Aktenzeichen gesetzt"]
    assert "Status: Neu → Angenommen" in seite


def test_generated_aktenzeichen_count_up_and_skip_numbers_typed_by_hand(uhr, app, ordnungsamt):
    """The counter per OE and year never hands out a number twice, even one someone typed in."""
    sabine = _benutzer("sabine")
    erster, zweiter, dritter = (factories.vorgang(ordnungsamt) for _ in range(3))
    jahr = uhr.jetzt.year
    assert aktionen.aktenzeichen_setzen(erster, sabine) == f"197008-{jahr}-00001"
    aktionen.aktenzeichen_setzen(zweiter, sabine, f"197008-{jahr}-00002")
    assert aktionen.aktenzeichen_setzen(dritter, sabine) == f"197008-{jahr}-00003"


def test_free_text_aktenzeichen_needs_a_value_and_shows_a_linked_error(app, client, auth, ordnungsamt):
    """ "Selbst eingeben" without text re-shows the page with an error summary linked to the field."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    antwort = client.post(f"/vorgang/{v.nummer}/aktion/aktenzeichen", data={"az-art": "frei", "az-aktenzeichen": ""})
    seite = antwort.get_data(as_text=True)
    assert antwort.status_code == 422
    assert 'href="#az-aktenzeichen"' in seite and 'aria-invalid="true"' in seite
    client.post(f"/vorgang/{v.nummer}/aktion/aktenzeichen", data={"az-art": "frei", "az-aktenzeichen": "OA 12/26"})
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).aktenzeichen == "OA 12/26"


def test_only_team_leads_reassign_a_vorgang_someone_else_holds(app, client, auth, ordnungsamt):
    """A caseworker cannot take a colleague's Vorgang; the team lead can hand it to anyone of the OE."""
    lars = factories.benutzer("lars", "Lars Krüger", ["sachbearbeitung"], [ordnungsamt])
    factories.benutzer("vera", "Vera Lindner", ["leitung"], [ordnungsamt])
    v = factories.vorgang(ordnungsamt)
    aktionen.zuweisen(v, lars, lars)
    db.session.commit()
    auth.login()
    antwort = client.post(f"/vorgang/{v.nummer}/aktion/uebernehmen", follow_redirects=True)
    assert "Nur die Leitung kann ihn umverteilen" in antwort.get_data(as_text=True)
    auth.logout()
    auth.login("vera")
    sabine = _benutzer("sabine")
    client.post(f"/vorgang/{v.nummer}/aktion/zuweisen", data={"zuweisen-an": str(sabine.id)})
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).bearbeiter_id == sabine.id


def test_process_designer_cannot_act_on_vorgaenge(app, client, auth, ordnungsamt):
    """Roles: Verfahrensdesign sees but does not act."""
    factories.benutzer("pia", "Pia Design", ["verfahrensdesign"], [ordnungsamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login("pia")
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Vorgang übernehmen" not in seite
    antwort = client.post(f"/vorgang/{v.nummer}/aktion/uebernehmen", follow_redirects=True)
    assert "fehlt Ihnen die Berechtigung" in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).bearbeiter_id is None


def test_comment_and_applicant_text_are_escaped(app, client, auth, ordnungsamt):
    """Applicant-supplied and typed text never becomes markup."""
    boese = "<script>alert(1)</script>"
    daten = [{"name": "x", "label": "<b>Label</b>", "typ": "string", "wert": boese, "kinder": []}]
    v = factories.vorgang(ordnungsamt, antragsteller_name=boese, formulardaten=daten, antragsteller={"vorname": boese})
    db.session.commit()
    auth.login()
    client.post(f"/vorgang/{v.nummer}/aktion/kommentar", data={"kommentar-text": boese})
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "<script>alert" not in seite and "<b>Label" not in seite
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seite
    assert "Kommentar hinzugefügt" in seite
    assert "script-src 'self'" in client.get("/").headers["Content-Security-Policy"]


def test_forwarding_moves_the_vorgang_to_the_other_oe(app, client, auth, ordnungsamt):
    """After Weiterleitung the Vorgang belongs to the other OE, unassigned, and the Historie says so."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    bernd = factories.benutzer("bernd", "Bernd Bau", ["sachbearbeitung"], [bauamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    client.post(f"/vorgang/{v.nummer}/aktion/uebernehmen")
    client.post(
        f"/vorgang/{v.nummer}/aktion/weiterleiten",
        data={"weiterleiten-ziel": str(bauamt.id), "weiterleiten-notiz": "Zuständig ist das Bauamt"},
    )
    assert client.get(f"/vorgang/{v.nummer}").status_code == 404
    db.session.expire_all()
    v = db.session.get(Vorgang, v.id)
    assert v.oe_id == bauamt.id and v.bearbeiter_id is None and v.status == "Neu"
    assert "Weitergeleitet an Organisationseinheit" in _aktionen_im_protokoll(v)
    assert bernd.id  # a member of the Bauamt now sees it
    auth.logout()
    auth.login("bernd")
    assert client.get(f"/vorgang/{v.nummer}").status_code == 200


def test_deletion_needs_a_second_person(app, client, auth, ordnungsamt):
    """Löschen beantragen → Zu Löschen; the requester cannot confirm, a colleague can; rejecting restores."""
    factories.benutzer("vera", "Vera Lindner", ["leitung"], [ordnungsamt])
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    url = f"/vorgang/{v.nummer}/aktion"
    assert client.post(f"{url}/verwerfen", data={"verwerfen-begruendung": ""}).status_code == 422
    client.post(f"{url}/verwerfen", data={"verwerfen-begruendung": "Doppelt eingereicht"})
    client.post(f"{url}/loeschen_beantragen", data={"loeschen_beantragen-begruendung": "Dublette"})
    antwort = client.post(f"{url}/loeschung_bestaetigen", data={"loeschen-bestaetigt": "y"}, follow_redirects=True)
    assert "zweite Person" in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Zu Löschen"
    auth.logout()
    auth.login("vera")
    client.post(f"{url}/loeschung_ablehnen", data={"loeschung_ablehnen-begruendung": "Aufbewahrungsfrist"})
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Verworfen"
    auth.logout()
    auth.login()
    client.post(f"{url}/loeschen_beantragen", data={"loeschen_beantragen-begruendung": "Jetzt aber"})
    auth.logout()
    auth.login("vera")
    antwort = client.post(f"{url}/loeschung_bestaetigen", data={"loeschen-bestaetigt": "y"}, follow_redirects=True)
    assert f"Vorgang {v.nummer} wurde gelöscht" in antwort.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id) is None


def test_reopening_a_rejected_vorgang_makes_it_new_again(app, client, auth, ordnungsamt):
    """Wiedereröffnen: Verworfen → Neu (Abgeschlossen → In Bearbeitung), with Historie."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    client.post(f"/vorgang/{v.nummer}/aktion/verwerfen", data={"verwerfen-begruendung": "Irrtum"})
    client.post(f"/vorgang/{v.nummer}/aktion/wiedereroeffnen", data={"wiedereroeffnen-begruendung": ""})
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Neu"
    assert _aktionen_im_protokoll(v).count("Status geändert") == 2


def test_verwerfen_tells_the_slices_above_with_the_reason(app, ordnungsamt):
    """Verwerfen sends `vorgang_verworfen` (the engine cancels the procedure on it), after the status changed."""
    sabine = _benutzer("sabine")
    v = factories.vorgang(ordnungsamt)
    empfangen = []

    def merken(vorgang, **kwargs):
        empfangen.append((vorgang.status, kwargs))

    with vorgang_verworfen.connected_to(merken):
        aktionen.verwerfen(v, sabine, "  Doppelt eingereicht ")
    assert empfangen == [("Verworfen", {"benutzer": sabine, "grund": "Doppelt eingereicht"})]


def test_two_people_generating_aktenzeichen_at_once_never_get_the_same_number(app, ordnungsamt):
    """Collision-safe counter: concurrent transactions (PostgreSQL row lock) draw distinct running numbers."""
    import threading

    import pytest

    from app.database import is_postgres
    from app.organisation.models import Organisationseinheit

    if not is_postgres():
        pytest.skip("SQLite serialises writers; the row lock matters on PostgreSQL")
    ergebnisse: list[str] = []
    fehler: list[BaseException] = []
    start = threading.Barrier(4)
    oe_id = ordnungsamt.id  # read here: the fixture's object belongs to this thread's session

    def ziehen():
        try:
            with app.app_context():
                start.wait()
                for _ in range(10):
                    oe = db.session.get(Organisationseinheit, oe_id)
                    ergebnisse.append(aktionen.aktenzeichen_erzeugen(oe))
                    db.session.commit()
                db.session.remove()
        except Exception as e:  # reported by the assertion below
            fehler.append(e)

    threads = [threading.Thread(target=ziehen) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fehler == []
    assert len(ergebnisse) == 40 and len(set(ergebnisse)) == 40


def test_reopened_vorgang_without_open_procedure_task_can_be_worked_to_abgeschlossen(app, client, auth, ordnungsamt):
    """After wiedereröffnen the procedure has ended; "weiter" moves the case on step by step, with Historie."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    url = f"/vorgang/{v.nummer}"
    client.post(f"{url}/aktion/annehmen")
    for erwartet in ("In Bearbeitung", "Beschieden", "Abgeschlossen"):
        seite = client.post(f"{url}/aktion/weiter", follow_redirects=True).get_data(as_text=True)
        assert f"Der Vorgang ist jetzt „{erwartet}“." in seite
    client.post(f"{url}/aktion/wiedereroeffnen", data={"wiedereroeffnen-begruendung": "Widerspruch"})
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "In Bearbeitung"
    assert "Als beschieden markieren" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/aktion/weiter")
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Beschieden"


def test_weiter_is_refused_while_the_procedure_has_an_open_task(app, client, auth, ordnungsamt):
    """While a procedure step is open, the procedure decides the status, not the button."""
    from app.config import ROOT
    from app.engine.registry import deploy_pfad
    from app.engine.runner import start

    deploy_pfad(ROOT / "processes", von="Test")
    v = factories.vorgang(ordnungsamt, formular_id="unbekannt")
    start(v)
    db.session.commit()
    auth.login()
    assert "In Bearbeitung nehmen" not in client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    antwort = client.post(f"/vorgang/{v.nummer}/aktion/weiter", follow_redirects=True)
    assert "durch die offenen Aufgaben des Verfahrens bestimmt" in antwort.get_data(as_text=True)
