"""The figures of the dashboard: counts from `app.vorgaenge.zaehler` (a few thousand rows even for a Leitung over
all OEs at a million Vorgänge), overdue Wiedervorlagen and tasks from their own tables. Computed on every request.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from app.auth.models import Benutzer
from app.engine.models import AKTIV, ProzessAufgabe, ProzessInstanz
from app.extensions import db
from app.timeutil import heute, utcnow
from app.vorgaenge.liste import bearbeitende
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import Status
from app.vorgaenge.zaehler import DAUER, EINGANG, LAST, OFFEN_ALTER, VorgangZaehler
from app.wiedervorlagen.models import Wiedervorlage, WiedervorlageStatus

WOCHEN = 8
#: Age buckets of open Vorgänge: (label, from days, to days inclusive or None).
ALTER = [("bis 7 Tage", 0, 7), ("8–30 Tage", 8, 30), ("31–90 Tage", 31, 90), ("über 90 Tage", 91, None)]
OFFEN_STATUS = [Status.NEU, Status.ANGENOMMEN, Status.IN_BEARBEITUNG, Status.BESCHIEDEN]


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


def _summen(art: str, oe_ids: list[int], *bedingungen) -> list[tuple[str, int, int]]:
    """(merkmal, wert, count) of one kind of count over these OEs."""
    return db.session.execute(
        select(VorgangZaehler.merkmal, VorgangZaehler.wert, func.sum(VorgangZaehler.anzahl))
        .where(VorgangZaehler.art == art, VorgangZaehler.oe_id.in_(oe_ids), *bedingungen)
        .group_by(VorgangZaehler.merkmal, VorgangZaehler.wert)
    ).all()


def berechnen(benutzer: Benutzer) -> Uebersicht:
    """The dashboard over the user's OEs, computed now."""
    oe_ids = list(benutzer.oe_ids)
    u = Uebersicht(berechnet_am=utcnow())
    if not oe_ids:
        return u
    tag = heute()
    montag = tag - timedelta(days=tag.weekday())
    u.wochen = [montag - timedelta(weeks=WOCHEN - 1 - i) for i in range(WOCHEN)]
    _eingang(u, oe_ids)
    _offen(u, oe_ids, tag, _last(u, oe_ids))
    _dauer(u, oe_ids)
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


def _eingang(u: Uebersicht, oe_ids: list[int]) -> None:
    """Incoming per week and form name."""
    spalte = {w.toordinal(): i for i, w in enumerate(u.wochen)}
    summen: dict[str, list[int]] = {}
    for name, woche, anzahl in _summen(EINGANG, oe_ids, VorgangZaehler.wert >= u.wochen[0].toordinal()):
        if woche in spalte and anzahl:
            summen.setdefault(name, [0] * WOCHEN)[spalte[woche]] += int(anzahl)
    u.eingang = sorted(summen.items(), key=lambda t: t[0].casefold())


def _offen(u: Uebersicht, oe_ids: list[int], tag: date, gesamt: dict[str, int]) -> None:
    """Open Vorgänge per status and age bucket (age in days since the local day of Eingang).

    Only the last 90 days are read per day (a range along the index); the oldest bucket is the rest of the
    status's total, which the workload counts give (they count the same Vorgänge).
    """
    heute_nr = tag.toordinal()
    *juengere, (_label, aelter_ab, _bis) = ALTER
    spalten = []
    for _label, ab, bis in juengere:
        bedingung = VorgangZaehler.wert >= heute_nr - bis
        if ab:
            bedingung = bedingung & (VorgangZaehler.wert <= heute_nr - ab)
        spalten.append(func.sum(case((bedingung, VorgangZaehler.anzahl), else_=0)))
    zeilen = db.session.execute(
        select(VorgangZaehler.merkmal, *spalten)
        .where(
            VorgangZaehler.art == OFFEN_ALTER,
            VorgangZaehler.oe_id.in_(oe_ids),
            VorgangZaehler.merkmal.in_([s.value for s in OFFEN_STATUS]),
            VorgangZaehler.wert > heute_nr - aelter_ab,
        )
        .group_by(VorgangZaehler.merkmal)
    ).all()
    nach_status = {status: [int(z or 0) for z in zahlen] for status, *zahlen in zeilen}
    u.offen = []
    for s in OFFEN_STATUS:
        zahlen = nach_status.get(s.value, [0] * len(juengere))
        u.offen.append((s, [*zahlen, gesamt.get(s.value, 0) - sum(zahlen)]))


def _last(u: Uebersicht, oe_ids: list[int]) -> dict[str, int]:
    """Open Vorgänge per caseworker and status; returns the open Vorgänge per status (all, assigned or not)."""
    zaehler: dict[int, dict[str, int]] = {}
    gesamt: dict[str, int] = {}
    for status, bid, anzahl in _summen(LAST, oe_ids):
        zaehler.setdefault(bid, {})[status] = int(anzahl)
        gesamt[status] = gesamt.get(status, 0) + int(anzahl)
    u.last = [(b, [zaehler.get(b.id, {}).get(s.value, 0) for s in OFFEN_STATUS]) for b in bearbeitende(oe_ids)]
    return gesamt


def _dauer(u: Uebersicht, oe_ids: list[int]) -> None:
    """Lead time (Eingang → Abgeschlossen) per form over all closed Vorgänge: median and 90th percentile in days,
    exact over the lead times as rounded by `app.vorgaenge.zaehler.dauer_zehntel`."""
    verteilung: dict[str, list[tuple[float, int]]] = {}
    for name, zehntel, anzahl in _summen(DAUER, oe_ids):
        if anzahl:
            verteilung.setdefault(name, []).append((zehntel / 10, int(anzahl)))
    for name in sorted(verteilung, key=str.casefold):
        werte = sorted(verteilung[name])
        n = sum(a for _, a in werte)
        median = (_an_stelle(werte, (n - 1) // 2) + _an_stelle(werte, n // 2)) / 2
        # statistics.quantiles(method="inclusive"), 9th of 10 cut points
        j, rest = divmod(9 * (n - 1), 10)
        p90 = (_an_stelle(werte, j) * (10 - rest) + _an_stelle(werte, min(j + 1, n - 1)) * rest) / 10
        u.dauer.append((name, n, median, p90))


def _an_stelle(werte: list[tuple[float, int]], stelle: int) -> float:
    """The value at 0-based position `stelle` of the sorted values given as (value, count)."""
    for wert, anzahl in werte:
        if stelle < anzahl:
            return wert
        stelle -= anzahl
    raise IndexError(stelle)
