"""Rules for Vorgänge: the tenant query helper, creation, status changes and case-level actions."""

import functools
from datetime import datetime

from flask import abort
from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import Benutzer
from app.database import KompilierteAnweisung
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.vorgaenge.nummer import neue_vorgangsnummer
from app.vorgaenge.status import Status, UngueltigerStatuswechsel, erlaubte_ziele


def sichtbare_vorgaenge(benutzer: Benutzer) -> Select[tuple[Vorgang]]:
    """The one query every list and lookup starts from: only Vorgänge of the user's OEs."""
    return select(Vorgang).where(Vorgang.oe_id.in_(benutzer.oe_ids))


def vorgang_oder_404(benutzer: Benutzer, nummer: str, *, sperren: bool = False) -> Vorgang:
    """The Vorgang with this number if the user may see it; a foreign or unknown one is a 404."""
    query = sichtbare_vorgaenge(benutzer).where(Vorgang.nummer == nummer)
    if sperren:
        query = query.with_for_update(of=Vorgang)
    vorgang = db.session.scalars(query).first()
    if vorgang is None:
        abort(404)
    return vorgang


def anlegen(
    oe: Organisationseinheit,
    *,
    formular_id: str = "",
    formular_name: str = "",
    leika_ids: list[str] | None = None,
    antragsteller: dict | None = None,
    antragsteller_name: str = "",
    formulardaten: list | None = None,
    eingangsdatum: datetime | None = None,
    zustaendigkeit_pruefen: bool = False,
    versuche: int = 20,
) -> Vorgang:
    """Create a Vorgang in status Neu with a fresh Vorgangsnummer, retrying on the rare collision.

    The row is written at once with `INSERT … ON CONFLICT (nummer) DO NOTHING RETURNING id` (PostgreSQL and
    SQLite ≥ 3.35): a taken number returns no row and the next one is tried — no savepoint, and the caller's
    transaction is never aborted by the collision. The search text is written alongside (on PostgreSQL in the
    same statement), as `app.vorgaenge.suche` asks of writers that bypass the ORM; the Vorgang is then attached
    to the session as a persistent object, so later changes go through the ORM as usual.
    """
    jetzt = utcnow()
    werte = {
        "oe_id": oe.id,
        "aktenzeichen": None,
        "status": Status.NEU.value,
        "vorheriger_status": None,
        "status_seit": jetzt,
        "eingangsdatum": eingangsdatum or jetzt,
        "formular_id": formular_id,
        "formular_name": formular_name,
        "leika_ids": leika_ids or [],
        "bearbeiter_id": None,
        "antragsteller_name": antragsteller_name,
        "antragsteller": antragsteller or {},
        "formulardaten": formulardaten or [],
        "zustaendigkeit_pruefen": zustaendigkeit_pruefen,
        "loeschung_beantragt_von_id": None,
        "version": 1,
    }
    for _ in range(versuche):
        vorgang = Vorgang(nummer=neue_vorgangsnummer(oe.nummer_prefix), **werte)
        vorgang_id = _einfuegen(vorgang)
        if vorgang_id is None:
            continue  # the number is taken
        vorgang.id = vorgang_id
        make_transient_to_detached(vorgang)
        db.session.add(vorgang)
        set_committed_value(vorgang, "oe", oe)
        protokolliere(vorgang, "Vorgang angelegt", nachher={"status": vorgang.status, "nummer": vorgang.nummer})
        return vorgang
    raise RuntimeError("Keine freie Vorgangsnummer gefunden")


def _einfuegen(vorgang: Vorgang) -> int | None:
    """Insert the (transient) Vorgang and its search text; its id, or None when the number is taken."""
    from app.vorgaenge.suche import suchtext

    # the values set on the object; columns it leaves unset get their defaults from the table
    werte = {
        spalte.key: vorgang.__dict__[spalte.key]
        for spalte in Vorgang.__table__.columns
        if spalte.key in vorgang.__dict__
    }
    dialekt = db.session.get_bind().dialect.name
    stmt, such = _einfuege_anweisungen(dialekt, tuple(werte))
    parameter = {f"v_{spalte}": wert for spalte, wert in werte.items()}
    if dialekt == "postgresql":  # one round trip: the search row comes from the CTE, empty on a collision
        return stmt.ausfuehren({**parameter, "s_text": suchtext(vorgang)}).wert
    vorgang_id = stmt.ausfuehren(parameter).wert
    if vorgang_id is not None:
        such.ausfuehren({"s_vorgang_id": vorgang_id, "s_text": suchtext(vorgang)})
    return vorgang_id


@functools.lru_cache(maxsize=16)
def _einfuege_anweisungen(dialekt: str, spalten: tuple):
    """The insert statements of `_einfuegen`, built and compiled once per dialect and column set
    (`KompilierteAnweisung`: every application of the intake runs them): PostgreSQL one CTE statement, SQLite two."""
    from app.vorgaenge.webapp_models import VorgangSuchtext

    tabelle, such = Vorgang.__table__, VorgangSuchtext.__table__
    einfuegen = (pg_insert if dialekt == "postgresql" else sqlite_insert)(tabelle)
    neu = (
        einfuegen.values({s: bindparam(f"v_{s}", type_=tabelle.c[s].type) for s in spalten})
        .on_conflict_do_nothing(index_elements=["nummer"])
        .returning(tabelle.c.id)
    )
    text = bindparam("s_text", type_=such.c.text.type)
    if dialekt != "postgresql":
        vorgang_id = bindparam("s_vorgang_id", type_=such.c.vorgang_id.type)
        return KompilierteAnweisung(neu), KompilierteAnweisung(insert(such).values(vorgang_id=vorgang_id, text=text))
    neu = neu.cte("neuer_vorgang")
    such_insert = insert(such).from_select(["vorgang_id", "text"], select(neu.c.id, text))
    such_cte = such_insert.returning(such.c.vorgang_id).cte("neuer_suchtext")
    return KompilierteAnweisung(select(neu.c.id).add_cte(such_cte)), None


def status_setzen(vorgang: Vorgang, neuer_status: Status, benutzer: Benutzer | None = None, notiz: str = "") -> None:
    """The one place a status changes: checks the transition table, writes Historie, bumps the version."""
    aktuell = vorgang.status_enum
    vorheriger = Status(vorgang.vorheriger_status) if vorgang.vorheriger_status else None
    if neuer_status not in erlaubte_ziele(aktuell, vorheriger):
        raise UngueltigerStatuswechsel(aktuell, neuer_status)
    vorgang.vorheriger_status = aktuell.value
    vorgang.status = neuer_status.value
    vorgang.status_seit = utcnow()
    if aktuell is Status.ZU_LOESCHEN:
        vorgang.loeschung_beantragt_von_id = None
    protokolliere(
        vorgang, "Status geändert", benutzer, {"status": aktuell.value}, {"status": neuer_status.value}, notiz
    )
