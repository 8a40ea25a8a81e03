"""Processing of a stored Eingang: parse → route → Vorgang with Anhängen and Historie → procedure start.

Also the failures (Eingang ``fehlerhaft`` with the reason), the retries with back-off of a processing that
failed for a passing reason (database, engine), the administrator's re-processing and the scheduler tick that
picks up Eingänge due for an attempt (left by a crash or waiting for a retry; docs/intake.md). Logs name the
Eingang id and the exception class, never payload data or SQL parameters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from adapters import AdapterFehler, Antrag
from adapters import Anhang as DatenAnhang
from adapters.zeichen import lesbar
from app.engine import runner
from app.engine.routing import verfahren_fuer
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang
from app.intake.parsen import antrag_parsen
from app.intake.routing import RoutingFehler, oe_ermitteln
from app.timeutil import utcnow
from app.vorgaenge.anhaenge import bytes_ablegen
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Anhang, Vorgang
from app.vorgaenge.service import anlegen

log = logging.getLogger(__name__)


@dataclass
class VorgangInfo:
    """What an answer needs of the new Vorgang, read before the commit expires it."""

    id: int
    nummer: str
    status: str
    status_seit: datetime

    @classmethod
    def von(cls, vorgang: Vorgang) -> VorgangInfo:
        """Snapshot of a Vorgang."""
        return cls(vorgang.id, vorgang.nummer, vorgang.status, vorgang.status_seit)


def faellig(seit: datetime, versuche: int = 0) -> datetime:
    """When an ``ausstehend`` Eingang is due for its next attempt: the grace period after the delivery, then
    doubling back-off after each failed attempt."""
    cfg = current_app.config
    if versuche == 0:
        return seit + timedelta(seconds=cfg["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"])
    return seit + timedelta(seconds=cfg["INTAKE_WIEDERHOLEN_NACH_SEKUNDEN"] * 2 ** min(versuche - 1, 10))


def verarbeiten(eingang_id: int, antrag: Antrag | None = None) -> VorgangInfo | None:
    """Turn the ``ausstehend`` Eingang into a Vorgang with Anhängen and process instance; commits.

    ``antrag`` is passed by the delivery that just stored the Eingang (no re-parse); the scheduler and
    re-processing parse the stored bytes. Whoever marks the Eingang ``verarbeitet`` first wins (``zustand`` is
    its version column); a loser rolls its Vorgang back. Returns None when another processor won, when the
    Eingang failed and was marked ``fehlerhaft``, or when the attempt failed for a passing reason (database,
    engine) and was scheduled again (:func:`_fehlversuch`). Database errors while reading propagate.
    """
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang is None or eingang.zustand != AUSSTEHEND:
        db.session.rollback()
        return None
    try:
        if antrag is None:
            antrag = antrag_parsen(eingang.art, eingang.inhalt, eingang.content_type, eingang.metadaten)
        vorgang = _vorgang_anlegen(eingang, antrag)
        if vorgang is None:  # another processor claimed the Eingang first
            db.session.rollback()
            return None
        info = VorgangInfo.von(vorgang)
    except (AdapterFehler, RoutingFehler) as fehler:
        db.session.rollback()
        _als_fehlerhaft_markieren(eingang_id, fehler.code, lesbar(getattr(fehler, "message", str(fehler))))
        return None
    except Exception as fehler:  # noqa: BLE001 — database, engine or script: retried with back-off
        db.session.rollback()
        _fehlversuch(eingang_id, fehler)
        return None
    try:
        db.session.commit()
    except SQLAlchemyError as fehler:
        db.session.rollback()
        _fehlversuch(eingang_id, fehler)
        return None
    return info


def _fehlversuch(eingang_id: int, fehler: Exception) -> None:
    """Note a failed attempt: due again after a back-off, ``fehlerhaft`` after INTAKE_MAX_VERSUCHE attempts.

    The log names only the Eingang and the exception class; the stored reason of a database error only its
    class (its text may carry SQL parameters). A database that is still gone leaves the Eingang as it was; the
    scheduler picks it up when it is due.
    """
    art = type(fehler).__name__
    log.warning("Eingang %s: Verarbeitung fehlgeschlagen (%s), wird wiederholt", eingang_id, art)
    grund = art if isinstance(fehler, SQLAlchemyError) else lesbar(f"{art}: {fehler}")[:2000]
    try:
        eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
        if eingang is None or eingang.zustand != AUSSTEHEND:
            db.session.rollback()
            return
        eingang.versuche += 1
        if eingang.versuche >= current_app.config["INTAKE_MAX_VERSUCHE"]:
            eingang.zustand = FEHLERHAFT
            eingang.fehler_code = "verarbeitung"
            eingang.fehler = f"Verarbeitung nach {eingang.versuche} Versuchen aufgegeben: {grund}"
            eingang.bearbeitet_am = utcnow()
            eingang.naechster_versuch = None
        else:
            eingang.fehler = f"Versuch {eingang.versuche} fehlgeschlagen: {grund}"
            eingang.naechster_versuch = faellig(utcnow(), eingang.versuche)
        db.session.commit()
    except (SQLAlchemyError, StaleDataError) as zweiter:
        db.session.rollback()
        log.warning("Eingang %s: Fehlversuch nicht vermerkt (%s)", eingang_id, type(zweiter).__name__)


def _als_fehlerhaft_markieren(eingang_id: int, code: str, text: str) -> None:
    """Mark the still ``ausstehend`` Eingang ``fehlerhaft`` with the reason, in its own commit."""
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang is None or eingang.zustand != AUSSTEHEND:
        db.session.rollback()
        return
    eingang.zustand = FEHLERHAFT
    eingang.fehler_code = code[:60]
    eingang.fehler = text
    eingang.bearbeitet_am = utcnow()
    eingang.naechster_versuch = None
    eingang.versuche += 1
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return
    log.info("Eingang %s fehlerhaft (%s)", eingang_id, code)


def antragsteller_name(antrag: Antrag) -> str:
    """Display name of the applicant: first and last name, else company name."""
    a = antrag.antragsteller
    if a is None:
        return ""
    person = " ".join(teil for teil in (a.vorname, a.nachname) if teil)
    return (person or a.firmenname or "")[:300]


def _antragsteller_daten(antrag: Antrag) -> dict:
    """Antragsteller as stored on the Vorgang, with the account/Postfach data of the header."""
    daten = antrag.antragsteller.to_dict() if antrag.antragsteller else {}
    kopf = antrag.kopf
    konto = {
        "konto_typ": kopf.konto_typ,
        "vertrauensniveau": kopf.vertrauensniveau,
        "postfach_adresse": kopf.postfach_adresse,
        "postfach_typ": kopf.postfach_typ,
    }
    if any(konto.values()):
        daten["konto"] = konto
    extra = kopf.extra or {}
    if extra.get("case_id") and extra.get("reply_channel"):  # FIT-Connect: what a reply to this case needs
        daten["fitconnect"] = {
            "case_id": extra["case_id"],
            "destination_id": extra.get("destination_id"),
            **extra["reply_channel"],
        }
    return daten


def _anhang(vorgang: Vorgang, anhang: DatenAnhang) -> Anhang:
    """The Anhang row of one delivered file (bytes stored content-addressed), with the adapter's warnings."""
    hinweise = []
    if not anhang.mime_passt:
        hinweise.append(f"Deklarierter Typ {anhang.mime_deklariert} passt nicht zum Inhalt ({anhang.mime_erkannt})")
    if anhang.ist_gefaehrlich:
        hinweise.append("Möglicherweise gefährlicher Inhalt: wird nur als Download ausgeliefert")
    return Anhang(
        vorgang_id=vorgang.id,
        dateiname=anhang.dateiname[:255],
        mime_typ=(anhang.mime_erkannt or "application/octet-stream")[:200],
        groesse=anhang.groesse,
        sha256=bytes_ablegen(anhang.inhalt),
        ist_gefaehrlich=anhang.ist_gefaehrlich,
        herkunft="antrag",
        beschreibung="; ".join(hinweise),
        hochgeladen_am=utcnow(),
    )


