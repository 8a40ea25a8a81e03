"""Conformance: a BPMN send task with the built-in service `amtsfluss.nachricht` writes a Nachforderung to the
applicant through the Postfach (outbox, Wiedervorlage at the Frist, Historie), the applicant's reply delivers the
message the receive task waits for; a test run only records it; errors are deploy errors or incidents."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import BEENDET, VORFALL
from app.engine.registry import deploy_xml
from app.engine.validierung import ModellUngueltig
from app.extensions import db
from app.postfach import service
from app.postfach.models import Nachricht
from app.timeutil import heute
from app.vorgaenge.models import HistorieEintrag
from app.werkstatt import probelauf
from app.wiedervorlagen.models import Mailausgang, Wiedervorlage
from tests.engine.conformance.conftest import MODELLE, instanz
from tests.engine.conftest import erledige, neuer_vorgang
from tests.postfach.conftest import ANTRAGSTELLER

MODELL = (MODELLE / "nachricht.bpmn").read_bytes()


@pytest.fixture(autouse=True)
def ohne_eingangsbestaetigung(app):
    """Only the procedure's message is counted."""
    app.config["POSTFACH_EINGANGSBESTAETIGUNG"] = False


def test_send_task_writes_the_nachforderung_and_the_reply_resumes_the_procedure(uhr, amt, sabine, modell):
    """Betreff/text with Vorgang placeholders and `${…}` from the task data, e-mail outbox, Frist → Wiedervorlage;
    the reply quoting the token completes the receive task."""
    v = neuer_vorgang(amt, verfahren_key=modell("nachricht.bpmn"), antragsteller=dict(ANTRAGSTELLER))
    erledige(sabine, v, "pruefen", fehlt="den Lageplan")
    db.session.commit()
    [nachricht] = db.session.scalars(select(Nachricht)).all()
    assert (nachricht.kanal, nachricht.betreff) == ("email", f"Nachforderung zu {v.nummer}")
    assert nachricht.text == "Guten Tag Anna Schäfer, bitte reichen Sie den Lageplan nach."
    assert nachricht.absender == amt.name and nachricht.benutzer_id is None
    assert nachricht.frist == heute() + timedelta(days=14)
    assert db.session.get(Wiedervorlage, nachricht.wiedervorlage_id).frist == nachricht.frist
    assert db.session.get(Mailausgang, nachricht.mailausgang_id).empfaenger == "anna@example.org"
    aktionen = db.session.scalars(select(HistorieEintrag.aktion).where(HistorieEintrag.vorgang_id == v.id)).all()
    assert "Nachforderung versendet" in aktionen
    assert instanz(v).zustand_art == "aktiv"
    service.empfangen("email", "anna@example.org", f"Re: Nachforderung #{nachricht.korrelation}", "Anbei der Plan.")
    db.session.commit()
    assert instanz(v).zustand_art == BEENDET


def test_a_test_run_only_records_the_message(app, amt):
    """The workbench's test run (and the dry run, which uses it) writes and sends nothing."""
    ergebnis = probelauf.ausfuehren(MODELL, {}, [{"element": "pruefen", "daten": {"fehlt": "den Lageplan"}}])
    assert ergebnis.fehler is None and ergebnis.pfad == ["start", "pruefen", "nachfordern"]
    assert any("„Nachforderung zu TEST-000000“" in z and "nicht gesendet" in z for z in ergebnis.protokoll)
    assert db.session.scalars(select(Nachricht)).all() == [] and db.session.scalars(select(Mailausgang)).all() == []


def test_unknown_service_is_a_deploy_error_and_unknown_placeholder_an_incident(amt, sabine, modell):
    """A send task naming no registered service is refused at deploy; a placeholder nobody fills stops the
    instance as an incident naming it, and nothing is sent."""
    falsch = MODELL.replace(b'camunda:class="amtsfluss.nachricht"', b'camunda:class="gibt.es.nicht"')
    with pytest.raises(ModellUngueltig, match="Unbekannter Dienst"):
        deploy_xml(falsch, "falsch.bpmn")
    zauber = MODELL.replace(b"{{ antragsteller.name }}", b"{{ zauber }}")
    key = deploy_xml(zauber, "zauber.bpmn").key
    db.session.commit()
    v = neuer_vorgang(amt, verfahren_key=key, antragsteller=dict(ANTRAGSTELLER))
    erledige(sabine, v, "pruefen", fehlt="den Lageplan")
    db.session.commit()
    i = instanz(v)
    assert i.zustand_art == VORFALL and i.vorfall_element == "nachfordern" and "{{ zauber }}" in i.vorfall_text
    assert db.session.scalars(select(Nachricht)).all() == []


def test_a_test_run_neither_queues_mail_nor_calls_http(app, amt):
    """The built-in mail and HTTP services are recorded in a test run, not done (no outbox row, no request)."""
    xml = (MODELLE / "dienst_mail_http.bpmn").read_bytes()
    daten = {"url": "http://127.0.0.1:1/register", "email": "antrag@example.org"}
    ergebnis = probelauf.ausfuehren(xml, {}, [{"element": "adresse", "daten": daten}])
    assert ergebnis.fehler is None and not db.session.new
    assert [z for z in ergebnis.protokoll if "Probelauf: nicht ausgeführt" in z] == [
        "Mail an antrag@example.org (Probelauf: nicht ausgeführt)",
        "HTTP POST http://127.0.0.1:1/register (Probelauf: nicht ausgeführt)",
    ]
