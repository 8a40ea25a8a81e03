"""The intake service: a delivery becomes an Eingang (raw, committed first), then a Vorgang with its process.

Flow of :func:`annehmen` (docs/intake.md):

1. The adapter parses the bytes in memory (pure, no database) — to learn the transaction id.
2. The raw Eingang is inserted and committed on its own: ``ausstehend``, or ``fehlerhaft`` with the
   adapter's reason. Unique (quelle, transaktions_id) makes a repeated delivery collide here; it is then
   answered with what became of the first one. A delivery without a readable transaction id is keyed by
   ``sha256:<hash of the bytes>``, so the same broken bytes are stored once.
3. :func:`verarbeiten` claims the Eingang with a conditional UPDATE (``zustand = 'ausstehend'``; on
   PostgreSQL this locks the row, on SQLite it takes the write lock), routes it to an OE and a Verfahren,
   creates the Vorgang, its Anhänge and the process instance and marks the Eingang ``verarbeitet`` — all in
   one transaction. A failure rolls that back and marks the Eingang ``fehlerhaft`` with the reason.
4. A crash between 2. and 3. leaves an ``ausstehend`` Eingang; :func:`ausstehende_verarbeiten`, registered as
   a scheduler tick, picks it up once it is older than ``INTAKE_AUSSTEHEND_NACH_SEKUNDEN``.

The service never reads ``flask.request``; views pass what they extracted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache
from flask import current_app, has_app_context
from sqlalchemy import and_, event, false, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from adapters import AdapterFehler, Antrag
from app.engine import runner
from app.engine.routing import verfahren_fuer
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeQuelle, IntakeRouting
from app.intake.parsen import antrag_parsen
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow
from app.vorgaenge.anhaenge import bytes_ablegen
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Anhang, Vorgang
from app.vorgaenge.service import anlegen

log = logging.getLogger(__name__)

#: Adapter error codes whose input is refused without storing anything (security and size limits).
NICHT_SPEICHERN = {"xml_doctype"}


class RoutingFehler(Exception):
    """No OE could be determined and no default OE is configured (or the routed Verfahren is not deployed)."""

    code = "routing"


class Abgelehnt(Exception):
    """A delivery refused before anything was stored (XXE, oversize): carries the AdapterFehler."""

    def __init__(self, fehler: AdapterFehler) -> None:
        """Keep the adapter's error."""
        super().__init__(str(fehler))
        self.fehler = fehler


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


@dataclass
class Ergebnis:
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


# --- delivery ------------------------------------------------------------------------------------------


def annehmen(
    quelle: IntakeQuelle,
    inhalt: bytes,
    content_type: str = "",
    metadaten: dict | None = None,
    *,
    transaktions_id: str | None = None,
) -> Ergebnis:
    """Take one authenticated delivery of ``quelle``: store raw, then process (see the module docstring).

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
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _wiederholung(quelle.name, transaktions_id)
    eingang_id = eingang.id
    if fehler:
        log.info("Eingang %s (%s) fehlerhaft: %s", eingang_id, quelle.name, fehler)
        return Ergebnis(
            eingang_id, transaktions_id, FEHLERHAFT, True, fehler.http_status, None, fehler.code, fehler.message
        )
    try:
        vorgang = verarbeiten(eingang_id, antrag)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Eingang %s: Datenbankfehler, bleibt ausstehend für den Scheduler", eingang_id)
        return Ergebnis(eingang_id, transaktions_id, AUSSTEHEND, True, 503)
    if vorgang is not None:
        return Ergebnis(eingang_id, transaktions_id, VERARBEITET, True, 201, vorgang)
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang.zustand == FEHLERHAFT:
        return Ergebnis(
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


def _wiederholung(quelle: str, transaktions_id: str) -> Ergebnis:
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
    ergebnis = Ergebnis(eingang.id, transaktions_id, eingang.zustand, False, 200)
    if eingang.zustand == VERARBEITET:
        vorgang = db.session.get(Vorgang, eingang.vorgang_id) if eingang.vorgang_id else None
        ergebnis.vorgang = VorgangInfo.von(vorgang) if vorgang else None
    elif eingang.zustand == FEHLERHAFT:
        ergebnis.http_status = _status_fuer_fehler(eingang.fehler_code)
        ergebnis.fehler_code, ergebnis.fehler = eingang.fehler_code, eingang.fehler
    else:
        ergebnis.http_status = 202
    return ergebnis


# --- processing ----------------------------------------------------------------------------------------


def verarbeiten(eingang_id: int, antrag: Antrag | None = None) -> VorgangInfo | None:
    """Turn the ``ausstehend`` Eingang into a Vorgang with Anhängen and process instance; commits.

    ``antrag`` is passed by the delivery that just stored the Eingang (no re-parse); the scheduler and
    re-processing parse the stored bytes. Whoever marks the Eingang ``verarbeitet`` first wins (``zustand`` is
    its version column); a loser rolls its Vorgang back. Returns None when another processor won or when the
    Eingang failed and was marked ``fehlerhaft``. Database errors propagate (the Eingang stays ``ausstehend``).
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
        _als_fehlerhaft_markieren(eingang_id, fehler.code, getattr(fehler, "message", str(fehler)))
        return None
    except SQLAlchemyError:
        raise
    except Exception as fehler:  # noqa: BLE001 — engine or script bug: keep the Eingang, show the reason
        db.session.rollback()
        log.exception("Eingang %s: Verarbeitung fehlgeschlagen", eingang_id)
        _als_fehlerhaft_markieren(eingang_id, "verarbeitung", f"{type(fehler).__name__}: {fehler}")
        return None
    db.session.commit()
    return info


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
    eingang.versuche += 1
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return
    log.info("Eingang %s fehlerhaft (%s): %s", eingang_id, code, text)


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
    return daten