def _vorgang_anlegen(eingang: Eingang, antrag: Antrag) -> Vorgang | None:
    """Route, create the Vorgang with Anhängen and Historie, mark the Eingang ``verarbeitet``, start the process
    (no commit). None when another processor had already claimed the Eingang."""
    oe, pruefen, grund = oe_ermitteln(antrag)
    kopf = antrag.kopf
    verfahren = verfahren_fuer(kopf.formular_id or "", list(kopf.leika_ids))
    vorgang = anlegen(
        oe,
        formular_id=(kopf.formular_id or "")[:200],
        formular_name=(kopf.formular_name or kopf.formular_id or "")[:300],
        leika_ids=list(kopf.leika_ids),
        antragsteller=_antragsteller_daten(antrag),
        antragsteller_name=antragsteller_name(antrag),
        formulardaten=[feld.to_dict() for feld in antrag.formulardaten],
        eingangsdatum=eingang.eingegangen_am,
        zustaendigkeit_pruefen=pruefen,
    )
    db.session.add_all([_anhang(vorgang, anhang) for anhang in antrag.anhaenge])
    protokolliere(
        vorgang,
        "Antrag eingegangen",
        nachher={
            "quelle": eingang.quelle,
            "transaktions_id": eingang.transaktions_id,
            "eingang_id": eingang.id,
            "verfahren": verfahren,
            "anhaenge": len(antrag.anhaenge),
        },
    )
    if pruefen:
        protokolliere(vorgang, "Zuständigkeit prüfen", notiz=grund)
    if antrag.hinweise:
        protokolliere(vorgang, "Hinweise zum Eingang", notiz="\n".join(antrag.hinweise))
    eingang.hinweise = list(antrag.hinweise)
    eingang.naechster_versuch = None
    eingang.zustand = VERARBEITET
    eingang.vorgang_id = vorgang.id
    eingang.fehler = eingang.fehler_code = ""
    eingang.bearbeitet_am = utcnow()
    eingang.versuche += 1
    try:
        db.session.flush()  # the claim: before the process start, so a loser stops early
    except StaleDataError:
        return None
    prozess_starten(vorgang, verfahren)
    return vorgang


