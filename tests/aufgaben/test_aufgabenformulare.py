"""Task forms rendered from BPMN form fields: types, defaults, server-side validation, conflicts, the full path."""

import re
from datetime import date

from sqlalchemy import select

from app.aufgaben.formular import aufgabenformular
from app.engine.aufgaben import offene_aufgaben
from app.engine.formular import Formularfeld, pruefen
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag, Vorgang
from tests.aufgaben.conftest import vorgang_mit_verfahren


def _offen(vorgang):
    """The open tasks of a Vorgang."""
    return offene_aufgaben(vorgang=vorgang)


def test_fields_of_every_type_become_labelled_inputs_with_constraints(app):
    """string/long/boolean/date/enum, defaults and constraints map to the right WTForms fields and inputs."""
    felder = [
        Formularfeld("name", "Name", "string", pflicht=True, minlength=2, maxlength=50),
        Formularfeld("anzahl", "Anzahl", "long", min=1, max=9, vorgabe="3"),
        Formularfeld("ok", "In Ordnung", "boolean", vorgabe="true"),
        Formularfeld("tag", "Termin", "date", vorgabe="2026-12-24"),
        Formularfeld("art", "Art", "enum", werte=[("a", "Alpha"), ("b", "Beta")], vorgabe="b"),
        Formularfeld("nr", "Nummer", "string", readonly=True, vorgabe="X-1"),
    ]
    form = aufgabenformular("1234-abcd", felder)
    name = form["name"]()
    assert 'minlength="2"' in name and 'maxlength="50"' in name and "required" in name
    assert form["name"].id == "aufgabe-1234abcd-name" and form["name"].description == "2 bis 50 Zeichen"
    assert 'type="number"' in form["anzahl"]() and 'value="3"' in form["anzahl"]() and 'max="9"' in form["anzahl"]()
    assert form["ok"].type == "RadioField" and form["ok"].data == "true"
    assert 'type="text"' in form["tag"]() and 'value="24.12.2026"' in form["tag"]()
    assert [wert for wert, _ in form["art"].choices] == ["", "a", "b"] and form["art"].data == "b"
    assert form["nr"].render_kw == {"readonly": True}


def test_every_type_is_checked_with_german_messages(app):
    """Submitted strings become typed values; wrong ones get one German message per field, nothing else."""
    felder = [
        Formularfeld("name", "Name", "string", pflicht=True, maxlength=5),
        Formularfeld("anzahl", "Anzahl", "long", min=1, max=9),
        Formularfeld("ok", "In Ordnung", "boolean"),
        Formularfeld("tag", "Termin", "date"),
        Formularfeld("art", "Art", "enum", werte=[("a", "Alpha")]),
        Formularfeld("data", "Daten", "string"),
        Formularfeld("nr", "Nummer", "string", readonly=True),
    ]
    daten = {"name": "Müller", "anzahl": "0", "ok": "vielleicht", "tag": "32.13.2026", "art": "z", "nr": "neu"}
    werte, fehler = pruefen(felder, daten, {"nr": "alt"})
    assert fehler == {
        "name": "Höchstens 5 Zeichen.",
        "anzahl": "Mindestens 1.",
        "ok": "Ungültige Auswahl: Konnte nicht umwandeln.",
        "tag": "32.13.2026 ist kein gültiges Datum.",
        "art": "Keine gültige Auswahl.",
    }
    assert werte == {"data": None, "nr": "alt"}
    daten = {"name": "Ute", "anzahl": "9", "ok": "true", "tag": "1.2.2026", "art": "a", "data": "x"}
    werte, fehler = pruefen(felder, daten)
    assert fehler == {}
    assert werte == {"name": "Ute", "anzahl": 9, "ok": True, "tag": date(2026, 2, 1), "art": "a", "data": "x"}
    assert pruefen(felder, {"name": "  "})[1] == {"name": "„Name“ ist ein Pflichtfeld."}


def test_detail_page_shows_the_open_task_form_from_the_procedure(app, client, auth, ordnungsamt, verfahren):
    """The first task of the general procedure, with its enum choices and required marker, on the detail page."""
    v = vorgang_mit_verfahren(ordnungsamt)
    auth.login()
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Antrag prüfen" in seite
    assert '<option value="annehmen"' in seite and "Verwerfen</option>" in seite
    assert "(Pflichtfeld)" in seite
    assert "Vorgang annehmen" not in seite  # the procedure models accepting: no separate case action


def test_invalid_input_shows_german_errors_per_field_with_a_linked_summary(app, client, auth, ordnungsamt, verfahren):
    """Server-side validation; nothing saved; the typed values come back."""
    v = vorgang_mit_verfahren(ordnungsamt)
    [aufgabe] = _offen(v)
    auth.login()
    antwort = client.post(
        f"/vorgang/{v.nummer}/aufgabe/{aufgabe.task_id}", data={"entscheidung": "", "begruendung": "meine Notiz"}
    )
    seite = antwort.get_data(as_text=True)
    assert antwort.status_code == 422
    assert "ist ein Pflichtfeld" in seite
    feld_id = re.search(r'id="(aufgabe-[a-z0-9]+-entscheidung)"', seite).group(1)
    assert f'href="#{feld_id}"' in seite and 'aria-invalid="true"' in seite
    assert "meine Notiz" in seite
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Neu"