def _anhang(vorgang: Vorgang, anhang) -> Anhang:
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


# --- routing -------------------------------------------------------------------------------------------


def routing_schluessel(antrag: Antrag) -> list[tuple[str, str]]:
    """The (kind, key) pairs of an Antrag that the routing table is searched for, most specific first."""
    kopf = antrag.kopf
    paare = []
    if kopf.zustaendige_stelle:
        paare.append(("zustaendige_stelle", kopf.zustaendige_stelle.strip()))
    if kopf.mandant and kopf.quelle == "intelliform":
        paare.append(("intelliform_kunde", kopf.mandant.strip()))
    if kopf.mandant and kopf.quelle == "formsolutions":
        paare.append(("formsolutions_mandant", kopf.mandant.strip()))
    return paare


#: Seconds a routing decision is reused (config `INTAKE_ROUTING_CACHE_SEKUNDEN`; 0 = off).
ROUTING_CACHE_SEKUNDEN = 2.0
#: Routing decisions kept per app process (keys come from outside: bounded).
ROUTING_CACHE_GROESSE = 1000
_routing_lock = threading.Lock()


def _routing_cache() -> TTLCache | None:
    """This app's cache of routing decisions ``(keys) → (oe id, pruefen, reason)``; None when switched off."""
    ttl = current_app.config.get("INTAKE_ROUTING_CACHE_SEKUNDEN", ROUTING_CACHE_SEKUNDEN)
    if ttl <= 0:
        return None
    cache = current_app.extensions.get("intake_routing")
    if cache is None or cache.ttl != ttl:
        cache = current_app.extensions["intake_routing"] = TTLCache(ROUTING_CACHE_GROESSE, ttl)
    return cache


def oe_ermitteln(antrag: Antrag) -> tuple[Organisationseinheit, bool, str]:
    """The OE of an Antrag: routing table, then an OE whose Kennung equals the zuständige Stelle, else the
    default OE with "Zuständigkeit prüfen". Returns (oe, zustaendigkeit_pruefen, reason).

    The decision is reused per app for ``INTAKE_ROUTING_CACHE_SEKUNDEN``; changes to routing rows or OEs made
    through the ORM in this process clear the cache at once (:func:`_routing_cache_leeren`), changes by
    another process apply here within the cache time. Failures are never cached.
    """
    paare = routing_schluessel(antrag)
    stelle = (antrag.kopf.zustaendige_stelle or "").strip()
    schluessel = (tuple(paare), stelle)
    cache = _routing_cache()
    if cache is not None:
        with _routing_lock:
            treffer = cache.get(schluessel)
        if treffer is not None:
            oe_id, pruefen, grund = treffer
            oe = db.session.get(Organisationseinheit, oe_id)
            if oe is not None:
                return oe, pruefen, grund
    oe, pruefen, grund = _oe_abfragen(paare, stelle)
    if cache is not None:
        with _routing_lock:
            cache[schluessel] = (oe.id, pruefen, grund)
    return oe, pruefen, grund


