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

import functools
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, event, false, func, insert, inspect, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached

from adapters import AdapterFehler, Antrag
from app.database import KompilierteAnweisung
from app.extensions import db
from app.intake.models import AUSSTEHEND, FEHLERHAFT, VERARBEITET, Eingang, IntakeQuelle, IntakeRouting
from app.intake.parsen import antrag_parsen
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow
from app.vorgaenge.anhaenge import bytes_ablegen
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Anhang, HistorieEintrag, Vorgang
from app.vorgaenge.service import anlegen

log = logging.getLogger(__name__)

#: Adapter error codes whose input is refused without storing anything (security and size limits).
NICHT_SPEICHERN = {"xml_doctype"}


class RoutingFehler(Exception):
    """No OE could be determined and no default OE is configured (or the Verfahren lookup failed)."""

    code = "routing"


class Abgelehnt(Exception):
    """A delivery refused before anything was stored (XXE, oversize): carries the AdapterFehler."""

    def __init__(self, fehler: AdapterFehler) -> None:
        """Keep the adapter's error."""
        super().__init__(str(fehler))
        self.fehler = fehler


@dataclass
class VorgangInfo:
    """What an answer needs of a Vorgang, read before the commit (saves reloading the row afterwards)."""

    id: int
    nummer: str
    status: str
    status_seit: datetime

    @classmethod
    def von(cls, vorgang: Vorgang) -> VorgangInfo:
        """Snapshot of a Vorgang."""
        return cls(vorgang.id, vorgang.nummer, vorgang.status, vorgang.status_seit)


@dataclass
class EingangKurz:
    """The facts of a stored Eingang that processing needs (never its raw bytes)."""

    id: int
    quelle: str
    transaktions_id: str
    eingegangen_am: datetime


#: Columns of an Eingang without the raw bytes.
_OHNE_INHALT = (
    Eingang.id,
    Eingang.quelle,
    Eingang.transaktions_id,
    Eingang.eingegangen_am,
    Eingang.zustand,
    Eingang.fehler_code,
    Eingang.fehler,
    Eingang.vorgang_id,
)


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


def _status_fuer_fehler(code: str, adapter_status: int | None = None) -> int:
    """The HTTP status for an Eingang that failed with ``code``."""
    if adapter_status:
        return adapter_status
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
    transaktions_id = antrag.kopf.transaktions_id if antrag else (transaktions_id or f"sha256:{sha}")
    werte = {
        "quelle": quelle.name,
        "art": quelle.art,
        "transaktions_id": transaktions_id[:200],
        "eingegangen_am": utcnow(),
        "content_type": content_type or "",
        "inhalt": inhalt,
        "sha256": sha,
        "zustand": FEHLERHAFT if fehler else AUSSTEHEND,
        "fehler": fehler.message if fehler else "",
        "fehler_code": fehler.code if fehler else "",
        "versuche": 0,
        "vorgang_id": None,
        "metadaten": metadaten,
        "bearbeitet_am": utcnow() if fehler else None,
    }
    try:
        eingang_id = _eingang_anweisung(tuple(werte)).ausfuehren(werte).wert
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _wiederholung(quelle.name, transaktions_id[:200])
    kurz = EingangKurz(eingang_id, werte["quelle"], werte["transaktions_id"], werte["eingegangen_am"])
    if fehler:
        log.info("Eingang %s (%s) fehlerhaft: %s", eingang_id, quelle.name, fehler)
        return Ergebnis(
            eingang_id, transaktions_id, FEHLERHAFT, True, fehler.http_status, None, fehler.code, fehler.message
        )
    return _ergebnis_nach_verarbeitung(kurz, antrag)


@functools.lru_cache(maxsize=4)
def _eingang_anweisung(spalten: tuple):
    """``INSERT INTO eingang … RETURNING id`` with bind parameters named like the columns, built and compiled once
    (`KompilierteAnweisung`): it costs less than the ORM's unit of work for one row."""
    tabelle = Eingang.__table__
    werte = {s: bindparam(s, type_=tabelle.c[s].type) for s in spalten}
    return KompilierteAnweisung(insert(tabelle).values(werte).returning(tabelle.c.id))


