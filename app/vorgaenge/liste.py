"""The Vorgangsliste as a service: views, filters, sorting, keyset pagination, status counts.

Every page is `LIMIT n+1` along an index (no OFFSET, no COUNT of
the result), the status counts are one grouped query on `(oe_id, status, …)`, and the unread markers are fetched
for the page's ids only (the next Wiedervorlage per row is added by the view: that slice sits above this one).
"""

import base64
import json
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as dtime

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import and_, func, or_, select, text

from app.auth.models import Benutzer
from app.database import is_postgres
from app.extensions import db
from app.timeutil import ZEITZONE
from app.vertretung.service import vertretene
from app.vorgaenge.aktionen import darf_vorgaenge_bearbeiten, ungelesen
from app.vorgaenge.datum import datum_lesen, datum_text
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import personen_der_oes, sichtbare_vorgaenge
from app.vorgaenge.status import Status
from app.vorgaenge.suche import suchen

#: The three views of the inbox.
ANSICHTEN = {"alle": "Alle Vorgänge", "meine": "Meine Vorgänge", "nicht_zugewiesen": "Nicht zugewiesen"}
#: Sort orders: key → (label, column, descending), each along an index (see models.Vorgang). Status and form are
#: filters rather than sort orders: a sort by them would have to order all of an OE's rows.
SORTIERUNGEN = {
    "eingang_ab": ("Eingang, neueste zuerst", Vorgang.eingangsdatum, True),
    "eingang_auf": ("Eingang, älteste zuerst", Vorgang.eingangsdatum, False),
    "nummer": ("Vorgangsnummer", Vorgang.nummer, False),
    "antragsteller": ("Antragsteller (Nachname)", Vorgang.antragsteller_sortierung, False),
}
STANDARD_SORTIERUNG = "eingang_ab"


@dataclass(frozen=True)
class Filter:
    """Everything that selects and orders a list page; round-trips through the URL (`als_args`)."""

    ansicht: str = "alle"
    status: Status | None = None
    formular: str = ""
    bearbeiter: int | None = None
    von: date | None = None
    bis: date | None = None
    q: str = ""
    sortierung: str = STANDARD_SORTIERUNG
    nach: str = ""
    vor: str = ""
    fehler: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def als_args(self, **aenderungen) -> dict[str, str]:
        """URL query arguments of this filter (without defaults), with changes applied; cursors reset."""
        f = replace(self, nach="", vor="", **aenderungen)
        args = {
            "ansicht": f.ansicht if f.ansicht != "alle" else "",
            "status": f.status.slug if f.status else "",
            "formular": f.formular,
            "bearbeiter": str(f.bearbeiter) if f.bearbeiter else "",
            "von": datum_text(f.von),
            "bis": datum_text(f.bis),
            "q": f.q,
            "sortierung": f.sortierung if f.sortierung != STANDARD_SORTIERUNG else "",
            "nach": f.nach,
            "vor": f.vor,
        }
        return {k: v for k, v in args.items() if v}

    @property
    def hat_filter(self) -> bool:
        """True when something narrows the list beyond the view."""
        return bool(self.status or self.formular or self.bearbeiter or self.von or self.bis or self.q)


def filter_aus_args(args) -> Filter:
    """Parse the URL arguments leniently: unknown values fall back to defaults, bad dates become field errors."""
    fehler: dict[str, str] = {}
    ansicht = args.get("ansicht", "alle")
    if ansicht not in ANSICHTEN:
        ansicht = "alle"
    status = None
    if args.get("status"):
        try:
            status = Status.from_slug(args["status"])
        except ValueError:
            fehler["status"] = "Unbekannter Status."
    bearbeiter = args.get("bearbeiter", type=int) if args.get("bearbeiter") else None
    von = _datum(args.get("von", ""), "von", fehler)
    bis = _datum(args.get("bis", ""), "bis", fehler)
    if von and bis and von > bis:
        fehler["bis"] = "Das Ende des Zeitraums liegt vor seinem Anfang."
    sortierung = args.get("sortierung", STANDARD_SORTIERUNG)
    if sortierung not in SORTIERUNGEN:
        sortierung = STANDARD_SORTIERUNG
    return Filter(
        ansicht=ansicht,
        status=status,
        formular=(args.get("formular") or "")[:200],
        bearbeiter=bearbeiter,
        von=von,
        bis=bis,
        q=(args.get("q") or "").strip()[:200],
        sortierung=sortierung,
        nach=(args.get("nach") or "")[:300],
        vor=(args.get("vor") or "")[:300],
        fehler=fehler,
    )


