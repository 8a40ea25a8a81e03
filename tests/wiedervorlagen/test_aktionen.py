"""Caseworkers create, edit, finish and reopen Wiedervorlagen; every step is in the Historie; OEs stay apart."""

from datetime import date, time

from sqlalchemy import select

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from app.wiedervorlagen.models import Wiedervorlage
from app.wiedervorlagen.service import (
    faellige_anzahl,
    naechste_fristen,
    wiedervorlage_anlegen,
    wiedervorlagen_fuer_vorgang,
)
from tests.factories import benutzer, oe, vorgang


def _aktionen(vorgang_id: int) -> list[str]:
    """The Historie actions of a Vorgang, in order."""
    return list(
        db.session.scalars(
            select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == vorgang_id).order_by(HistorieEintrag.id)
        )
    )


def test_caseworker_creates_edits_finishes_and_reopens_a_wiedervorlage_with_historie(uhr, client, auth, akte):
    """The whole life of a Wiedervorlage through the browser forms; each step writes one Historie entry."""
    auth.login()
    antwort = client.post(
        f"/wiedervorlagen/neu/{akte.nummer}",
        data={
            "betreff": "Nachweis anfordern",
            "frist": "2026-12-03",
            "uhrzeit": "",
            "zugewiesen_an": "0",
            "beschreibung": "Gewerbezentralregister",
        },
    )
    assert antwort.status_code == 302
    wv = db.session.scalars(select(Wiedervorlage)).one()
    assert (wv.betreff, wv.frist, wv.frist_uhrzeit, wv.status) == (
        "Nachweis anfordern",
        date(2026, 12, 3),
        None,
        "offen",
    )
    assert wv.zugewiesen_an_id is None  # "niemand" chosen explicitly
    assert wv.erstellt_von.login == "sabine"

    sabine = db.session.scalars(select(Benutzer).where(Benutzer.login == "sabine")).one()
    antwort = client.post(
        f"/wiedervorlagen/{wv.id}/bearbeiten",
        data={
            "betreff": "Nachweis anfordern",
            "frist": "2026-12-04",
            "uhrzeit": "09:30",
            "zugewiesen_an": str(sabine.id),
            "beschreibung": "",
        },
    )
    assert antwort.status_code == 302
    db.session.expire_all()
    assert (wv.frist, wv.frist_uhrzeit, wv.zugewiesen_an_id) == (date(2026, 12, 4), time(9, 30), sabine.id)
    assert wv.erinnerung_faellig_am is not None

    assert client.post(f"/wiedervorlagen/{wv.id}/erledigen").status_code == 302
    db.session.expire_all()
    assert (wv.status, wv.erledigt_von_id, wv.erinnerung_faellig_am) == ("erledigt", sabine.id, None)
    assert wv.erledigt_am is not None

    assert client.post(f"/wiedervorlagen/{wv.id}/wiedereroeffnen").status_code == 302
    db.session.expire_all()
    assert (wv.status, wv.erledigt_am) == ("offen", None)
    assert wv.erinnerung_faellig_am == wv.faellig_am  # never fired, so it is scheduled again

    assert _aktionen(akte.id)[-4:] == [
        "Wiedervorlage angelegt",
        "Wiedervorlage geändert",
        "Wiedervorlage erledigt",
        "Wiedervorlage wiedereröffnet",
    ]
    geaendert = db.session.scalars(
        select(HistorieEintrag).where(HistorieEintrag.aktion == "Wiedervorlage geändert")
    ).one()
    assert geaendert.benutzer_id == sabine.id
    assert (geaendert.vorher["frist"], geaendert.nachher["frist"]) == ("2026-12-03", "2026-12-04")
    assert geaendert.nachher["uhrzeit"] == "09:30"


def test_wiedervorlage_defaults_to_the_vorgangs_sachbearbeiter_and_shows_on_the_vorgang(app, client, auth, akte):
    """Created from the procedure (no user), it is assigned to the Sachbearbeiter; the section lists it."""
    wv = wiedervorlage_anlegen(akte, "Frist Stellungnahme", date(2026, 12, 10))
    db.session.commit()
    assert wv.zugewiesen_an.login == "sabine"
    assert wv.herkunft == "prozess"
    assert wiedervorlagen_fuer_vorgang(akte) == [wv]
    auth.login()
    html = app.jinja_env.get_template("wiedervorlagen/_abschnitt.html")
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(wv.zugewiesen_an)
        seite = html.render(vorgang=akte, wiedervorlagen=wiedervorlagen_fuer_vorgang(akte))
    assert "Frist Stellungnahme" in seite and "10.12.2026" in seite