def prozess_starten(vorgang: Vorgang, verfahren: str | None):
    """Start the procedure for the Vorgang in the current transaction; an undeployed one is a routing failure."""
    try:
        return runner.start(vorgang, verfahren)
    except runner.KeinVerfahren as fehler:
        raise RoutingFehler(f"{fehler} (Verfahren {verfahren!r} für Formular {vorgang.formular_id!r})") from fehler


def erneut_verarbeiten(eingang_id: int) -> VorgangInfo | None:
    """Administrator action: put a ``fehlerhaft`` Eingang back to ``ausstehend`` and process it again."""
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang is None or eingang.zustand != FEHLERHAFT:
        db.session.rollback()
        return None
    eingang.zustand = AUSSTEHEND
    eingang.versuche = 0
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return None
    return verarbeiten(eingang_id)


def ausstehende_verarbeiten(jetzt: datetime, limit: int = 50) -> int:
    """Scheduler tick: process the ``ausstehend`` Eingänge that are due (crash recovery and retries), the
    longest-due first, so Eingänge waiting for a back-off never block others.

    Each is claimed by :func:`verarbeiten`'s conditional UPDATE, so several app processes never process one
    twice. Returns the number of Eingänge attempted.
    """
    grenze = jetzt - timedelta(seconds=current_app.config["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"])
    ids = db.session.scalars(
        select(Eingang.id)
        .where(
            Eingang.zustand == AUSSTEHEND,
            or_(
                Eingang.naechster_versuch <= jetzt,
                and_(Eingang.naechster_versuch.is_(None), Eingang.eingegangen_am <= grenze),
            ),
        )
        .order_by(func.coalesce(Eingang.naechster_versuch, Eingang.eingegangen_am), Eingang.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    anzahl = 0
    for eingang_id in ids:
        try:
            verarbeiten(eingang_id)
            anzahl += 1
        except SQLAlchemyError as fehler:
            db.session.rollback()
            log.warning("Eingang %s: Datenbankfehler (%s), nächster Tick", eingang_id, type(fehler).__name__)
    return anzahl