def _ergebnis_nach_verarbeitung(kurz: EingangKurz, antrag: Antrag) -> Ergebnis:
    """Process the just stored Eingang now and describe the outcome."""
    eingang_id, transaktions_id = kurz.id, kurz.transaktions_id
    try:
        vorgang = verarbeiten(eingang_id, antrag, kurz)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Eingang %s: Datenbankfehler, bleibt ausstehend für den Scheduler", eingang_id)
        return Ergebnis(eingang_id, transaktions_id, AUSSTEHEND, True, 503)
    if vorgang is not None:
        return Ergebnis(eingang_id, transaktions_id, VERARBEITET, True, 201, vorgang)
    eingang = db.session.execute(select(*_OHNE_INHALT).where(Eingang.id == eingang_id)).one()
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
    pause = 0.02
    while True:
        query = select(*_OHNE_INHALT).where(Eingang.quelle == quelle, Eingang.transaktions_id == transaktions_id)
        eingang = db.session.execute(query).one()
        if eingang.zustand == AUSSTEHEND and eingang.eingegangen_am <= utcnow() - liegengeblieben:
            # left behind by a crash: the resend recovers it now instead of waiting for the scheduler
            db.session.rollback()
            verarbeiten(eingang.id)
            eingang = db.session.execute(query).one()
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


