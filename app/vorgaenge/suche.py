"""Vorgang search: one function over PostgreSQL full-text search (German) and SQLite FTS5.

The searchable text of each Vorgang lives in `vorgang_suchtext` (see `webapp_models.VorgangSuchtext`). It is
written here, from SQLAlchemy mapper events, whenever a Vorgang is inserted or one of its searchable fields
changes — so every code path that creates or edits a Vorgang (intake, demo data, case actions) keeps the index
current without having to remember it.
"""

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Integer, Select, column, event, inspect, select, table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.vorgaenge.models import Vorgang
from app.vorgaenge.webapp_models import VorgangSuchtext

#: The Vorgang fields whose change requires re-indexing.
SUCHFELDER = (
    "nummer",
    "aktenzeichen",
    "antragsteller_name",
    "antragsteller",
    "formular_name",
    "formulardaten",
    "oe_id",
)
#: Words of a query: letters and digits (any script); everything else separates words.
_WORT = re.compile(r"\w+", re.UNICODE)
#: The SQLite FTS5 table over vorgang_suchtext (created by migration 0002_webapp).
FTS = table("vorgang_suche_fts", column("rowid", Integer))
#: Longest query we look at; longer input is cut (a search box, not a document).
MAX_WOERTER = 8


def suchtext(vorgang: Vorgang) -> str:
    """The text under which a Vorgang is found: ids, applicant, form name and all form data values."""
    teile: list[str] = [oe_marke(vorgang.oe_id), vorgang.nummer or "", vorgang.aktenzeichen or ""]
    teile.append(vorgang.antragsteller_name or "")
    teile.append(vorgang.formular_name or "")
    teile.extend(_werte(vorgang.antragsteller or {}))
    teile.extend(_baumwerte(vorgang.formulardaten or []))
    # Only the words: queries are split the same way, and PostgreSQL's parser would otherwise keep
    # "OA-2026/4711" or "31005-FFBZK6" as compound tokens that the words of a query do not match.
    return " ".join(_WORT.findall(_falten(" ".join(t for t in teile if t))))


def oe_marke(oe_id: int | None) -> str:
    """A token naming the Vorgang's OE in its search text, so the full-text index itself narrows to the user's OEs
    (a term common elsewhere but rare in one's own OE would otherwise walk all its matches)."""
    return f"oe{oe_id}" if oe_id else ""


def _falten(text: str) -> str:
    """ß and ss are the same letter for searching (Weiß = Weiss); both databases then agree."""
    return text.replace("ß", "ss").replace("ẞ", "SS")


def _werte(daten) -> Iterable[str]:
    """All scalar values of a nested dict/list as strings (the Antragsteller record)."""
    if isinstance(daten, dict):
        for wert in daten.values():
            yield from _werte(wert)
    elif isinstance(daten, list):
        for wert in daten:
            yield from _werte(wert)
    elif daten is not None and not isinstance(daten, bool):
        yield str(daten)


def _baumwerte(knoten: list) -> Iterable[str]:
    """The values of the form data tree (labels are not searched: they are the same on every Vorgang)."""
    for k in knoten:
        if not isinstance(k, dict):
            continue
        wert = k.get("wert")
        if wert is not None and not isinstance(wert, bool | dict | list):
            yield str(wert)
        yield from _baumwerte(k.get("kinder") or [])


def _speichern(connection, vorgang: Vorgang) -> None:
    """Upsert the search text of one Vorgang on the flushing connection (ON CONFLICT works on both databases)."""
    werte = {"vorgang_id": vorgang.id, "text": suchtext(vorgang)}
    tabelle = VorgangSuchtext.__table__
    if connection.dialect.name == "postgresql":
        stmt = pg_insert(tabelle).values(**werte)
    else:
        stmt = sqlite_insert(tabelle).values(**werte)
    connection.execute(stmt.on_conflict_do_update(index_elements=["vorgang_id"], set_={"text": werte["text"]}))


@event.listens_for(Vorgang, "after_insert")
def _nach_einfuegen(_mapper, connection, vorgang: Vorgang) -> None:
    """Index a new Vorgang in the same transaction."""
    _speichern(connection, vorgang)


@event.listens_for(Vorgang, "after_update")
def _nach_aendern(_mapper, connection, vorgang: Vorgang) -> None:
    """Re-index only when a searchable field changed (status changes, assignments etc. do not cost a write)."""
    zustand = inspect(vorgang)
    if any(zustand.attrs[feld].history.has_changes() for feld in SUCHFELDER):
        _speichern(connection, vorgang)


def woerter(anfrage: str) -> list[str]:
    """The words of a query, at most MAX_WOERTER, each at most 60 characters."""
    return [w[:60] for w in _WORT.findall(_falten(anfrage or ""))][:MAX_WOERTER]


def suchen(query: Select, anfrage: str, dialekt: str, oe_ids: list[int]) -> tuple[Select, ColumnElement | None]:
    """Restrict a Vorgang query (from `sichtbare_vorgaenge`) to matches of `anfrage`; returns it and its hit order.

    All words must match as word prefixes ("Müll" finds "Müller", "31005-FFB" the Vorgangsnummer); the user's
    OE tokens are part of the full-text query. The second value is the column that orders hits newest first
    cheaply: SQLite walks the FTS5 index backwards by rowid (= Vorgang.id) and stops after one page;
    PostgreSQL sorts the GIN matches by id. An empty query returns `query` unchanged and None.
    """
    liste = woerter(anfrage)
    if not liste:
        return query, None
    marken = [oe_marke(i) for i in oe_ids]
    if dialekt == "postgresql":
        # Words are \w+ only, so they cannot carry tsquery operators; ':*' makes each a prefix match.
        tsquery = " & ".join(f"{w}:*" for w in liste)
        if marken:
            tsquery += " & (" + " | ".join(marken) + ")"
        treffer = select(VorgangSuchtext.vorgang_id).where(
            text(
                "to_tsvector('german'::regconfig, vorgang_suchtext.text) @@ to_tsquery('german'::regconfig, :tsq)"
            ).bindparams(tsq=tsquery)
        )
        return query.where(Vorgang.id.in_(treffer)), Vorgang.id
    # FTS5: each word quoted (no operator can slip in) and made a prefix query.
    fts = " AND ".join('"' + w.replace('"', "") + '"*' for w in liste)
    if marken:
        fts += " AND (" + " OR ".join(marken) + ")"
    return (
        query.join(FTS, FTS.c.rowid == Vorgang.id).where(text("vorgang_suche_fts MATCH :fts").bindparams(fts=fts)),
        FTS.c.rowid,
    )
