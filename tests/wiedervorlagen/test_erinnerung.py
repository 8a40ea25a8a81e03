"""Reminders: fired once at the due time by e-mail (real SMTP) and in the app; retries; catch-up; digest."""

import email
import email.policy
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app import create_app
from app.auth.models import Benutzer
from app.extensions import db
from app.scheduler import tick
from app.vertretung.service import abwesenheit_eintragen
from app.vorgaenge.models import HistorieEintrag
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage
from app.wiedervorlagen.service import erledigen, wiedervorlage_aendern, wiedervorlage_anlegen
from tests import factories
from tests.conftest import TEST_CONFIG
from tests.wiedervorlagen.conftest import freier_port

#: 30.11.2026 07:00 in Berlin: when a date-only Frist of that day is due (SCHEDULER_ERINNERUNG_UHRZEIT).
FAELLIG = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _tick_um(uhr, zeitpunkt: datetime) -> dict[str, int | None]:
    """Set the clock to `zeitpunkt` and run one scheduler tick."""
    uhr.jetzt = zeitpunkt
    return tick()


def _anzahl(model, *bedingungen) -> int:
    """Rows of a model matching the conditions."""
    return db.session.scalar(select(func.count()).select_from(model).where(*bedingungen))


def test_reminder_fires_once_at_the_due_time_by_mail_and_in_the_app(uhr, app, client, auth, akte, smtp):
    """Before the Frist nothing happens; at 07:00 of the Frist one mail and one notification; never again."""
    wv = wiedervorlage_anlegen(akte, "Nachweis prüfen", date(2026, 11, 30), beschreibung="Bitte Registerauszug.")
    db.session.commit()

    assert _tick_um(uhr, FAELLIG - timedelta(minutes=1))["wiedervorlagen"] == 0
    assert smtp.nachrichten == []

    ergebnis = _tick_um(uhr, FAELLIG)
    assert (ergebnis["wiedervorlagen"], ergebnis["mailausgang"]) == (1, 1)
    db.session.expire_all()
    assert wv.erinnert_am == FAELLIG and wv.erinnerung_faellig_am is None

    [mail] = smtp.nachrichten
    assert mail.rcpt_tos == ["sabine@example.org"]
    nachricht = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert nachricht["Subject"] == f"Wiedervorlage fällig: {akte.nummer} – Nachweis prüfen"
    body = nachricht.get_content()
    assert akte.nummer in body and "Nachweis prüfen" in body and "Bitte Registerauszug." in body
    assert f"http://127.0.0.1:5000/vorgang/{akte.nummer}#wiedervorlagen" in body

    for spaeter in (FAELLIG, FAELLIG + timedelta(hours=1), FAELLIG + timedelta(days=3)):
        assert _tick_um(uhr, spaeter)["wiedervorlagen"] == 0
    assert len(smtp.nachrichten) == 1
    assert _anzahl(Benachrichtigung) == 1
    assert _anzahl(HistorieEintrag, HistorieEintrag.aktion == "Wiedervorlage fällig") == 1

    auth.login()
    seite = client.get("/benachrichtigungen").get_data(as_text=True)
    assert "Wiedervorlage fällig: Nachweis prüfen" in seite
    assert '<span class="badge">1<span class="visually-hidden"> ungelesen' in seite
    [b] = db.session.scalars(select(Benachrichtigung)).all()
    antwort = client.post(f"/benachrichtigungen/{b.id}/oeffnen")
    assert antwort.headers["Location"].endswith(f"/vorgang/{akte.nummer}#wiedervorlagen")
    assert " ungelesen" not in client.get("/benachrichtigungen").get_data(as_text=True)