def _oe_abfragen(paare: list[tuple[str, str]], stelle: str) -> tuple[Organisationseinheit, bool, str]:
    """The routing decision of :func:`oe_ermitteln` from the database (one query)."""
    arten = [art for art, _ in paare] + ["standard"]
    schluessel = [wert for _, wert in paare] + ["*"]
    zeilen = db.session.execute(
        select(Organisationseinheit, IntakeRouting.art, IntakeRouting.schluessel)
        .outerjoin(
            IntakeRouting,
            and_(
                IntakeRouting.oe_id == Organisationseinheit.id,
                IntakeRouting.art.in_(arten),
                IntakeRouting.schluessel.in_(schluessel),
            ),
        )
        .where(or_(IntakeRouting.id.is_not(None), Organisationseinheit.kennung == stelle if stelle else false()))
    ).all()
    tabelle = {(art, wert): oe for oe, art, wert in zeilen if art}
    for paar in paare:
        if paar in tabelle:
            return tabelle[paar], False, ""
    nach_kennung = next((oe for oe, _art, _wert in zeilen if stelle and oe.kennung == stelle), None)
    if nach_kennung is not None:
        return nach_kennung, False, ""
    beschreibung = ", ".join(f"{art}={wert!r}" for art, wert in paare) or "keine Zuständigkeitsangabe"
    standard = tabelle.get(("standard", "*"))
    if standard is None:
        raise RoutingFehler(
            f"Keine Organisationseinheit für {beschreibung} gefunden und keine Standard-OE konfiguriert "
            "(Administration → Formulardienste → Zuständigkeiten)"
        )
    return standard, True, f"Keine Zuordnung für {beschreibung}; an die Standard-OE geleitet."


@event.listens_for(Session, "after_flush")
def _routing_cache_leeren(session: Session, _kontext) -> None:
    """Clear the routing cache of this app when a flush wrote routing rows or OEs."""
    if not has_app_context():
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, IntakeRouting | Organisationseinheit):
            cache = current_app.extensions.get("intake_routing")
            if cache is not None:
                with _routing_lock:
                    cache.clear()
            return


def prozess_starten(vorgang: Vorgang, verfahren: str | None):
    """Start the procedure for the Vorgang in the current transaction; an undeployed one is a routing failure."""
    try:
        return runner.start(vorgang, verfahren)
    except runner.KeinVerfahren as fehler:
        raise RoutingFehler(f"{fehler} (Verfahren {verfahren!r} für Formular {vorgang.formular_id!r})") from fehler


# --- re-processing and recovery ------------------------------------------------------------------------


def erneut_verarbeiten(eingang_id: int) -> VorgangInfo | None:
    """Administrator action: put a ``fehlerhaft`` Eingang back to ``ausstehend`` and process it again."""
    eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
    if eingang is None or eingang.zustand != FEHLERHAFT:
        db.session.rollback()
        return None
    eingang.zustand = AUSSTEHEND
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return None
    return verarbeiten(eingang_id)


def ausstehende_verarbeiten(jetzt: datetime, limit: int = 50) -> int:
    """Scheduler tick: process ``ausstehend`` Eingänge older than the grace period (crash recovery).

    Each is claimed by :func:`verarbeiten`'s conditional UPDATE, so several app processes never process one
    twice. Returns the number of Eingänge handled (processed or marked fehlerhaft).
    """
    grenze = jetzt - timedelta(seconds=current_app.config["INTAKE_AUSSTEHEND_NACH_SEKUNDEN"])
    ids = db.session.scalars(
        select(Eingang.id)
        .where(Eingang.zustand == AUSSTEHEND, Eingang.eingegangen_am <= grenze)
        .order_by(Eingang.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    anzahl = 0
    for eingang_id in ids:
        try:
            verarbeiten(eingang_id)
            anzahl += 1
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("Ausstehender Eingang %s: Datenbankfehler, nächster Versuch beim nächsten Tick", eingang_id)
    return anzahl
