"""Taking a delivery: store it raw as an Eingang (committed first), keep it idempotent, give the answer.

1. The adapter parses the bytes in memory (pure, no database) — to learn the transaction id.
2. The raw Eingang is added and committed on its own: ``ausstehend``, or ``fehlerhaft`` with the adapter's
   reason. Unique (quelle, transaktions_id) makes a repeated delivery collide here; it is answered with what
   became of the first one. A delivery without a readable transaction id is keyed ``sha256:<hash of the
   bytes>``, so the same broken bytes are stored once.
3. :func:`app.intake.verarbeitung.verarbeiten` turns it into a Vorgang in the next transaction.

The module never reads ``flask.request``; views pass what they extracted.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from adapters import AdapterFehler, Antrag
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeQuelle
from app.intake.parsen import antrag_parsen
from app.intake.routing import RoutingFehler
from app.intake.verarbeitung import VorgangInfo, verarbeiten
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
    ``fehlerhaft``; ``http_status`` is the answer an endpoint should give (201 new, 200 repeated,
    4xx/5xx failed, 202 still being processed by a concurrent request).
    """

    eingang_id: int
    transaktions_id: str
    zustand: str
    neu: bool
    http_status: int
    vorgang: VorgangInfo | None = None
    fehler_code: str = ""
    fehler: str = ""


def _status_fuer_fehler(code: str) -> int:
    """The HTTP status for an Eingang that failed with ``code``."""
    if code == RoutingFehler.code:
        return 422
    if code in ("verarbeitung", "engine"):
        return 500
    return 400


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
                "Lieferung von %s abgelehnt, nichts gespeichert (%s Bytes, %s): %s",
                quelle.name,
                len(inhalt),
                metadaten.get("adresse"),
                af,
            )
            raise Abgelehnt(af) from af
        fehler = af
    transaktions_id = (antrag.kopf.transaktions_id if antrag else (transaktions_id or f"sha256:{sha}"))[:200]
    eingang = Eingang(
        quelle=quelle.name,
        art=quelle.art,
        transaktions_id=transaktions_id,
        eingegangen_am=utcnow(),
        content_type=content_type or "",
        inhalt=inhalt,
        sha256=sha,
        zustand=FEHLERHAFT if fehler else AUSSTEHEND,
        fehler=fehler.message if fehler else "",
        fehler_code=fehler.code if fehler else "",
        versuche=0,
        metadaten=metadaten,
        bearbeitet_am=utcnow() if fehler else None,
    )
    db.session.add(eingang)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _wiederholung(quelle.name, transaktions_id)
    eingang_id = eingang.id  # read before the commit expires the object
    db.session.commit()
    if fehler:
        log.info("Eingang %s (%s) fehlerhaft: %s", eingang_id, quelle.name, fehler)
        return Annahme(
            eingang_id, transaktions_id, FEHLERHAFT, True, fehler.http_status, None, fehler.code, fehler.message
        )
    try:
        vorgang = verarbeiten(eingang_id, antrag)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Eingang %s: Datenbankfehler, bleibt ausstehend für den Scheduler", eingang_id)
        return Annahme(eingang_id, transaktions_id, AUSSTEHEND, True, 503)
    if vorgang is not None:
        return Annahme(eingang_id, transaktions_id, VERARBEITET, True, 201, vorgang)
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang.zustand == FEHLERHAFT:
        return Annahme(
            eingang_id,
            transaktions_id,
            FEHLERHAFT,
            True,
            _status_fuer_fehler(eingang.fehler_code),
            None,
            eingang.fehler_code,
            eingang.fehler,
        )
    # someone else (the scheduler) claimed it in between: answer like a repetition
    return _wiederholung(eingang.quelle, eingang.transaktions_id)


def _wiederholung(quelle: str, transaktions_id: str) -> Annahme:
    """Answer a repeated delivery with the first one's outcome, waiting while it is still being processed."""
    frist = time.monotonic() + current_app.config["INTAKE_DUPLIKAT_WARTEN_SEKUNDEN"]
    liegengeblieben = timedelta(seconds=current_app.config["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"])
    abfrage = (
        select(Eingang)
        .where(Eingang.quelle == quelle, Eingang.transaktions_id == transaktions_id)
        .execution_options(populate_existing=True)
    )
    pause = 0.02
    while True:
        eingang = db.session.scalars(abfrage).one()
        if eingang.zustand == AUSSTEHEND and eingang.eingegangen_am <= utcnow() - liegengeblieben:
            # left behind by a crash: the resend recovers it now instead of waiting for the scheduler
            verarbeiten(eingang.id)
            eingang = db.session.scalars(abfrage).one()
        if eingang.zustand != AUSSTEHEND or time.monotonic() > frist:
            break
        db.session.rollback()  # end the read snapshot so the next look sees the other transaction's commit
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    annahme = Annahme(eingang.id, transaktions_id, eingang.zustand, False, 200)
    if eingang.zustand == VERARBEITET:
        vorgang = db.session.get(Vorgang, eingang.vorgang_id) if eingang.vorgang_id else None
        annahme.vorgang = VorgangInfo.von(vorgang) if vorgang else None
    elif eingang.zustand == FEHLERHAFT:
        annahme.http_status = _status_fuer_fehler(eingang.fehler_code)
        annahme.fehler_code, annahme.fehler = eingang.fehler_code, eingang.fehler
    else:
        annahme.http_status = 202
    return annahme
