"""The task inbox: tasks that are mine, and tasks my roles could take on; sorted by due date, one page at a time.

Mine: assigned to me by the procedure (camunda:assignee), or on a Vorgang I work on with a role of mine — and the
same for colleagues I deputise for today (Vertretung).
Open for my roles: a role of mine may do it, and either nobody works on the Vorgang yet, or the task is for a
role other than Sachbearbeitung (a Leitung approval on a colleague's Vorgang). Tasks of Vorgänge a colleague
works on stay theirs.
"""

from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select

from app.auth.models import Benutzer
from app.engine.aufgaben import hat_kandidatenrolle
from app.engine.models import AKTIV, ProzessAufgabe, ProzessInstanz
from app.extensions import db
from app.vertretung.service import vertretene
from app.vorgaenge.models import Vorgang

#: The two parts of the inbox: key → title.
TEILE = {"meine": "Mir zugewiesen", "offen": "Für meine Rollen offen"}
#: Sort orders: key → label.
SORTIERUNGEN = {
    "faellig": "Fällig, früheste zuerst",
    "faellig_ab": "Fällig, späteste zuerst",
    "neueste": "Neueste zuerst",
}


@dataclass
class Seite:
    """One page of a part of the inbox."""

    zeilen: list[tuple[ProzessAufgabe, Vorgang]]
    seite: int
    seiten: int
    anzahl: dict[str, int]


def _bedingung(benutzer: Benutzer, teil: str):
    """SQL condition of one part of the inbox."""
    meine_rolle = hat_kandidatenrolle(list(benutzer.rollen or []))
    # Every comparison with a NULL column is guarded, so NOT(meine) is true, not NULL, for unassigned rows.
    ich = [benutzer, *vertretene(benutzer)]  # and the colleagues I deputise for today
    persoenlich = and_(
        ProzessAufgabe.zugewiesen_an.is_not(None), ProzessAufgabe.zugewiesen_an.in_([b.login for b in ich])
    )
    mein_vorgang = and_(Vorgang.bearbeiter_id.is_not(None), Vorgang.bearbeiter_id.in_([b.id for b in ich]))
    meine = or_(persoenlich, and_(mein_vorgang, meine_rolle))
    if teil == "meine":
        return meine
    fuer_sachbearbeitung = hat_kandidatenrolle(["sachbearbeitung"])
    return and_(
        not_(meine),
        meine_rolle,
        ProzessAufgabe.zugewiesen_an.is_(None),
        or_(Vorgang.bearbeiter_id.is_(None), not_(fuer_sachbearbeitung)),
    )


def _abfrage(benutzer: Benutzer, teil: str, *spalten):
    """Open tasks of active instances on the user's OEs, in one part of the inbox."""
    return (
        select(*spalten)
        .join(ProzessInstanz, ProzessInstanz.id == ProzessAufgabe.instanz_id)
        .join(Vorgang, Vorgang.id == ProzessAufgabe.vorgang_id)
        .where(
            ProzessInstanz.zustand_art == AKTIV,
            Vorgang.oe_id.in_(benutzer.oe_ids),
            _bedingung(benutzer, teil),
        )
    )


def _ordnung(sortierung: str) -> tuple:
    """ORDER BY of a sort key; tasks without due date last, ties by age and id (stable pages)."""
    if sortierung == "neueste":
        return (ProzessAufgabe.erstellt_am.desc(), ProzessAufgabe.task_id)
    faellig = ProzessAufgabe.faellig.desc() if sortierung == "faellig_ab" else ProzessAufgabe.faellig.asc()
    return (ProzessAufgabe.faellig.is_(None), faellig, ProzessAufgabe.erstellt_am, ProzessAufgabe.task_id)


def seite_laden(benutzer: Benutzer, teil: str, sortierung: str, seite: int, groesse: int) -> Seite:
    """One page of `teil` in `sortierung`; counts of both parts for the tabs. A page past the end shows the
    last one."""
    anzahl = {
        name: db.session.scalar(_abfrage(benutzer, name, func.count()).select_from(ProzessAufgabe)) or 0
        for name in TEILE
    }
    seiten = max(1, -(-anzahl[teil] // groesse))
    seite = min(max(seite, 1), seiten)
    query = (
        _abfrage(benutzer, teil, ProzessAufgabe, Vorgang)
        .order_by(*_ordnung(sortierung))
        .limit(groesse)
        .offset((seite - 1) * groesse)
    )
    return Seite([(a, v) for a, v in db.session.execute(query)], seite, seiten, anzahl)


def offen_fuer_rollen(benutzer: Benutzer, hoechstens: int = 100) -> int:
    """How many tasks are open for the user's roles (the menu badge), counted up to `hoechstens` so the count
    stays cheap on a large inbox."""
    erste = _abfrage(benutzer, "offen", ProzessAufgabe.task_id).limit(hoechstens).subquery()
    return db.session.scalar(select(func.count()).select_from(erste)) or 0