def test_finished_or_rescheduled_wiedervorlage_fires_only_on_its_new_frist(uhr, app, akte, smtp):
    """Done before the Frist: no reminder. Frist moved after firing: it fires again on the new date."""
    erledigt = wiedervorlage_anlegen(akte, "Erledigt vorher", date(2026, 11, 30))
    verschoben = wiedervorlage_anlegen(akte, "Verschoben", date(2026, 11, 30))
    db.session.commit()
    erledigen(erledigt, None)
    db.session.commit()
    assert _tick_um(uhr, FAELLIG)["wiedervorlagen"] == 1
    wiedervorlage_aendern(
        verschoben, None, betreff="Verschoben", frist=date(2026, 12, 2), zugewiesen_an=verschoben.zugewiesen_an
    )
    db.session.commit()
    assert _tick_um(uhr, FAELLIG + timedelta(days=1))["wiedervorlagen"] == 0
    assert _tick_um(uhr, FAELLIG + timedelta(days=2))["wiedervorlagen"] == 1
    assert [m.rcpt_tos for m in smtp.nachrichten] == [["sabine@example.org"]] * 2
    assert _anzahl(Benachrichtigung, Benachrichtigung.wiedervorlage_id == erledigt.id) == 0


def test_smtp_down_retries_with_backoff_then_shows_the_mail_to_administrators(uhr, app, client, akte, smtp):
    """Nobody listens on the SMTP port: the reminder still fires in the app, the mail is retried with
    growing waits, and after the last attempt it is listed on /admin/mails; it can be sent again later."""
    from tests.factories import benutzer

    app.config.update(SMTP_PORT=_freier_port(), SCHEDULER_MAIL_MAX_VERSUCHE=3, SCHEDULER_MAIL_BACKOFF_SECONDS=60)
    benutzer("anton", "Anton Richter", ["administration"], [akte.oe])
    wiedervorlage_anlegen(akte, "Mail geht nicht", date(2026, 11, 30))
    wiedervorlage_anlegen(akte, "Zweite Erinnerung", date(2026, 11, 30))
    db.session.commit()

    ergebnis = _tick_um(uhr, FAELLIG)
    assert (ergebnis["wiedervorlagen"], ergebnis["mailausgang"]) == (2, 0)
    assert _anzahl(Benachrichtigung) == 2  # the in-app reminders are not blocked by the broken mail server
    mails = db.session.scalars(select(Mailausgang).order_by(Mailausgang.id)).all()
    assert [(m.status, m.versuche, m.naechster_versuch_am) for m in mails] == [
        ("wartend", 1, FAELLIG + timedelta(seconds=60))
    ] * 2
    assert "Keine Verbindung" in mails[0].letzter_fehler

    assert _tick_um(uhr, FAELLIG + timedelta(seconds=59))["mailausgang"] == 0  # back-off: not yet
    db.session.expire_all()
    assert {m.versuche for m in mails} == {1}
    _tick_um(uhr, FAELLIG + timedelta(seconds=60))
    db.session.expire_all()
    assert {(m.versuche, m.naechster_versuch_am) for m in mails} == {(2, FAELLIG + timedelta(seconds=180))}
    _tick_um(uhr, FAELLIG + timedelta(seconds=180))
    db.session.expire_all()
    assert {(m.status, m.versuche, m.naechster_versuch_am) for m in mails} == {("fehlgeschlagen", 3, None)}
    assert smtp.nachrichten == []

    client.post("/anmelden", data={"login": "anton", "password": "richtig-langes-passwort"})
    seite = client.get("/admin/mails").get_data(as_text=True)
    assert "Mail geht nicht" in seite and "Keine Verbindung" in seite

    # The administrator fixes the server and sends the mail again.
    app.config.update(SMTP_PORT=smtp.port)
    assert client.post(f"/admin/mails/{mails[0].id}/erneut").status_code == 302
    assert _tick_um(uhr, FAELLIG + timedelta(hours=1))["mailausgang"] == 1
    assert len(smtp.nachrichten) == 1
    db.session.expire_all()
    assert (mails[0].status, mails[1].status) == ("gesendet", "fehlgeschlagen")


