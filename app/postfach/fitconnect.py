"""The FIT-Connect reply channel: a message goes back to the online service the application came from, as a reply
to the application's case (caseId), end-to-end encrypted for the key the online service sent with it.

Writing only queues (`einreihen`); the scheduler handler `postfach-fitconnect` claims due messages with a lease
(`naechster_versuch_am`, SKIP LOCKED on PostgreSQL), announces the reply, uploads the encrypted Anhänge, submits it
(state `gesendet`), and later reads the case's event log until the online service accepted (`zugestellt`) or
rejected (`fehlgeschlagen`) it. The replyId is committed before uploading, so a retry continues that reply and a
second submit is refused by the delivery service (409): nothing is submitted twice. Settings: docs/postfach.md.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.auth.models import Benutzer
from app.database import zum_beanspruchen
from app.extensions import db
from app.postfach.fitconnect_api import FitConnectFehler, Zustelldienst, antwort_zustand, verschluesseln
from app.postfach.models import Nachricht, Zustand
from app.timeutil import utcnow
from app.vorgaenge.anhaenge import pfad
from app.vorgaenge.models import Vorgang

log = logging.getLogger(__name__)

KANAL = "fitconnect"
METADATEN_SCHEMA = "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json"
#: Namespace of the attachment ids (stable per message and Anhang, so a retry announces the same ids).
_ANHANG_NS = uuid.UUID("6f1d3c2e-4b5a-4e8f-9a7b-2c1d0e9f8a76")


def konfiguriert() -> bool:
    """True when a delivery service and API client are configured."""
    c = current_app.config
    return all(c.get(k) for k in ("FITCONNECT_TOKEN_URL", "FITCONNECT_SUBMISSION_URL", "FITCONNECT_CLIENT_ID"))


def rueckkanal(vorgang: Vorgang) -> dict | None:
    """What the intake kept for a reply (caseId, key, process standards), None when the application has none."""
    daten = (vorgang.antragsteller or {}).get("fitconnect") or {}
    if daten.get("case_id") and (daten.get("encryption_public_key") or {}).get("n"):
        return daten
    return None


@dataclass(frozen=True)
class FitConnectKanal:
    """Reply over FIT-Connect to the online service of the application (its case)."""

    name: str = KANAL
    titel: str = "FIT-Connect (Onlinedienst)"

    def adresse(self, vorgang: Vorgang) -> str | None:
        """The application's caseId when it asked for FIT-Connect replies and the channel is configured."""
        daten = rueckkanal(vorgang)
        return f"case:{daten['case_id']}" if daten and konfiguriert() else None

    def einreihen(self, nachricht: Nachricht) -> None:
        """Due now for the scheduler (no commit)."""
        nachricht.status = Zustand.WARTEND
        nachricht.naechster_versuch_am = utcnow()


def _zustelldienst() -> Zustelldienst:
    """The configured delivery service."""
    c = current_app.config
    return Zustelldienst(
        token_url=c["FITCONNECT_TOKEN_URL"],
        submission_url=c["FITCONNECT_SUBMISSION_URL"],
        client_id=c["FITCONNECT_CLIENT_ID"],
        client_secret=c.get("FITCONNECT_CLIENT_SECRET") or "",
        timeout=float(c.get("FITCONNECT_TIMEOUT") or 10),
    )


def antworten_senden(jetzt: datetime, limit: int | None = None) -> int:
    """Scheduler handler: send due replies, then check the state of sent ones; returns how many moved."""
    if not konfiguriert():
        return 0
    faellig = select(Nachricht.id).where(
        Nachricht.kanal == KANAL,
        Nachricht.status.in_([Zustand.WARTEND, Zustand.GESENDET]),
        Nachricht.naechster_versuch_am <= jetzt,
    )
    if db.session.scalar(faellig.limit(1)) is None:
        return 0  # idle tick: no write transaction
    charge = int(limit or current_app.config.get("SCHEDULER_BATCH", 200))
    bewegt = 0
    with _zustelldienst() as dienst:
        for nachricht_id in _beanspruchen(jetzt, charge, Zustand.WARTEND):
            bewegt += _senden(dienst, nachricht_id, jetzt)
        for nachricht_id in _beanspruchen(jetzt, charge, Zustand.GESENDET):
            bewegt += _zustand_pruefen(dienst, nachricht_id, jetzt)
    return bewegt


