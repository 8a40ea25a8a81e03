"""The figures of the dashboard, each from one query along an index (no scan of the Vorgang rows themselves):

incoming per week and form (`(oe_id, formular_id, eingangsdatum)`), open by status and age
(`(oe_id, status, eingangsdatum)`), workload per caseworker (`(oe_id, status, bearbeiter_id)`), lead time per
form from a sample (the most recently received closed Vorgänge of each OE, read backwards along
`(oe_id, status, eingangsdatum)`), overdue Wiedervorlagen and tasks.
"""

import statistics
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import and_, case, func, select

from app.auth.models import Benutzer
from app.engine.models import AKTIV, ProzessAufgabe, ProzessInstanz
from app.extensions import db
from app.timeutil import ZEITZONE, heute, utcnow
from app.vorgaenge.liste import bearbeitende, formulare
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import Status
from app.wiedervorlagen.models import Wiedervorlage, WiedervorlageStatus

WOCHEN = 8
#: Age buckets of open Vorgänge: (label, from days, to days inclusive or None).
ALTER = [("bis 7 Tage", 0, 7), ("8–30 Tage", 8, 30), ("31–90 Tage", 31, 90), ("über 90 Tage", 91, None)]
OFFEN_STATUS = [Status.NEU, Status.ANGENOMMEN, Status.IN_BEARBEITUNG, Status.BESCHIEDEN]
#: Closed Vorgänge per OE the lead time is computed from (the most recently received ones).
STICHPROBE = 50
#: Seconds the figures of one OE set are kept (per app process): a Leitung over many OEs counts hundreds of
#: thousands of index entries, which need not happen on every reload.
CACHE_SEKUNDEN = 60
_cache_sperre = threading.Lock()  # TTLCache is not thread-safe


@dataclass
class Uebersicht:
    """All figures of the dashboard."""

    wochen: list[date] = field(default_factory=list)  # Mondays, oldest first
    eingang: list[tuple[str, list[int]]] = field(default_factory=list)  # form name, count per week
    offen: list[tuple[Status, list[int]]] = field(default_factory=list)  # status, count per age bucket
    dauer: list[tuple[str, int, float, float]] = field(default_factory=list)  # form, n, median, p90 (days)
    last: list[tuple[Benutzer, list[int]]] = field(default_factory=list)  # caseworker, count per open status
    wv_ueberfaellig: int = 0
    aufgaben_ueberfaellig: int = 0
    berechnet_am: datetime | None = None


def _beginn(tag: date) -> datetime:
    """Local midnight of a day."""
    return datetime.combine(tag, time.min, tzinfo=ZEITZONE)


def laden(benutzer: Benutzer) -> Uebersicht:
    """The dashboard over the user's OEs: computed at most every CACHE_SEKUNDEN per OE set."""
    schluessel = (tuple(sorted(benutzer.oe_ids)), heute())
    with _cache_sperre:
        cache = current_app.extensions.setdefault("amtsfluss_uebersicht", TTLCache(256, CACHE_SEKUNDEN))
        treffer = cache.get(schluessel)
    if treffer is not None:
        return treffer
    u = berechnen(benutzer)
    with _cache_sperre:
        cache[schluessel] = u
    return u


def berechnen(benutzer: Benutzer) -> Uebersicht:
    """The dashboard over the user's OEs, computed now."""
    oe_ids = list(benutzer.oe_ids)
    u = Uebersicht(berechnet_am=utcnow())
    if not oe_ids:
        return u
    tag = heute()
    montag = tag - timedelta(days=tag.weekday())
    u.wochen = [montag - timedelta(weeks=WOCHEN - 1 - i) for i in range(WOCHEN)]
    _eingang(u, benutzer, oe_ids)
    _offen(u, oe_ids, tag)
    _last(u, oe_ids)
    _dauer(u, benutzer, oe_ids)
    u.wv_ueberfaellig = db.session.scalar(
        select(func.count())
        .select_from(Wiedervorlage)
        .join(Vorgang, Vorgang.id == Wiedervorlage.vorgang_id)
        .where(
            Vorgang.oe_id.in_(oe_ids),
            Wiedervorlage.status == WiedervorlageStatus.OFFEN,
            Wiedervorlage.frist < tag,
        )
    )
    u.aufgaben_ueberfaellig = db.session.scalar(
        select(func.count())
        .select_from(ProzessAufgabe)
        .join(ProzessInstanz, ProzessInstanz.id == ProzessAufgabe.instanz_id)
        .join(Vorgang, Vorgang.id == ProzessAufgabe.vorgang_id)
        .where(Vorgang.oe_id.in_(oe_ids), ProzessInstanz.zustand_art == AKTIV, ProzessAufgabe.faellig < utcnow())
    )
    return u