def verarbeiten(eingang_id: int, antrag: Antrag | None = None, kurz: EingangKurz | None = None) -> VorgangInfo | None:
    """Turn the ``ausstehend`` Eingang into a Vorgang with Anhängen and process instance; commits.

    ``antrag``/``kurz`` are passed by the delivery that just stored the Eingang (no re-parse, no reload of the
    raw bytes); the scheduler and re-processing pass only the id. Whoever marks the Eingang ``verarbeitet``
    first wins: the conditional UPDATE (``zustand = 'ausstehend'``, written together with the Anhänge and
    Historie of the new Vorgang, before the process start) finds no row for a loser, which then rolls its
    Vorgang back — on PostgreSQL it waits for the winner's row lock, on SQLite writers are serialized anyway.
    The mark is committed with the Vorgang and its process, or rolled back with them. Returns None when
    another process won or when the Eingang failed and was marked ``fehlerhaft``. Database errors propagate
    (the Eingang stays ``ausstehend``).
    """
    if kurz is None or antrag is None:
        eingang = db.session.get(Eingang, eingang_id, populate_existing=True)
        if eingang is None or eingang.zustand != AUSSTEHEND:
            db.session.rollback()
            return None
        kurz = EingangKurz(eingang.id, eingang.quelle, eingang.transaktions_id, eingang.eingegangen_am)
        roh = (eingang.art, eingang.inhalt, eingang.content_type, eingang.metadaten)
        db.session.rollback()
    try:
        if antrag is None:
            antrag = antrag_parsen(*roh)
        vorgang = _vorgang_anlegen(kurz, antrag)
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
    """Mark the Eingang ``fehlerhaft`` with the reason, in its own commit."""
    db.session.execute(
        update(Eingang)
        .where(Eingang.id == eingang_id, Eingang.zustand == AUSSTEHEND)
        .values(
            zustand=FEHLERHAFT,
            fehler_code=code[:60],
            fehler=text,
            bearbeitet_am=utcnow(),
            versuche=Eingang.versuche + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
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


def _vorgang_anlegen(eingang: EingangKurz, antrag: Antrag) -> Vorgang | None:
    """Route, create the Vorgang and its Anhänge, mark the Eingang ``verarbeitet``, start the process (no
    commit). None when another processor had already claimed the Eingang."""
    oe, pruefen, grund = oe_ermitteln(antrag)
    kopf = antrag.kopf
    verfahren = verfahren_ermitteln(kopf.formular_id or "", list(kopf.leika_ids))
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
    jetzt = utcnow()
    anhaenge = []
    for anhang in antrag.anhaenge:
        sha = bytes_ablegen(anhang.inhalt)
        hinweise = []
        if not anhang.mime_passt:
            hinweise.append(f"Deklarierter Typ {anhang.mime_deklariert} passt nicht zum Inhalt ({anhang.mime_erkannt})")
        if anhang.ist_gefaehrlich:
            hinweise.append("Möglicherweise gefährlicher Inhalt: wird nur als Download ausgeliefert")
        anhaenge.append(
            {
                "vorgang_id": vorgang.id,
                "dateiname": anhang.dateiname[:255],
                "mime_typ": (anhang.mime_erkannt or "application/octet-stream")[:200],
                "groesse": anhang.groesse,
                "sha256": sha,
                "ist_gefaehrlich": anhang.ist_gefaehrlich,
                "herkunft": "antrag",
                "beschreibung": "; ".join(hinweise),
                "hochgeladen_von_id": None,
                "hochgeladen_am": jetzt,
            }
        )
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
    if not _zeilen_schreiben_und_beanspruchen(eingang.id, vorgang.id, anhaenge, _historie_abholen(vorgang, jetzt)):
        return None
    prozess_starten(vorgang, verfahren)
    return vorgang


#: Columns of a Historie row as `protokolliere` fills them (plus the time, set here).
_HISTORIE_SPALTEN = ("vorgang_id", "benutzer_id", "akteur", "aktion", "vorher", "nachher", "notiz")


def _historie_abholen(vorgang: Vorgang, jetzt: datetime) -> list[dict]:
    """Take the pending Historie entries of the new Vorgang out of the session, in the order they were added,
    as rows to insert ("Vorgang angelegt" from `anlegen`, then ours)."""
    eintraege = [obj for obj in db.session.new if isinstance(obj, HistorieEintrag) and obj.vorgang_id == vorgang.id]
    eintraege.sort(key=lambda obj: inspect(obj).insert_order)
    zeilen = []
    for eintrag in eintraege:
        db.session.expunge(eintrag)
        zeilen.append({**{spalte: getattr(eintrag, spalte) for spalte in _HISTORIE_SPALTEN}, "zeitpunkt": jetzt})
    return zeilen


def _zeilen_schreiben_und_beanspruchen(
    eingang_id: int, vorgang_id: int, anhaenge: list[dict], historie: list[dict]
) -> bool:
    """Insert the Anhang and Historie rows and mark the Eingang ``verarbeitet`` if it is still ``ausstehend``;
    True when this transaction claimed it.

    PostgreSQL: one statement (data-modifying CTEs) instead of the ORM's two inserts plus a separate UPDATE;
    SQLite (in-process, no round trips to save): the same three statements as Core.
    """
    beanspruchen = {"e_id": eingang_id, "e_vorgang_id": vorgang_id, "e_jetzt": utcnow()}
    if db.session.get_bind().dialect.name != "postgresql":
        tabellen = ((Anhang.__table__, anhaenge), (HistorieEintrag.__table__, historie))
        for tabelle, zeilen in tabellen:
            if zeilen:
                db.session.execute(insert(tabelle), zeilen)
        return _beanspruchen_kompiliert().ausfuehren(beanspruchen).anzahl == 1
    parameter = dict(beanspruchen)
    for praefix, zeilen in (("a", anhaenge), ("h", historie)):
        for nummer, zeile in enumerate(zeilen):
            parameter.update({f"{praefix}{nummer}_{spalte}": wert for spalte, wert in zeile.items()})
    stmt = _cte_anweisung(
        tuple(anhaenge[0]) if anhaenge else (), len(anhaenge), tuple(historie[0]) if historie else (), len(historie)
    )
    return stmt.ausfuehren(parameter).wert == 1


@functools.lru_cache(maxsize=1)
def _beanspruchen_kompiliert() -> KompilierteAnweisung:
    """`_beanspruchen_anweisung` on its own (SQLite), compiled once."""
    return KompilierteAnweisung(_beanspruchen_anweisung())


@functools.lru_cache(maxsize=1)
def _beanspruchen_anweisung():
    """``UPDATE eingang … WHERE id = :e_id AND zustand = 'ausstehend'``, built once (bind parameters only)."""
    tabelle = Eingang.__table__
    return (
        update(tabelle)
        .where(tabelle.c.id == bindparam("e_id", type_=tabelle.c.id.type), tabelle.c.zustand == AUSSTEHEND)
        .values(
            zustand=VERARBEITET,
            vorgang_id=bindparam("e_vorgang_id", type_=tabelle.c.vorgang_id.type),
            fehler="",
            fehler_code="",
            bearbeitet_am=bindparam("e_jetzt", type_=tabelle.c.bearbeitet_am.type),
            versuche=tabelle.c.versuche + 1,
        )
    )


@functools.lru_cache(maxsize=64)
def _cte_anweisung(anhang_spalten: tuple, anhaenge: int, historie_spalten: tuple, eintraege: int):
    """The PostgreSQL statement of :func:`_zeilen_schreiben_und_beanspruchen` for one shape (numbers of rows),
    built and compiled once (`KompilierteAnweisung`) with bind parameters ``a<n>_<column>``, ``h<n>_<column>``,
    ``e_…``; it returns the number of claimed Eingänge (0 or 1)."""
    beansprucht = _beanspruchen_anweisung().returning(Eingang.__table__.c.id).cte("beansprucht")
    ctes = []
    for name, modell, praefix, spalten, anzahl in (
        ("neue_anhaenge", Anhang, "a", anhang_spalten, anhaenge),
        ("neue_historie", HistorieEintrag, "h", historie_spalten, eintraege),
    ):
        if not anzahl:
            continue
        tabelle = modell.__table__
        # INSERT … SELECT … UNION ALL rather than a multi-row VALUES (which SQLAlchemy renders per call, so it could
        # not be compiled once); the rows keep their order, so the Historie ids do too
        zeilen = union_all(
            *(
                select(*(bindparam(f"{praefix}{n}_{s}", type_=tabelle.c[s].type).label(s) for s in spalten))
                for n in range(anzahl)
            )
        )
        einfuegen = insert(tabelle).from_select(spalten, zeilen, include_defaults=False)  # all values are given
        ctes.append(einfuegen.returning(tabelle.c.id).cte(name))
    return KompilierteAnweisung(select(func.count()).select_from(beansprucht).add_cte(*ctes))


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


#: Seconds a routing result is reused (config `INTAKE_ROUTING_CACHE_SEKUNDEN`; 0 = off).
ROUTING_CACHE_SEKUNDEN = 2.0
#: OE columns kept in the routing cache (all of them: the OE is put into the session without loading).
_OE_SPALTEN = tuple(spalte.key for spalte in Organisationseinheit.__table__.columns)


def oe_ermitteln(antrag: Antrag) -> tuple[Organisationseinheit, bool, str]:
    """The OE of an Antrag: routing table, then an OE whose Kennung equals the zuständige Stelle, else the
    default OE with "Zuständigkeit prüfen". Returns (oe, zustaendigkeit_pruefen, reason).

    A result is reused per app for ``INTAKE_ROUTING_CACHE_SEKUNDEN`` (one query and its ORM load less per
    delivery). Changes to routing rows or OEs made through the ORM in this process clear the cache at once
    (:func:`_routing_cache_pruefen`); changes by another process take effect here within the cache time.
    Failures are never cached.
    """
    paare = routing_schluessel(antrag)
    stelle = (antrag.kopf.zustaendige_stelle or "").strip()
    ttl = current_app.config.get("INTAKE_ROUTING_CACHE_SEKUNDEN", ROUTING_CACHE_SEKUNDEN)
    cache = current_app.extensions.setdefault("intake_routing", {})
    schluessel = (tuple(paare), stelle)
    jetzt = time.monotonic()
    eintrag = cache.get(schluessel)
    if eintrag is not None and eintrag[3] > jetzt:
        daten, pruefen, grund, _frist = eintrag
        oe = Organisationseinheit(**daten)
        make_transient_to_detached(oe)
        # load=False: into the session as the persistent row it is, without a SELECT
        return db.session.merge(oe, load=False), pruefen, grund
    oe, pruefen, grund = _oe_abfragen(paare, stelle)
    if ttl > 0:
        if len(cache) > 1000:  # keys come from outside: bound the memory
            cache.clear()
        cache[schluessel] = ({k: getattr(oe, k) for k in _OE_SPALTEN}, pruefen, grund, jetzt + ttl)
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
def _routing_cache_pruefen(session: Session, _kontext) -> None:
    """Clear the routing cache of this app when a flush wrote routing rows or OEs."""
    if not has_app_context():
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, IntakeRouting | Organisationseinheit):
            current_app.extensions.get("intake_routing", {}).clear()
            return


def verfahren_ermitteln(formular_id: str, leika_ids: list[str]) -> str | None:
    """The procedure key through the engine's routing file (None while the engine is not installed)."""
    try:
        from app.engine.routing import verfahren_fuer
    except ModuleNotFoundError as fehler:
        if fehler.name not in ("app.engine.routing", "app.engine"):
            raise
        return None
    return verfahren_fuer(formular_id, leika_ids)


def prozess_starten(vorgang: Vorgang, verfahren: str | None):
    """Start the procedure for the Vorgang in the current transaction (``app.engine.runner.start``).

    Until the engine slice provides its runner, the Vorgang is created without a process instance and a
    warning is logged.
    """
    try:
        from app.engine import runner
    except ImportError as fehler:
        if getattr(fehler, "name", None) not in ("app.engine.runner", "app.engine", None):
            raise
        log.warning("app.engine.runner fehlt: Vorgang %s ohne Prozessinstanz angelegt", vorgang.nummer)
        return None
    try:
        return runner.start(vorgang, verfahren)
    except runner.KeinVerfahren as fehler:
        raise RoutingFehler(f"{fehler} (Verfahren {verfahren!r} für Formular {vorgang.formular_id!r})") from fehler


# --- re-processing and recovery ------------------------------------------------------------------------


def erneut_verarbeiten(eingang_id: int) -> VorgangInfo | None:
    """Administrator action: put a ``fehlerhaft`` Eingang back to ``ausstehend`` and process it again."""
    db.session.execute(
        update(Eingang)
        .where(Eingang.id == eingang_id, Eingang.zustand == FEHLERHAFT)
        .values(zustand=AUSSTEHEND)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
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