def _beanspruchen(jetzt: datetime, limit: int, zustand: Zustand) -> list[int]:
    """Claim due messages in `zustand` (lease; a send attempt is counted) and commit; return their ids."""
    lease = timedelta(seconds=int(current_app.config.get("FITCONNECT_LEASE_SECONDS", 300)))
    bedingung = (
        Nachricht.kanal == KANAL,
        Nachricht.status == zustand,
        Nachricht.naechster_versuch_am <= jetzt,
    )
    kandidaten = zum_beanspruchen(
        select(Nachricht.id).where(*bedingung).order_by(Nachricht.naechster_versuch_am).limit(limit)
    )
    werte = {"naechster_versuch_am": jetzt + lease}
    if zustand == Zustand.WARTEND:
        werte["versuche"] = Nachricht.versuche + 1
    stmt = (
        update(Nachricht)
        .where(Nachricht.id.in_(kandidaten.scalar_subquery()), *bedingung)
        .values(**werte)
        .returning(Nachricht.id)
    )
    ids = list(db.session.scalars(stmt, execution_options={"synchronize_session": False}))
    db.session.commit()
    return ids


def _senden(dienst: Zustelldienst, nachricht_id: int, jetzt: datetime) -> int:
    """Announce (or continue), upload and submit one reply; record the outcome and commit. 1 when sent."""
    nachricht = db.session.get(Nachricht, nachricht_id, populate_existing=True)
    daten = rueckkanal(nachricht.vorgang) if nachricht.vorgang else None
    try:
        if daten is None:
            raise FitConnectFehler("Der Antrag enthält keinen FIT-Connect-Rückkanal mehr", True)
        schluessel = daten["encryption_public_key"]
        dateien = _dateien(nachricht)
        if not nachricht.versand_id:
            nachricht.versand_id = dienst.antwort_anlegen(daten["case_id"], [d[0] for d in dateien])
            db.session.commit()  # a retry continues this reply instead of announcing a second one
        for anhang_id, _anhang, inhalt in dateien:
            dienst.anhang_hochladen(nachricht.versand_id, anhang_id, verschluesseln(inhalt, schluessel))
        inhalt = _fachdaten(nachricht)
        metadaten = _metadaten(inhalt, dateien)
        dienst.antwort_absenden(
            nachricht.versand_id,
            verschluesseln(metadaten, schluessel, "application/json"),
            verschluesseln(inhalt, schluessel, "application/json"),
        )
    except FitConnectFehler as fehler:
        _fehlschlag(nachricht, str(fehler), fehler.endgueltig, jetzt)
        return 0
    nachricht.status, nachricht.status_seit = Zustand.GESENDET, jetzt
    nachricht.letzter_fehler = ""
    nachricht.naechster_versuch_am = jetzt + _pruefabstand()
    db.session.commit()
    return 1


def _dateien(nachricht: Nachricht) -> list[tuple[str, object, bytes]]:
    """(attachmentId, Anhang, bytes) of the message's Anhänge; a missing file fails the message."""
    try:
        return [
            (str(uuid.uuid5(_ANHANG_NS, f"{nachricht.korrelation}-{a.id}")), a, pfad(a.sha256).read_bytes())
            for a in nachricht.anhaenge
        ]
    except (OSError, ValueError) as fehler:
        raise FitConnectFehler(f"Anhang nicht lesbar: {fehler.__class__.__name__}", True) from fehler