def test_a_refused_recipient_does_not_block_the_other_mails(uhr, app, akte, smtp):
    """One mail the server refuses is retried alone; the rest of the batch is delivered."""
    from tests.factories import benutzer

    kaputt = benutzer("kaputt", "Karl Kaputt", ["sachbearbeitung"], [akte.oe])
    kaputt.email = "kein-empfaenger"  # the SMTP server refuses an address without domain
    wiedervorlage_anlegen(akte, "an Karl", date(2026, 11, 30), zugewiesen_an=kaputt)
    wiedervorlage_anlegen(akte, "an Sabine", date(2026, 11, 30))
    db.session.commit()
    smtp.verweigert.add("kein-empfaenger")
    ergebnis = _tick_um(uhr, FAELLIG)
    assert (ergebnis["wiedervorlagen"], ergebnis["mailausgang"]) == (2, 1)
    assert [m.rcpt_tos for m in smtp.nachrichten] == [["sabine@example.org"]]
    karl = db.session.scalars(select(Mailausgang).where(Mailausgang.empfaenger == "kein-empfaenger")).one()
    assert (karl.status, karl.versuche) == ("wartend", 1) and karl.letzter_fehler


def test_restart_after_downtime_catches_up_each_missed_reminder_exactly_once(uhr, app, akte, smtp):
    """Reminders due during three days of downtime fire on the first tick of the restarted app, once."""
    for tag in (27, 28, 29, 30):
        wiedervorlage_anlegen(akte, f"Frist am {tag}.", date(2026, 11, tag))
    wiedervorlage_anlegen(akte, "Zukunft", date(2026, 12, 5))
    db.session.commit()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]

    # "Restart" three hours after the due time: fresh apps on the same database (two instances come up at once),
    # each ticking twice.
    uhr.jetzt = FAELLIG + timedelta(hours=3)
    ergebnisse = []
    for _ in range(2):
        neu = create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": uri,
                "INSTANCE_PATH": app.instance_path,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": app.config["SMTP_PORT"],
            }
        )
        with neu.app_context():
            ergebnisse += [tick()["wiedervorlagen"] for _ in range(2)]
            db.session.remove()
            db.engine.dispose()
    assert ergebnisse == [4, 0, 0, 0]
    assert sorted(_betreffe(smtp)) == sorted(f"Frist am {t}." for t in (27, 28, 29, 30))
    assert _anzahl(Wiedervorlage, Wiedervorlage.erinnert_am.is_not(None)) == 4


def test_daily_digest_goes_out_once_per_morning_to_users_who_opted_in(uhr, app, client, auth, akte, smtp):
    """Opt in on the settings page; from 06:30 one digest per day listing overdue and today's Wiedervorlagen."""
    auth.login()
    assert client.post("/einstellungen/digest", data={"digest_aktiv": "y"}).status_code == 302
    wiedervorlage_anlegen(akte, "Alt", date(2026, 11, 25))
    wiedervorlage_anlegen(akte, "Heute", date(2026, 11, 30))
    wiedervorlage_anlegen(akte, "Morgen", date(2026, 12, 1))
    db.session.commit()

    assert _tick_um(uhr, datetime(2026, 11, 30, 5, 0, tzinfo=UTC))["wiedervorlagen-digest"] == 0  # 06:00 local
    assert _tick_um(uhr, datetime(2026, 11, 30, 5, 30, tzinfo=UTC))["wiedervorlagen-digest"] == 1
    assert _tick_um(uhr, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))["wiedervorlagen-digest"] == 0
    digests = [
        n
        for n in (email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp.nachrichten)
        if n["Subject"].startswith("Ihre Wiedervorlagen")
    ]
    [nachricht] = digests  # (the single reminders of the day go out as well, as their own mails)
    assert nachricht["Subject"] == "Ihre Wiedervorlagen am 30.11.2026: 2 fällig"
    body = nachricht.get_content()
    assert "Überfällig (1)" in body and "Heute fällig (1)" in body and "Morgen" not in body

    client.post("/einstellungen/digest", data={})  # opt out
    assert _tick_um(uhr, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))["wiedervorlagen-digest"] == 0


