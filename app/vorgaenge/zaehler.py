"""Running counts of Vorgänge for the dashboard, written in the same transaction as the change.

Every flush that inserts, changes or deletes Vorgänge appends its changes of the counts as rows (one INSERT,
no upsert and no row locks, so concurrent writers never wait for each other and a rolled-back savepoint takes
its rows with it). The scheduler folds them into one row per key (`verdichten`); readers add up all rows of a
key. `neu_aufbauen` computes the folded rows from the Vorgang table (after a bulk load or an upgrade); both
ways use `beitraege`, so they agree. Kinds, precision and numbers: docs/performance.md.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, delete, event, insert, inspect, select, tuple_
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.timeutil import ZEITZONE
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import OFFEN, Status

#: Kinds of counts (`art`) with the meaning of `merkmal` and `wert`:
EINGANG = "eingang"  # form name, local Monday of the Eingang's week (date ordinal)
OFFEN_ALTER = "offen"  # open status, local day of Eingang (date ordinal)
LAST = "last"  # open status, Bearbeiter id (0 = nobody)
DAUER = "dauer"  # form name, lead time Eingang → Abgeschlossen in tenths of a day (see `dauer_zehntel`)
#: The Vorgang fields the counts depend on.
FELDER = ("oe_id", "formular_id", "formular_name", "status", "bearbeiter_id", "eingangsdatum", "status_seit")
#: Rows folded per scheduler call (the handler repeats while there are more).
CHARGE = 20_000

Schluessel = tuple[str, int, str, int]


class VorgangZaehler(db.Model):
    """One summand of a count: the count of (art, oe_id, merkmal, wert) is the sum of `anzahl` over its rows.

    Rows written with a change are `verdichtet = False`; folding replaces them and the folded row of their key
    by one folded row (none when the sum is 0).
    """

    __tablename__ = "vorgang_zaehler"
    __table_args__ = (
        # Readers sum along this index without touching the table (anzahl is part of it).
        Index("ix_vorgang_zaehler_schluessel", "art", "oe_id", "merkmal", "wert", "anzahl"),
        Index("ix_vorgang_zaehler_verdichtet", "verdichtet"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    art: Mapped[str] = mapped_column(String(10))
    oe_id: Mapped[int] = mapped_column(ForeignKey("organisationseinheit.id", ondelete="CASCADE"))
    merkmal: Mapped[str] = mapped_column(String(300))
    wert: Mapped[int]
    anzahl: Mapped[int]
    verdichtet: Mapped[bool] = mapped_column(default=False)


def formularname(formular_id: str, formular_name: str) -> str | None:
    """The form name the list filter and the dashboard group by (`app.vorgaenge.liste.formulare`); None
    without a form id."""
    return (formular_name or formular_id).strip() if formular_id else None


#: Rounding of lead times, in tenths of a day: (below this, round to a multiple of this); about 5 % from a day on.
STUFEN = ((20, 1), (100, 5), (200, 10), (500, 20), (1000, 50), (3650, 100), (float("inf"), 300))


def dauer_zehntel(dauer: timedelta) -> int:
    """A lead time in tenths of a day, rounded along `STUFEN` (so a histogram has ~100 buckets, not thousands)."""
    zehntel = max(dauer.total_seconds(), 0) / 8640
    for grenze, schritt in STUFEN:  # noqa: B007 — the step of the first bound above the value is used below
        if zehntel < grenze:
            break
    return int(zehntel / schritt + 0.5) * schritt


def beitraege(
    oe_id: int,
    formular_id: str,
    formular_name: str,
    status: str,
    bearbeiter_id: int | None,
    eingang: datetime,
    status_seit: datetime,
) -> list[Schluessel]:
    """The keys one Vorgang with these values counts towards (one each)."""
    tag = eingang.astimezone(ZEITZONE).date()
    name = formularname(formular_id or "", formular_name or "")
    schluessel = []
    if name:
        schluessel.append((EINGANG, oe_id, name, (tag - timedelta(days=tag.weekday())).toordinal()))
    if status in OFFEN:
        schluessel.append((OFFEN_ALTER, oe_id, status, tag.toordinal()))
        schluessel.append((LAST, oe_id, status, bearbeiter_id or 0))
    elif status == Status.ABGESCHLOSSEN and name:
        schluessel.append((DAUER, oe_id, name, dauer_zehntel(status_seit - eingang)))
    return schluessel


def _werte(vorgang: Vorgang, vorher: bool) -> tuple:
    """The counted fields now, or as loaded from the database (`vorher`)."""
    if not vorher:
        return tuple(getattr(vorgang, feld) for feld in FELDER)
    zustand = inspect(vorgang)
    werte = []
    for feld in FELDER:
        historie = zustand.attrs[feld].history  # the fields have `active_history`: a change keeps the old value
        alt = historie.deleted or historie.unchanged
        werte.append(alt[0] if alt else getattr(vorgang, feld))
    return tuple(werte)


def _aenderungen(session: Session) -> Counter:
    """The change of every count by this flush's inserted, changed and deleted Vorgänge."""
    delta: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Vorgang):
            delta.update(beitraege(*_werte(obj, vorher=False)))
    for obj in session.dirty:
        if isinstance(obj, Vorgang) and any(inspect(obj).attrs[f].history.has_changes() for f in FELDER):
            delta.update(beitraege(*_werte(obj, vorher=False)))
            delta.subtract(beitraege(*_werte(obj, vorher=True)))
    for obj in session.deleted:
        if isinstance(obj, Vorgang):
            delta.subtract(beitraege(*_werte(obj, vorher=True)))
    return delta