def _eingang(u: Uebersicht, benutzer: Benutzer, oe_ids: list[int]) -> None:
    """Incoming per week and form name (ids of one name added up)."""
    grenzen = [_beginn(w) for w in u.wochen] + [_beginn(u.wochen[-1] + timedelta(weeks=1))]
    spalten = [
        func.sum(case((and_(Vorgang.eingangsdatum >= grenzen[i], Vorgang.eingangsdatum < grenzen[i + 1]), 1), else_=0))
        for i in range(WOCHEN)
    ]
    name_von = {fid: name for name, fids in formulare(benutzer) for fid in fids}
    # Naming the form ids lets the planner walk (oe_id, formular_id, eingangsdatum) without touching rows.
    zeilen = db.session.execute(
        select(Vorgang.formular_id, *spalten)
        .where(Vorgang.oe_id.in_(oe_ids), Vorgang.formular_id.in_(list(name_von)), Vorgang.eingangsdatum >= grenzen[0])
        .group_by(Vorgang.formular_id)
    ).all()
    summen: dict[str, list[int]] = {}
    for fid, *zahlen in zeilen:
        name = name_von.get(fid, fid or "ohne Formular")
        bisher = summen.setdefault(name, [0] * WOCHEN)
        summen[name] = [a + int(b or 0) for a, b in zip(bisher, zahlen, strict=True)]
    u.eingang = sorted(summen.items(), key=lambda t: t[0].casefold())


def _offen(u: Uebersicht, oe_ids: list[int], tag: date) -> None:
    """Open Vorgänge per status and age bucket."""
    spalten = []
    for _label, ab, bis in ALTER:
        bedingung = Vorgang.eingangsdatum < _beginn(tag - timedelta(days=ab - 1)) if ab else None
        juenger = Vorgang.eingangsdatum >= _beginn(tag - timedelta(days=bis)) if bis is not None else None
        teile = [b for b in (bedingung, juenger) if b is not None]
        spalten.append(func.sum(case((and_(*teile), 1), else_=0)))
    zeilen = db.session.execute(
        select(Vorgang.status, *spalten)
        .where(Vorgang.oe_id.in_(oe_ids), Vorgang.status.in_([s.value for s in OFFEN_STATUS]))
        .group_by(Vorgang.status)
    ).all()
    nach_status = {status: [int(z or 0) for z in zahlen] for status, *zahlen in zeilen}
    u.offen = [(s, nach_status.get(s.value, [0] * len(ALTER))) for s in OFFEN_STATUS]


def _last(u: Uebersicht, oe_ids: list[int]) -> None:
    """Open Vorgänge per caseworker and status."""
    zeilen = db.session.execute(
        select(Vorgang.bearbeiter_id, Vorgang.status, func.count())
        # No condition on bearbeiter_id: it would lead the planner to that column's index and the rows.
        .where(Vorgang.oe_id.in_(oe_ids), Vorgang.status.in_([s.value for s in OFFEN_STATUS]))
        .group_by(Vorgang.status, Vorgang.bearbeiter_id)  # the index's order, so no other index looks cheaper
    ).all()
    zaehler: dict[int, dict[str, int]] = {}
    for bid, status, anzahl in zeilen:
        zaehler.setdefault(bid, {})[status] = anzahl
    u.last = [(b, [zaehler.get(b.id, {}).get(s.value, 0) for s in OFFEN_STATUS]) for b in bearbeitende(oe_ids)]


def _dauer(u: Uebersicht, benutzer: Benutzer, oe_ids: list[int]) -> None:
    """Lead time (Eingang → Abgeschlossen) per form: median and 90th percentile in days, from a sample."""
    name_von = {fid: name for name, fids in formulare(benutzer) for fid in fids}
    tage: dict[str, list[float]] = {}
    for oe_id in oe_ids:
        for fid, eingang, seit in db.session.execute(
            select(Vorgang.formular_id, Vorgang.eingangsdatum, Vorgang.status_seit)
            .where(Vorgang.oe_id == oe_id, Vorgang.status == Status.ABGESCHLOSSEN.value)
            .order_by(Vorgang.eingangsdatum.desc())
            .limit(STICHPROBE)
        ):
            tage.setdefault(name_von.get(fid, fid), []).append(max((seit - eingang).total_seconds(), 0) / 86400)
    for name in sorted(tage, key=str.casefold):
        werte = sorted(tage[name])
        p90 = statistics.quantiles(werte, n=10, method="inclusive")[-1] if len(werte) > 1 else werte[0]
        u.dauer.append((name, len(werte), statistics.median(werte), p90))