def _datum(wert: str, name: str, fehler: dict[str, str]) -> date | None:
    """A date filter (`28.11.2026`, or ISO from older links); else a field error that says what is wrong."""
    if not (wert or "").strip():
        return None
    try:
        return datum_lesen(wert[:40])
    except ValueError as meldung:
        fehler[name] = str(meldung)
        return None


@dataclass
class Seite:
    """One page of the list and the cursors to its neighbours."""

    vorgaenge: list[Vorgang]
    naechste: str | None
    vorherige: str | None
    ungelesen: set[int]


def _grundabfrage(benutzer: Benutzer, f: Filter):
    """The filtered query (not yet ordered or limited) and, when searching, the hit order column.

    Always starts from `sichtbare_vorgaenge`."""
    query = sichtbare_vorgaenge(benutzer)
    if f.ansicht == "meine":  # with the Vorgänge of colleagues I deputise for today
        query = query.where(Vorgang.bearbeiter_id.in_([benutzer.id, *(b.id for b in vertretene(benutzer))]))
    elif f.ansicht == "nicht_zugewiesen":
        query = query.where(Vorgang.bearbeiter_id.is_(None))
    if f.status:
        query = query.where(Vorgang.status == f.status.value)
    if f.formular:
        query = query.where(Vorgang.formular_id.in_(formular_ids(benutzer, f.formular)))
    if f.bearbeiter:
        query = query.where(Vorgang.bearbeiter_id == f.bearbeiter)
    if f.von:
        query = query.where(Vorgang.eingangsdatum >= _tagesbeginn(f.von))
    if f.bis:
        query = query.where(Vorgang.eingangsdatum < _tagesbeginn(f.bis + timedelta(days=1)))
    trefferordnung = None
    if f.q:
        query, trefferordnung = suchen(query, f.q, "postgresql" if is_postgres() else "sqlite", benutzer.oe_ids)
    return query, trefferordnung


def _tagesbeginn(tag: date) -> datetime:
    """Midnight of a local (German) day, as an aware datetime; the column type converts it to UTC."""
    return datetime.combine(tag, dtime.min, tzinfo=ZEITZONE)


def seite_laden(benutzer: Benutzer, f: Filter, groesse: int) -> Seite:
    """One page in the filter's order, by keyset: `nach` = after this row, `vor` = before this row."""
    _label, spalte, absteigend = SORTIERUNGEN[f.sortierung]
    query, trefferordnung = _grundabfrage(benutzer, f)
    schluessel = spalte.key
    if trefferordnung is not None and f.sortierung == STANDARD_SORTIERUNG:
        # Search hits in the default order: newest Vorgang first by id, the order the full-text index
        # can deliver without sorting every match (ids grow with arrival, like the Eingangsdatum).
        spalte, schluessel, absteigend = trefferordnung, "id", True
    if trefferordnung is not None and is_postgres():
        # A search touches few GIN hits; starting parallel workers for them costs more than it saves
        # (docs/performance.md), so this transaction does without them.
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    cursor, rueckwaerts = (f.vor, True) if f.vor else (f.nach, False)
    marke = _cursor_lesen(cursor, schluessel)
    # Going back = walking the same order in reverse, then flipping the rows.
    abwaerts = absteigend != rueckwaerts
    eindeutig = schluessel == "id"  # the sort value itself is unique: no tie-breaker needed
    if marke is not None:
        wert, vid = marke
        if eindeutig:
            query = query.where(spalte < vid if abwaerts else spalte > vid)
        elif abwaerts:
            query = query.where(spalte <= wert, or_(spalte < wert, and_(spalte == wert, Vorgang.id < vid)))
        else:
            query = query.where(spalte >= wert, or_(spalte > wert, and_(spalte == wert, Vorgang.id > vid)))
    if eindeutig:
        ordnung = (spalte.desc(),) if abwaerts else (spalte.asc(),)
    else:
        ordnung = (spalte.desc(), Vorgang.id.desc()) if abwaerts else (spalte.asc(), Vorgang.id.asc())
    zeilen = list(db.session.scalars(query.order_by(*ordnung).limit(groesse + 1)))
    mehr = len(zeilen) > groesse
    zeilen = zeilen[:groesse]
    if rueckwaerts:
        zeilen.reverse()
    erste = _cursor(zeilen[0], schluessel) if zeilen else None
    letzte = _cursor(zeilen[-1], schluessel) if zeilen else None
    if rueckwaerts:
        naechste, vorherige = letzte, (erste if mehr else None)
    else:
        naechste, vorherige = (letzte if mehr else None), (erste if marke is not None else None)
    return Seite(zeilen, naechste, vorherige, ungelesen([v.id for v in zeilen]))


