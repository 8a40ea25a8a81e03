"""Vorgang search: one function over PostgreSQL full-text search (German) and SQLite FTS5.

The searchable text of each Vorgang lives in `vorgang_suchtext` (`models.VorgangSuchtext`, written by the mapper
events there); words are split and folded by `app.vorgaenge.suchtext`.
"""

from sqlalchemy import ColumnElement, Integer, Select, column, select, table, text

from app.vorgaenge.models import Vorgang, VorgangSuchtext
from app.vorgaenge.suchtext import oe_marke, woerter

#: The SQLite FTS5 table over vorgang_suchtext (created by migration 0002_webapp).
FTS = table("vorgang_suche_fts", column("rowid", Integer))


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
