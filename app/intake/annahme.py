"""Taking a delivery: store it raw as an Eingang (committed first), keep it idempotent, give the answer.

1. The adapter parses the bytes in memory (pure, no database) — to learn the transaction id.
2. The raw Eingang is added and committed on its own: ``ausstehend``, or ``fehlerhaft`` with the adapter's
   reason. Unique (quelle, schluessel) makes a repeated delivery collide here; it is answered at once with what
   became of the first one (202 with Retry-After while that is still being processed). The key is the SHA-256
   of the whole transaction id; a broken delivery whose transaction id can still be read is keyed by that id
   (apart from working deliveries, so a corrected resend is processed), one without by the hash of its bytes.
3. :func:`app.intake.verarbeitung.verarbeiten` turns it into a Vorgang in the next transaction; a failure
   there is retried with back-off by the scheduler (503 to the sender meanwhile).

The module never reads ``flask.request``; views pass what they extracted.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adapters import AdapterFehler, Antrag
from adapters.zeichen import lesbar
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeQuelle, schluessel
from app.intake.parsen import antrag_parsen, transaktions_id_suchen
from app.intake.routing import RoutingFehler
from app.intake.verarbeitung import VorgangInfo, faellig, verarbeiten
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang

log = logging.getLogger(__name__)

#: Adapter error codes whose input is refused without storing anything (security and size limits).
NICHT_SPEICHERN = {"xml_doctype"}


class Abgelehnt(Exception):
    """A delivery refused before anything was stored (XXE, oversize): carries the AdapterFehler."""

    def __init__(self, fehler: AdapterFehler) -> None:
        """Keep the adapter's error."""
        super().__init__(str(fehler))
        self.fehler = fehler


@dataclass
class Annahme:
    """What became of one delivery: the Eingang and, if processed, its Vorgang.

    ``neu`` is False for a repeated delivery. ``fehler_code``/``fehler`` are set when the Eingang is
    ``fehlerhaft``; ``http_status`` is the answer an endpoint should give (201 new, 200 repeated, 4xx failed,
    202 still being processed, 503 processing failed for now and will be retried); ``retry_after`` the seconds
    for a ``Retry-After`` header with 202/503.
    """

    eingang_id: int
    transaktions_id: str
    zustand: str
    neu: bool
    http_status: int
    vorgang: VorgangInfo | None = None
    fehler_code: str = ""
    fehler: str = ""
    retry_after: int | None = None


def _status_fuer_fehler(code: str) -> int:
    """The HTTP status for an Eingang that failed with ``code`` (retries exhausted: 422, never a 5xx)."""
    if code in (RoutingFehler.code, "verarbeitung"):
        return 422
    return 400


def _retry_after() -> int:
    """Seconds a sender should wait before asking again."""
    return int(current_app.config["INTAKE_RETRY_AFTER_SEKUNDEN"])


def annehmen(
    quelle: IntakeQuelle,
    inhalt: bytes,
    content_type: str = "",
    metadaten: dict | None = None,
    *,
    transaktions_id: str | None = None,
) -> Annahme:
    """Take one authenticated delivery of ``quelle``: store raw, then process (module docstring).

    ``transaktions_id`` is the id known from outside the bytes (Form-Solutions list entry); it keys the
    Eingang when the bytes cannot be parsed. Raises :class:`Abgelehnt` for inputs refused without storing
    (DOCTYPE/entities, size limits).
    """
    metadaten = dict(metadaten or {})
    sha = hashlib.sha256(inhalt).hexdigest()
    antrag: Antrag | None = None
    fehler: AdapterFehler | None = None
    try:
        antrag = antrag_parsen(quelle.art, inhalt, content_type, metadaten)
    except AdapterFehler as af:
        if af.code in NICHT_SPEICHERN or af.http_status == 413:
            log.warning(
                "Lieferung von %s abgelehnt, nichts gespeichert (%s Bytes): %s", quelle.name, len(inhalt), af.code
            )
            raise Abgelehnt(af) from af
        fehler = af
    if antrag is not None:
        tid = antrag.kopf.transaktions_id
        key = schluessel(tid)
    elif transaktions_id:
        tid, key = transaktions_id, schluessel(transaktions_id)
    else:
        gelesen = transaktions_id_suchen(quelle.art, inhalt, content_type)
        tid = gelesen or f"sha256:{sha}"
        key = schluessel(f"fehlerhaft:{gelesen}" if gelesen else tid)
    jetzt = utcnow()
    eingang = Eingang(
        quelle=quelle.name,
        art=quelle.art,
        transaktions_id=lesbar(tid),
        schluessel=key,
        eingegangen_am=jetzt,
        content_type=lesbar(content_type or ""),
        inhalt=inhalt,
        sha256=sha,
        zustand=FEHLERHAFT if fehler else AUSSTEHEND,
        fehler=lesbar(fehler.message) if fehler else "",
        fehler_code=fehler.code if fehler else "",
        versuche=0,
        metadaten=metadaten,
        bearbeitet_am=jetzt if fehler else None,
        naechster_versuch=None if fehler else faellig(jetzt),
        hinweise=list(antrag.hinweise) if antrag else [],
    )
    db.session.add(eingang)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _wiederholung(quelle.name, key, lesbar(tid))
    eingang_id = eingang.id  # read before the commit expires the object
    db.session.commit()
    if fehler:
        log.info("Eingang %s (%s) fehlerhaft: %s", eingang_id, quelle.name, fehler.code)
        return Annahme(
            eingang_id, lesbar(tid), FEHLERHAFT, True, fehler.http_status, None, fehler.code, lesbar(fehler.message)
        )
    vorgang = verarbeiten(eingang_id, antrag)
    if vorgang is not None:
        return Annahme(eingang_id, lesbar(tid), VERARBEITET, True, 201, vorgang)
    annahme = _ergebnis(db.session.get(Eingang, eingang_id, populate_existing=True), lesbar(tid), neu=True)
    if annahme.zustand == AUSSTEHEND:  # processing failed and is retried later
        annahme.http_status = 503
    return annahme


def _wiederholung(quelle: str, key: str, transaktions_id: str) -> Annahme:
    """Answer a repeated delivery at once with the first one's outcome (no waiting for a running one)."""
    abfrage = select(Eingang).where(Eingang.quelle == quelle, Eingang.schluessel == key)
    abfrage = abfrage.execution_options(populate_existing=True)
    eingang = db.session.scalars(abfrage).one()
    faellig_ab = eingang.naechster_versuch or faellig(eingang.eingegangen_am)
    if eingang.zustand == AUSSTEHEND and faellig_ab <= utcnow():
        # left behind by a crash or due for its next attempt: the resend processes it now
        verarbeiten(eingang.id)
        eingang = db.session.scalars(abfrage).one()
    return _ergebnis(eingang, transaktions_id, neu=False)


def _ergebnis(eingang: Eingang, transaktions_id: str, *, neu: bool) -> Annahme:
    """The answer for the Eingang's current state."""
    annahme = Annahme(eingang.id, transaktions_id, eingang.zustand, neu, 201 if neu else 200)
    if eingang.zustand == VERARBEITET:
        vorgang = db.session.get(Vorgang, eingang.vorgang_id) if eingang.vorgang_id else None
        annahme.vorgang = VorgangInfo.von(vorgang) if vorgang else None
    elif eingang.zustand == FEHLERHAFT:
        annahme.http_status = _status_fuer_fehler(eingang.fehler_code)
        annahme.fehler_code, annahme.fehler = eingang.fehler_code, eingang.fehler
    else:
        annahme.http_status, annahme.retry_after = 202, _retry_after()
    return annahme