def _cursor(vorgang: Vorgang, schluessel: str) -> str:
    """An opaque, URL-safe cursor: the sort value and the id of a row."""
    wert = getattr(vorgang, schluessel)
    if isinstance(wert, datetime):
        wert = wert.isoformat()
    roh = json.dumps([wert, vorgang.id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(roh).decode().rstrip("=")


def _cursor_lesen(cursor: str, schluessel: str) -> tuple | None:
    """Decode a cursor; anything malformed means "first page"."""
    if not cursor:
        return None
    try:
        wert, vid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if schluessel == "eingangsdatum":
            wert = datetime.fromisoformat(wert)
        if not isinstance(vid, int) or not isinstance(wert, str | int | datetime):
            return None
        return wert, vid
    except (ValueError, TypeError):
        return None


def zaehler_pro_status(benutzer: Benutzer) -> dict[str, int]:
    """Visible Vorgänge per status: one grouped query over the (oe_id, status, …) index."""
    rows = db.session.execute(
        select(Vorgang.status, func.count()).where(Vorgang.oe_id.in_(benutzer.oe_ids)).group_by(Vorgang.status)
    ).all()
    return {status: anzahl for status, anzahl in rows}


#: Seconds the form filter's choices are cached (per app and OE set): DISTINCT over a big OE costs.
FORMULAR_TTL = 300
_cache_sperre = threading.Lock()  # TTLCache is not thread-safe


def formular_ids(benutzer: Benutzer, wahl: str) -> tuple[str, ...]:
    """The form ids behind a choice of the form filter: all ids of that name (one form, two ids), or the id
    itself (older links)."""
    return dict(formulare(benutzer)).get(wahl) or (wahl,)


def formulare(benutzer: Benutzer) -> list[tuple[str, tuple[str, ...]]]:
    """(form name, its form ids) of the visible Vorgänge by name, for the form filter: one entry per name."""
    schluessel = tuple(sorted(benutzer.oe_ids))
    with _cache_sperre:
        cache = current_app.extensions.setdefault("amtsfluss_formularfilter", TTLCache(1024, FORMULAR_TTL))
        treffer = cache.get(schluessel)
    if treffer is not None:
        return treffer
    rows = db.session.execute(
        select(Vorgang.formular_id, func.max(Vorgang.formular_name))
        .where(Vorgang.oe_id.in_(schluessel))
        .group_by(Vorgang.formular_id)
    ).all()
    nach_name: dict[str, list[str]] = {}
    for fid, name in rows:
        if fid:
            nach_name.setdefault((name or fid).strip(), []).append(fid)
    werte = sorted(((name, tuple(sorted(ids))) for name, ids in nach_name.items()), key=lambda t: t[0].casefold())
    with _cache_sperre:
        cache[schluessel] = werte
    return werte


def bearbeitende(oe_ids: list[int]) -> list[Benutzer]:
    """Active people of these OEs who may work on Vorgänge (caseworkers, team leads), by name: the choices of
    the Sachbearbeitung filter, of "zuweisen an" and of a Wiedervorlage's assignee."""
    return [b for b in personen_der_oes(oe_ids, nur_aktive=True) if darf_vorgaenge_bearbeiten(b)]