def _betreffe(smtp) -> list[str]:
    """The Betreff of each delivered reminder (from the subject line)."""
    return [
        email.message_from_bytes(m.content, policy=email.policy.default)["Subject"].split(" – ", 1)[1]
        for m in smtp.nachrichten
    ]


def _freier_port() -> int:
    """A port without a server (the SMTP server is "down")."""
    return freier_port()


def test_reminder_reaches_the_deputy_while_the_assignee_is_absent(uhr, app, akte, smtp):
    """Sabine is away 30.11.–01.12. with Paul as deputy: both get the mail and the notification; on 02.12. she is
    back and only she is reminded."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    paul = factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [akte.oe])
    abwesenheit_eintragen(sabine, paul, date(2026, 11, 30), date(2026, 12, 1))
    wiedervorlage_anlegen(akte, "Nachweis prüfen", date(2026, 11, 30), zugewiesen_an=sabine)
    wiedervorlage_anlegen(akte, "Rückruf", date(2026, 12, 2), zugewiesen_an=sabine)
    db.session.commit()

    ergebnis = _tick_um(uhr, FAELLIG)
    assert (ergebnis["wiedervorlagen"], ergebnis["mailausgang"]) == (1, 2)
    an = {tuple(m.rcpt_tos): email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp.nachrichten}
    assert set(an) == {("sabine@example.org",), ("paul@example.org",)}
    fuer_paul = an[("paul@example.org",)]
    assert (
        fuer_paul["Subject"] == f"Wiedervorlage fällig: {akte.nummer} – Nachweis prüfen (Vertretung für Sabine Berger)"
    )
    assert (
        "Guten Tag Paul Weber," in fuer_paul.get_content() and "Vertretung für Sabine Berger" in fuer_paul.get_content()
    )
    assert _anzahl(Benachrichtigung, Benachrichtigung.empfaenger_id == paul.id) == 1
    [notiz] = db.session.scalars(select(HistorieEintrag.notiz).where(HistorieEintrag.aktion == "Wiedervorlage fällig"))
    assert notiz == "Erinnerung an Sabine Berger und an Paul Weber (Vertretung)"

    ergebnis = _tick_um(uhr, FAELLIG + timedelta(days=2))  # 02.12.: back at work
    assert (ergebnis["wiedervorlagen"], ergebnis["mailausgang"]) == (1, 1)
    assert smtp.nachrichten[-1].rcpt_tos == ["sabine@example.org"]
    assert _anzahl(Benachrichtigung, Benachrichtigung.empfaenger_id == paul.id) == 1


def test_digest_of_a_deputy_lists_the_absent_colleagues_wiedervorlagen(uhr, app, akte, smtp):
    """Paul deputises for Sabine on 30.11.: his digest lists her due Wiedervorlage, marked with her name."""
    sabine = db.session.scalars(select(Benutzer).filter_by(login="sabine")).one()
    paul = factories.benutzer("paul", "Paul Weber", ["sachbearbeitung"], [akte.oe])
    paul.digest_aktiv = True
    abwesenheit_eintragen(sabine, paul, date(2026, 11, 30), date(2026, 11, 30))
    wiedervorlage_anlegen(akte, "Nachweis prüfen", date(2026, 11, 29), zugewiesen_an=sabine)
    db.session.commit()
    assert _tick_um(uhr, datetime(2026, 11, 30, 5, 30, tzinfo=UTC))["wiedervorlagen-digest"] == 1
    [digest] = db.session.scalars(select(Mailausgang).where(Mailausgang.art == "digest"))
    assert digest.empfaenger == "paul@example.org"
    assert "Nachweis prüfen  (Vertretung für Sabine Berger)" in digest.text
