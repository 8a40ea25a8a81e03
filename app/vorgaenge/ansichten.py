"""Saved views of the Vorgangsliste: a named filter and sort, kept per user; a Leitung shares one with an OE."""

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import ForeignKey, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.models import Benutzer
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.aktionen import AktionNichtErlaubt
from app.vorgaenge.liste import Filter

#: How many views one user may keep (the side navigation stays short).
HOECHSTENS = 30


class GespeicherteAnsicht(db.Model):
    """A named list filter: the query string of the list, owned by a user or shared with an OE."""

    __tablename__ = "gespeicherte_ansicht"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    #: The list's URL arguments (`status=neu&formular=…`), as `Filter.als_args` writes them.
    abfrage: Mapped[str] = mapped_column(Text, default="")
    benutzer_id: Mapped[int] = mapped_column(ForeignKey("benutzer.id", ondelete="CASCADE"), index=True)
    #: Set when a Leitung shares the view with everyone of this OE.
    oe_id: Mapped[int | None] = mapped_column(ForeignKey("organisationseinheit.id", ondelete="CASCADE"), index=True)
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def ansichten(benutzer: Benutzer) -> list[GespeicherteAnsicht]:
    """The user's own views and those shared with one of their OEs, by name."""
    return list(
        db.session.scalars(
            select(GespeicherteAnsicht)
            .where(or_(GespeicherteAnsicht.benutzer_id == benutzer.id, GespeicherteAnsicht.oe_id.in_(benutzer.oe_ids)))
            .order_by(GespeicherteAnsicht.oe_id.is_not(None), GespeicherteAnsicht.name, GespeicherteAnsicht.id)
        )
    )


def speichern(benutzer: Benutzer, name: str, f: Filter, oe_id: int | None = None) -> GespeicherteAnsicht:
    """Keep the filter `f` under `name`; `oe_id` shares it (Leitung of that OE only). No commit."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise AktionNichtErlaubt("Bitte geben Sie der Ansicht einen Namen.")
    if oe_id is not None and (not benutzer.hat_rolle("leitung") or oe_id not in benutzer.oe_ids):
        raise AktionNichtErlaubt("Nur die Leitung kann Ansichten für ihre Organisationseinheit freigeben.")
    eigene = db.session.scalars(select(GespeicherteAnsicht.id).where(GespeicherteAnsicht.benutzer_id == benutzer.id))
    if len(list(eigene)) >= HOECHSTENS:
        raise AktionNichtErlaubt(f"Sie können höchstens {HOECHSTENS} Ansichten speichern.")
    ansicht = GespeicherteAnsicht(name=name, abfrage=urlencode(f.als_args()), benutzer_id=benutzer.id, oe_id=oe_id)
    db.session.add(ansicht)
    db.session.flush()
    return ansicht


def loeschen(benutzer: Benutzer, ansicht_id: int) -> str:
    """Delete an own view, or (Leitung) one shared with their OE; returns its name. No commit."""
    ansicht = db.session.get(GespeicherteAnsicht, ansicht_id)
    darf = ansicht is not None and (
        ansicht.benutzer_id == benutzer.id or (ansicht.oe_id in benutzer.oe_ids and benutzer.hat_rolle("leitung"))
    )
    if not darf:
        raise AktionNichtErlaubt("Diese Ansicht können Sie nicht löschen.")
    db.session.delete(ansicht)
    return ansicht.name
