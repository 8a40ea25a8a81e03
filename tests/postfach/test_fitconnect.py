"""FIT-Connect reply channel against a local stand-in of the delivery service (real HTTP): encrypted reply with
attachment, delivery state from the case's event log, retries without a second submit, the channel only where the
application asked for FIT-Connect replies, and what the intake keeps for it."""

import hashlib
from datetime import timedelta

import pytest
from joserfc.jwk import RSAKey

from adapters.fitconnect import parse_fitconnect
from app.extensions import db
from app.intake.verarbeitung import _antragsteller_daten
from app.postfach import service
from app.postfach.fitconnect import antworten_senden
from app.postfach.kanaele import verfuegbare_kanaele
from app.postfach.models import Nachricht
from app.timeutil import utcnow
from app.vorgaenge.anhaenge import anhang_anlegen
from tests.factories import benutzer, vorgang
from tests.postfach.conftest import ANTRAGSTELLER
from tests.postfach.fitconnect_standin import Server, Zustelldienst

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CASE_ID = "e89e107e-ed79-40e6-ad34-4e770f9df263"


@pytest.fixture(scope="module")
def schluessel() -> RSAKey:
    """The online service's key pair (it keeps the private key, sends the public one with the application)."""
    return RSAKey.generate_key(2048)


@pytest.fixture
def zustelldienst(app, schluessel):
    """The stand-in, running, with the app configured to use it."""
    zd = Zustelldienst(schluessel.as_dict(private=True), ("amtsfluss", "geheim"))
    zd.faelle.add(CASE_ID)
    with Server(zd) as server:
        app.config.update(
            FITCONNECT_TOKEN_URL=f"{server.url}/token",
            FITCONNECT_SUBMISSION_URL=server.url,
            FITCONNECT_CLIENT_ID="amtsfluss",
            FITCONNECT_CLIENT_SECRET="geheim",
        )
        yield zd


@pytest.fixture
def fc_akte(app, ordnungsamt, sabine, schluessel):
    """A Vorgang from a FIT-Connect submission whose online service asked for replies over FIT-Connect."""
    antragsteller = dict(
        ANTRAGSTELLER,
        fitconnect={
            "case_id": CASE_ID,
            "destination_id": "879ee109-a690-4db8-ab32-424284184d7d",
            "process_standards": [],
            "encryption_public_key": schluessel.as_dict(private=False),
        },
    )
    v = vorgang(ordnungsamt, antragsteller=antragsteller)
    v.bearbeiter_id = sabine.id
    db.session.commit()
    return v


def test_reply_is_encrypted_sent_and_delivered_by_the_event_log(uhr, app, zustelldienst, fc_akte, sabine):
    """Announce, upload, submit; `gesendet` until the online service's accept-reply makes it `zugestellt`."""
    anhang = anhang_anlegen(fc_akte, "Bescheid.pdf", PDF, "application/pdf", herkunft="bearbeitung")
    nachricht = service.schreiben(fc_akte, sabine, "fitconnect", "Ihr Bescheid", "Guten Tag,\n\nanbei.", [anhang])
    db.session.commit()
    assert nachricht.zustand == "wartend" and nachricht.empfaenger == f"case:{CASE_ID}"
    assert antworten_senden(utcnow()) == 1
    [(reply_id, antwort)] = zustelldienst.antworten.items()
    assert antwort["eingereicht"] and antwort["caseId"] == CASE_ID
    assert antwort["daten"]["text"] == "Guten Tag,\n\nanbei." and antwort["daten"]["vorgangsnummer"] == fc_akte.nummer
    [eintrag] = antwort["metadaten"]["contentStructure"]["attachments"]
    assert antwort["anhaenge"][eintrag["attachmentId"]] == PDF
    assert eintrag["hash"]["content"] == hashlib.sha512(PDF).hexdigest() and eintrag["filename"] == "Bescheid.pdf"
    db.session.expire_all()
    nachricht = db.session.get(Nachricht, nachricht.id)
    assert nachricht.zustand == "gesendet" and nachricht.versand_id == reply_id
    uhr.vorstellen(timedelta(minutes=6))
    assert antworten_senden(utcnow()) == 0  # looked at the event log: not settled yet
    zustelldienst.annehmen(reply_id)
    uhr.vorstellen(timedelta(minutes=6))
    assert antworten_senden(utcnow()) == 1
    db.session.expire_all()
    assert db.session.get(Nachricht, nachricht.id).zustand == "zugestellt"
    uhr.vorstellen(timedelta(hours=1))
    aufrufe = len(zustelldienst.aufrufe)
    assert antworten_senden(utcnow()) == 0 and len(zustelldienst.aufrufe) == aufrufe  # settled: no more calls