def _zeilen(summen: Counter, verdichtet: bool) -> list[dict]:
    """Rows for the non-zero sums, in key order."""
    return [
        {"art": a, "oe_id": o, "merkmal": m, "wert": w, "anzahl": n, "verdichtet": verdichtet}
        for (a, o, m, w), n in sorted(summen.items())
        if n
    ]


@event.listens_for(db.session, "before_flush")
def _geloeschte_laden(session: Session, _kontext, _instanzen) -> None:
    """Load the counted fields of Vorgänge about to be deleted (afterwards they can no longer be loaded)."""
    for obj in session.deleted:
        if isinstance(obj, Vorgang):
            _werte(obj, vorher=True)


@event.listens_for(db.session, "after_flush")
def _mitschreiben(session: Session, _kontext) -> None:
    """Append this flush's changes of the counts (one INSERT, none without a change)."""
    zeilen = _zeilen(_aenderungen(session), verdichtet=False)
    if zeilen:
        session.connection().execute(insert(VorgangZaehler), zeilen)


def verdichten(_jetzt: datetime | None = None, limit: int = CHARGE) -> int:
    """Fold up to `limit` change rows into the folded rows of their keys; return how many were folded.

    Each DELETE returns exactly the rows this transaction removed, so parallel callers never count a row twice
    (at worst a key keeps two folded rows: the sum stays right, and the key's next change merges them).
    """
    neue = select(VorgangZaehler.id).where(VorgangZaehler.verdichtet.is_(False))
    if db.session.scalar(neue.limit(1)) is None:  # an idle tick opens no write transaction (SQLite's one writer)
        return 0
    neue = neue.order_by(VorgangZaehler.id).limit(limit)
    spalten = (VorgangZaehler.art, VorgangZaehler.oe_id, VorgangZaehler.merkmal, VorgangZaehler.wert)
    ohne_sync = {"synchronize_session": False}
    zeilen = db.session.execute(
        delete(VorgangZaehler)
        .where(VorgangZaehler.id.in_(neue.scalar_subquery()))
        .returning(*spalten, VorgangZaehler.anzahl),
        execution_options=ohne_sync,
    ).all()
    summen = _summieren(zeilen)
    schluessel = sorted(summen)
    for i in range(0, len(schluessel), 200):
        summen.update(
            _summieren(
                db.session.execute(
                    delete(VorgangZaehler)
                    .where(VorgangZaehler.verdichtet.is_(True), tuple_(*spalten).in_(schluessel[i : i + 200]))
                    .returning(*spalten, VorgangZaehler.anzahl),
                    execution_options=ohne_sync,
                ).all()
            )
        )
    neu = _zeilen(summen, verdichtet=True)
    if neu:
        db.session.execute(insert(VorgangZaehler), neu)
    return len(zeilen)


def _summieren(zeilen: Iterable) -> Counter:
    """Sum (art, oe_id, merkmal, wert, anzahl) rows per key."""
    summen: Counter = Counter()
    for art, oe_id, merkmal, wert, anzahl in zeilen:
        summen[(art, oe_id, merkmal, wert)] += anzahl
    return summen


def neu_aufbauen() -> int:
    """Replace all counts by those computed from the Vorgang table (run while no one writes); return the rows.

    No commit. Streams the Vorgänge and writes one folded row per key (timings: docs/performance.md).
    """
    db.session.execute(delete(VorgangZaehler), execution_options={"synchronize_session": False})
    summen: Counter = Counter()
    abfrage = select(*(getattr(Vorgang, feld) for feld in FELDER)).execution_options(yield_per=20_000)
    for werte in db.session.execute(abfrage):
        summen.update(beitraege(*werte))
    zeilen = _zeilen(summen, verdichtet=True)
    for i in range(0, len(zeilen), 10_000):
        db.session.execute(insert(VorgangZaehler), zeilen[i : i + 10_000])
    return len(zeilen)