def test_completing_the_tasks_moves_the_vorgang_to_abgeschlossen(app, client, auth, ordnungsamt, verfahren):
    """The whole general procedure through the task forms; the Historie records each task."""
    v = vorgang_mit_verfahren(ordnungsamt)
    auth.login()
    # The procedure decides the statuses between the steps; the path must end in Abgeschlossen via Beschieden.
    schritte = [
        ("antrag_pruefen", {"entscheidung": "annehmen"}),
        ("bearbeiten", {"ergebnis": "stattgeben", "vermerk": "vollständig"}),
        ("bescheiden", {"bescheid_datum": "24.12.2026", "bescheid_text": "Dem Antrag wird stattgegeben."}),
        ("abschliessen", {"zugestellt": "true"}),
    ]
    gesehen = []
    for element_id, daten in schritte:
        [aufgabe] = _offen(v)
        assert aufgabe.element_id == element_id
        antwort = client.post(f"/vorgang/{v.nummer}/aufgabe/{aufgabe.task_id}", data=daten)
        assert antwort.status_code == 302, antwort.get_data(as_text=True)[:2000]
        db.session.expire_all()
        gesehen.append(db.session.get(Vorgang, v.id).status)
    assert gesehen[0] in ("Angenommen", "In Bearbeitung")
    assert gesehen[-2:] == ["Beschieden", "Abgeschlossen"]
    aktionen = db.session.scalars(select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == v.id)).all()
    assert aktionen.count("Aufgabe erledigt") == 4
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Keine offenen Aufgaben" in seite and "Abgeschlossen" in seite


def test_a_task_completed_by_someone_else_gives_a_conflict_page_that_keeps_the_input(
    app, client, auth, ordnungsamt, verfahren
):
    """Two people submit the same task: the second sees a clear message and what they typed."""
    v = vorgang_mit_verfahren(ordnungsamt)
    [aufgabe] = _offen(v)
    auth.login()
    assert (
        client.post(f"/vorgang/{v.nummer}/aufgabe/{aufgabe.task_id}", data={"entscheidung": "annehmen"}).status_code
        == 302
    )
    antwort = client.post(
        f"/vorgang/{v.nummer}/aufgabe/{aufgabe.task_id}",
        data={"entscheidung": "verwerfen", "begruendung": "Mein langer Vermerk"},
    )
    seite = antwort.get_data(as_text=True)
    assert antwort.status_code == 409
    assert "nicht mehr offen" in seite
    assert "Mein langer Vermerk" in seite


def test_task_inbox_lists_tasks_of_my_oe_only(app, client, auth, ordnungsamt, verfahren):
    """ "Meine Aufgaben" shows open tasks I may complete, with a link to the form page."""
    from tests import factories

    bauamt = factories.oe("Bauamt", "197009", "31006")
    eigen = vorgang_mit_verfahren(ordnungsamt)
    fremd = vorgang_mit_verfahren(bauamt)
    auth.login()
    seite = client.get("/aufgaben?teil=offen").get_data(as_text=True)  # nobody works on it yet
    assert eigen.nummer in seite and fremd.nummer not in seite
    [aufgabe] = _offen(eigen)
    formular = client.get(f"/vorgang/{eigen.nummer}/aufgabe/{aufgabe.task_id}")
    assert formular.status_code == 200 and "Aufgabe erledigen" in formular.get_data(as_text=True)
    assert client.get(f"/vorgang/{fremd.nummer}/aufgabe/{aufgabe.task_id}").status_code == 404


def test_diagram_data_marks_the_current_task(app, client, auth, ordnungsamt, verfahren):
    """The viewer's JSON: the BPMN XML and the active element."""
    v = vorgang_mit_verfahren(ordnungsamt)
    auth.login()
    daten = client.get(f"/vorgang/{v.nummer}/diagramm.json").get_json()
    assert "<bpmn:definitions" in daten["xml"] or "definitions" in daten["xml"]
    assert "antrag_pruefen" in daten["aktiv"]
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert 'id="diagramm"' in seite and "bpmn-navigated-viewer" in seite


def test_a_task_for_another_role_is_shown_without_a_form(app, client, auth, ordnungsamt, verfahren):
    """The team lead sees the caseworkers' open task as information, not as a form they cannot submit."""
    from tests import factories

    factories.benutzer("vera", "Vera Lindner", ["leitung"], [ordnungsamt])
    v = vorgang_mit_verfahren(ordnungsamt)
    auth.login("vera")
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Antrag prüfen" in seite and "erledigt die Rolle Sachbearbeitung" in seite
    assert "Aufgabe erledigen: Antrag prüfen" not in seite


def test_rejecting_a_vorgang_by_case_action_cancels_its_procedure(app, client, auth, ordnungsamt, verfahren):
    """Verwerfen on the detail page also ends the procedure: no open task remains, the Historie says why."""
    v = vorgang_mit_verfahren(ordnungsamt)
    auth.login()
    antwort = client.post(f"/vorgang/{v.nummer}/aktion/verwerfen", data={"verwerfen-begruendung": "Spam"})
    assert antwort.status_code == 302
    db.session.expire_all()
    assert db.session.get(Vorgang, v.id).status == "Verworfen"
    assert _offen(v) == []
    aktionen = db.session.scalars(select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == v.id)).all()
    assert "Verfahren abgebrochen" in aktionen