def test_rejected_reply_is_failed_with_the_reason(uhr, app, zustelldienst, fc_akte, sabine):
    """reject-reply in the event log → fehlgeschlagen, the reason shown on the message."""
    nachricht = service.schreiben(fc_akte, sabine, "fitconnect", "Rückfrage", "Bitte ergänzen Sie den Plan.")
    db.session.commit()
    antworten_senden(utcnow())
    zustelldienst.ablehnen(nachricht.versand_id, "Prozessstandard nicht unterstützt")
    uhr.vorstellen(timedelta(minutes=6))
    antworten_senden(utcnow())
    db.session.expire_all()
    nachricht = db.session.get(Nachricht, nachricht.id)
    assert nachricht.zustand == "fehlgeschlagen" and "Prozessstandard" in nachricht.letzter_fehler


def test_outage_is_retried_and_a_reply_is_never_submitted_twice(uhr, app, zustelldienst, fc_akte, sabine):
    """503 → retry with back-off; a crash after submitting (state not recorded) continues the same reply, whose
    second submit the delivery service refuses (409): one reply."""
    nachricht = service.schreiben(fc_akte, sabine, "fitconnect", "Frage", "Bitte melden Sie sich.")
    db.session.commit()
    zustelldienst.stoerung = 1
    assert antworten_senden(utcnow()) == 0
    db.session.expire_all()
    nachricht = db.session.get(Nachricht, nachricht.id)
    assert nachricht.zustand == "wartend" and "503" in nachricht.letzter_fehler and nachricht.versuche == 1
    assert antworten_senden(utcnow()) == 0  # not due before the back-off
    uhr.vorstellen(timedelta(seconds=61))
    assert antworten_senden(utcnow()) == 1
    nachricht = db.session.get(Nachricht, nachricht.id, populate_existing=True)
    nachricht.status, nachricht.naechster_versuch_am = "wartend", utcnow()  # as if the process died before recording
    db.session.commit()
    assert antworten_senden(utcnow()) == 1
    assert len(zustelldienst.antworten) == 1
    assert sum(1 for m, p in zustelldienst.aufrufe if m == "PUT" and p.count("/") == 3) == 2  # 2nd submit: 409


def test_wrong_credentials_fail_the_message_for_good_and_administrators_see_it(
    uhr, app, client, auth, zustelldienst, fc_akte, sabine, ordnungsamt
):
    """The token endpoint refuses the client: no use retrying, the message is fehlgeschlagen with the reason, listed
    for the administrators of the OE on /admin/nachrichten."""
    app.config["FITCONNECT_CLIENT_SECRET"] = "falsch"
    nachricht = service.schreiben(fc_akte, sabine, "fitconnect", "Frage zum Antrag", "Text")
    db.session.commit()
    assert antworten_senden(utcnow()) == 0
    db.session.expire_all()
    nachricht = db.session.get(Nachricht, nachricht.id)
    assert nachricht.zustand == "fehlgeschlagen" and "HTTP 401" in nachricht.letzter_fehler
    benutzer("anton", "Anton Richter", ["administration"], [ordnungsamt])
    db.session.commit()
    auth.login("anton")
    seite = client.get("/admin/nachrichten").text
    assert "Frage zum Antrag" in seite and "Token-Endpunkt antwortet HTTP 401" in seite


def test_channel_only_where_the_application_asked_for_it_and_fit_connect_is_configured(app, fc_akte, akte):
    """Offered for the FIT-Connect application once configured; never for an application without the key."""
    assert "fitconnect" not in [k.name for k, _ in verfuegbare_kanaele(fc_akte)]
    app.config.update(
        FITCONNECT_TOKEN_URL="http://x/token", FITCONNECT_SUBMISSION_URL="http://x", FITCONNECT_CLIENT_ID="c"
    )
    assert [k.name for k, _ in verfuegbare_kanaele(fc_akte)][0] == "fitconnect"
    assert "fitconnect" not in [k.name for k, _ in verfuegbare_kanaele(akte)]
    with pytest.raises(service.PostfachFehler):
        service.schreiben(akte, None, "fitconnect", "Frage", "Text")


def test_intake_keeps_case_id_destination_and_the_reply_key(app, schluessel):
    """The metadata's replyChannel.fitConnect (key, process standards) and the caseId land with the applicant."""
    metadaten = {
        "additionalReferenceInfo": {"senderReference": "ref-1"},
        "publicServiceType": {"identifier": "urn:de:fim:leika:leistung:99050012104000", "name": "Baumfällung"},
        "replyChannel": {
            "fitConnect": {
                "processStandards": ["urn:xoev-de:bmk:standard:xbau_2.4"],
                "encryptionPublicKey": {**schluessel.as_dict(private=True), "kid": "k1"},
            }
        },
    }
    antrag = parse_fitconnect(metadaten, case_id=CASE_ID, destination_id="879ee109", submission_id="s-1")
    daten = _antragsteller_daten(antrag)["fitconnect"]
    assert daten["case_id"] == CASE_ID and daten["destination_id"] == "879ee109"
    assert daten["process_standards"] == ["urn:xoev-de:bmk:standard:xbau_2.4"]
    assert "d" not in daten["encryption_public_key"] and daten["encryption_public_key"]["kid"] == "k1"