def _fachdaten(nachricht: Nachricht) -> bytes:
    """The reply's data document (JSON, schema `FITCONNECT_ANTWORT_SCHEMA`)."""
    vorgang = nachricht.vorgang
    return json.dumps(
        {
            "vorgangsnummer": vorgang.nummer,
            "aktenzeichen": vorgang.aktenzeichen or None,
            "absender": vorgang.oe.name,
            "betreff": nachricht.betreff,
            "text": nachricht.text,
            "korrelation": nachricht.korrelation,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def _metadaten(fachdaten: bytes, dateien: list[tuple[str, object, bytes]]) -> bytes:
    """The metadata document (schema 1.2.0): content structure with SHA-512 hashes of data and attachments."""
    schema = current_app.config.get("FITCONNECT_ANTWORT_SCHEMA") or "urn:amtsfluss:postfach:nachricht:1.0"
    dokument = {
        "$schema": METADATEN_SCHEMA,
        "contentStructure": {
            "data": {
                "submissionSchema": {"schemaUri": schema, "mimeType": "application/json"},
                "hash": {"type": "sha512", "content": hashlib.sha512(fachdaten).hexdigest()},
            },
            "attachments": [
                {
                    "attachmentId": anhang_id,
                    "purpose": "attachment",
                    "filename": anhang.dateiname,
                    "mimeType": anhang.mime_typ,
                    "hash": {"type": "sha512", "content": hashlib.sha512(inhalt).hexdigest()},
                }
                for anhang_id, anhang, inhalt in dateien
            ],
        },
    }
    return json.dumps(dokument, ensure_ascii=False).encode("utf-8")


def _fehlschlag(nachricht: Nachricht, fehler: str, endgueltig: bool, jetzt: datetime) -> None:
    """Retry with back-off, or give up (`fehlgeschlagen`, shown on the message); commit."""
    db.session.rollback()
    nachricht = db.session.get(Nachricht, nachricht.id, populate_existing=True)
    max_versuche = int(current_app.config.get("FITCONNECT_MAX_VERSUCHE", 5))
    if endgueltig or nachricht.versuche >= max_versuche:
        nachricht.status, nachricht.status_seit, nachricht.naechster_versuch_am = Zustand.FEHLGESCHLAGEN, jetzt, None
        log.error("FIT-Connect-Antwort %s aufgegeben: %s", nachricht.id, fehler)
    else:
        backoff = int(current_app.config.get("FITCONNECT_BACKOFF_SECONDS", 60))
        nachricht.naechster_versuch_am = jetzt + timedelta(seconds=backoff * 2 ** max(nachricht.versuche - 1, 0))
    nachricht.letzter_fehler = fehler[:2000]
    db.session.commit()


def _pruefabstand() -> timedelta:
    """How long to wait between two looks at the event log of a sent reply."""
    return timedelta(seconds=int(current_app.config.get("FITCONNECT_STATUS_SEKUNDEN", 300)))


def _zustand_pruefen(dienst: Zustelldienst, nachricht_id: int, jetzt: datetime) -> int:
    """Read the case's event log for one sent reply; zugestellt/fehlgeschlagen when settled. 1 when it moved."""
    nachricht = db.session.get(Nachricht, nachricht_id, populate_existing=True)
    daten = rueckkanal(nachricht.vorgang) if nachricht.vorgang else None
    try:
        if daten is None or not nachricht.versand_id:
            raise FitConnectFehler("Ohne caseId und replyId ist kein Zustand abrufbar", True)
        ergebnis, grund = antwort_zustand(dienst.ereignisse(daten["case_id"]), nachricht.versand_id)
    except FitConnectFehler as fehler:
        nachricht.letzter_fehler = str(fehler)[:2000]
        nachricht.naechster_versuch_am = None if fehler.endgueltig else jetzt + _pruefabstand()
        db.session.commit()
        return 0
    tage = int(current_app.config.get("FITCONNECT_STATUS_TAGE", 30))
    if ergebnis == "angenommen":
        nachricht.status, nachricht.status_seit, nachricht.naechster_versuch_am = Zustand.ZUGESTELLT, jetzt, None
    elif ergebnis == "abgelehnt":
        nachricht.status, nachricht.status_seit, nachricht.naechster_versuch_am = Zustand.FEHLGESCHLAGEN, jetzt, None
        nachricht.letzter_fehler = grund[:2000]
    elif jetzt - nachricht.status_seit > timedelta(days=tage):
        nachricht.naechster_versuch_am = None  # no answer from the online service: stays "gesendet"
    else:
        nachricht.naechster_versuch_am = jetzt + _pruefabstand()
    db.session.commit()
    return 1 if ergebnis else 0


def probleme(benutzer: Benutzer, limit: int = 200) -> list[Nachricht]:
    """Replies of the user's OEs that failed, or wait for a retry after an error (for administrators)."""
    return list(
        db.session.scalars(
            select(Nachricht)
            .join(Vorgang, Vorgang.id == Nachricht.vorgang_id)
            .where(
                Nachricht.kanal == KANAL,
                Vorgang.oe_id.in_(benutzer.oe_ids),
                or_(
                    Nachricht.status == Zustand.FEHLGESCHLAGEN,
                    and_(Nachricht.status == Zustand.WARTEND, Nachricht.letzter_fehler != ""),
                ),
            )
            .order_by(Nachricht.id.desc())
            .limit(limit)
        )
    )