def test_invalid_form_is_refused_with_a_message(client, auth, akte):
    """No Betreff and no date: 400 with German error messages, nothing stored."""
    auth.login()
    antwort = client.post(
        f"/wiedervorlagen/neu/{akte.nummer}", data={"betreff": "", "frist": "morgen", "zugewiesen_an": "0"}
    )
    assert antwort.status_code == 400
    text = antwort.get_data(as_text=True)
    assert "Bitte geben Sie einen Betreff an." in text and "Datum im Format TT.MM.JJJJ" in text
    assert db.session.scalars(select(Wiedervorlage)).all() == []


def test_list_shows_only_wiedervorlagen_of_the_users_oes(client, auth, akte, ordnungsamt):
    """A Wiedervorlage of another OE is neither listed nor reachable; filters by person and OE work."""
    bauamt = oe("Bauamt", "197009", "31006")
    bernd = benutzer("bernd", "Bernd Bauer", ["sachbearbeitung"], [bauamt])
    fremd = vorgang(bauamt)
    fremd.bearbeiter_id = bernd.id
    eigene = wiedervorlage_anlegen(akte, "Eigene Wiedervorlage", date(2026, 11, 1))
    fremde = wiedervorlage_anlegen(fremd, "Fremde Wiedervorlage", date(2026, 11, 1))
    db.session.commit()

    auth.login()
    for url in ("/wiedervorlagen?person=alle", f"/wiedervorlagen?person={bernd.id}", "/wiedervorlagen"):
        text = client.get(url).get_data(as_text=True)
        assert "Fremde Wiedervorlage" not in text, url
    assert "Eigene Wiedervorlage" in client.get("/wiedervorlagen").get_data(as_text=True)
    assert "Eigene Wiedervorlage" in client.get(f"/wiedervorlagen?person=alle&oe={ordnungsamt.id}").get_data(
        as_text=True
    )
    # An OE the user does not belong to is ignored as a filter, never widening what is visible.
    assert "Fremde Wiedervorlage" not in client.get(f"/wiedervorlagen?person=alle&oe={bauamt.id}").get_data(
        as_text=True
    )
    assert client.get(f"/wiedervorlagen/{fremde.id}/bearbeiten").status_code == 404
    assert client.post(f"/wiedervorlagen/{fremde.id}/erledigen").status_code == 404
    assert client.get(f"/wiedervorlagen/neu/{fremd.nummer}").status_code == 404
    db.session.expire_all()
    assert fremde.status == "offen" and eigene.status == "offen"


def test_menu_badge_counts_due_and_overdue_and_list_column_gets_next_frist(uhr, client, auth, akte):
    """Badge: open, assigned to me, Frist today or earlier. Next Frist per Vorgang in one query."""
    wiedervorlage_anlegen(akte, "überfällig", date(2026, 11, 20))
    wiedervorlage_anlegen(akte, "heute", date(2026, 11, 30))
    wiedervorlage_anlegen(akte, "später", date(2026, 12, 24))
    erledigt = wiedervorlage_anlegen(akte, "erledigt", date(2026, 11, 2))
    erledigt.status = "erledigt"
    db.session.commit()
    sabine = akte.bearbeiter
    assert faellige_anzahl(sabine) == 2
    assert naechste_fristen([akte.id, 999_999]) == {akte.id: date(2026, 11, 20)}
    auth.login()
    text = client.get("/wiedervorlagen").get_data(as_text=True)
    assert '<span class="badge" title="fällig oder überfällig">2<' in text
    assert text.index("überfällig</td>") < text.index("heute</td>") < text.index("später</td>")


def test_mail_outbox_page_is_for_administrators_only(client, auth, akte):
    """A caseworker gets 403 on /admin/mails and cannot requeue mails."""
    auth.login()
    assert client.get("/admin/mails").status_code == 403
    assert client.post("/admin/mails/1/erneut").status_code == 403


def test_procedure_deadlines_at_local_midnight_count_as_dates_and_times_are_kept(app, akte):
    """The engine passes datetimes: midnight Berlin → date-only Frist (fires 07:00); 14:30 UTC → 15:30 local."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    mitternacht = datetime(2026, 12, 3, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    nur_datum = wiedervorlage_anlegen(akte, "Datum", mitternacht)
    mit_zeit = wiedervorlage_anlegen(akte, "Zeit", datetime(2026, 12, 3, 14, 30, tzinfo=UTC))
    assert (nur_datum.frist, nur_datum.frist_uhrzeit, nur_datum.herkunft) == (date(2026, 12, 3), None, "prozess")
    assert nur_datum.faellig_am == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert (mit_zeit.frist, mit_zeit.frist_uhrzeit) == (date(2026, 12, 3), time(15, 30))
