"""Vorgang search: one function over PostgreSQL full-text search (German) and SQLite FTS5.

The searchable text of each Vorgang lives in `vorgang_suchtext` (see `webapp_models.VorgangSuchtext`). It is
written here, from SQLAlchemy mapper events, whenever a Vorgang is inserted or one of its searchable fields
changes — so every code path that creates or edits a Vorgang through the ORM (intake, demo data, case actions)
keeps the index current without having to remember it. Bulk loads that bypass the ORM (the benchmark) fill the
table themselves with `suchtext`.
"""

import re
from collections.abc import Iterable

from sqlalchemy import Select, event, inspect, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.vorgaenge.models import Vorgang
from app.vorgaenge.webapp_models import VorgangSuchtext

#: The Vorgang fields whose change requires re-indexing.
SUCHFELDER = ("nummer", "aktenzeichen", "antragsteller_name", "antragsteller", "formular_name", "formulardaten")
#: Words of a query: letters and digits (any script); everything else separates words.
_WORT = re.compile(r"\w+", re.UNICODE)
#: Longest query we look at; longer input is cut (a search box, not a document).
MAX_WOERTER = 8


def suchtext(vorgang: Vorgang) -> str:
    """The text under which a Vorgang is found: ids, applicant, form name and all form data values."""
    teile: list[str] = [vorgang.nummer or "", vorgang.aktenzeichen or "", vorgang.antragsteller_name or ""]
    teile.append(vorgang.formular_name or "")
    teile.extend(_werte(vorgang.antragsteller or {}))
    teile.extend(_baumwerte(vorgang.formulardaten or []))
    return _falten(" ".join(t for t in teile if t))


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


def suchen(query: Select, anfrage: str, dialekt: str) -> Select:
    """Restrict a Vorgang query (from `sichtbare_vorgaenge`) to matches of `anfrage`.

    All words must match as word prefixes ("Müll" finds "Müller"); an exact Vorgangsnummer or Aktenzeichen
    matches too, through their own indexes. An empty query leaves `query` unchanged.
    """
    liste = woerter(anfrage)
    if not liste:
        return query
    roh = anfrage.strip()
    if dialekt == "postgresql":
        # Words are \w+ only, so they cannot carry tsquery operators; ':*' makes each a prefix match.
        tsquery = " & ".join(f"{w}:*" for w in liste)
        treffer = select(VorgangSuchtext.vorgang_id).where(
            text("to_tsvector('german'::regconfig, vorgang_suchtext.text) @@ to_tsquery('german'::regconfig, :tsq)")
            .bindparams(tsq=tsquery)
        )
    else:
        # FTS5: each word quoted (no operator can slip in) and made a prefix query.
        fts = " ".join('"' + w.replace('"', "") + '"*' for w in liste)
        treffer = (
            select(text("rowid"))
            .select_from(text("vorgang_suche_fts"))
            .where(text("vorgang_suche_fts MATCH :fts").bindparams(fts=fts))
        )
    return query.where(
        or_(Vorgang.nummer == roh.upper(), Vorgang.aktenzeichen == roh, Vorgang.id.in_(treffer))
    )
