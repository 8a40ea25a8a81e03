"""Rules of Vertretung: who deputises for whom today, and setting or ending an absence."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import Benutzer
from app.extensions import db
from app.timeutil import heute
from app.vertretung.models import Vertretung

#: Roles whose holders can deputise (they work on Vorgänge).
BEARBEITENDE_ROLLEN = ("sachbearbeitung", "leitung")


class VertretungFehler(ValueError):
    """An absence the rules do not allow (shown as a message)."""


def vertretene(benutzer: Benutzer, stichtag: date | None = None) -> list[Benutzer]:
    """The people `benutzer` deputises for on `stichtag` (today)."""
    tag = stichtag or heute()
    return list(
        db.session.scalars(
            select(Benutzer)
            .join(Vertretung, Vertretung.benutzer_id == Benutzer.id)
            .where(Vertretung.vertreter_id == benutzer.id, Vertretung.von <= tag, Vertretung.bis >= tag)
            .order_by(Benutzer.name)
        ).unique()
    )


def vertreter_von(benutzer_ids: list[int], stichtag: date | None = None) -> dict[int, Benutzer]:
    """For those of `benutzer_ids` who are absent on `stichtag`: their deputy (one query)."""
    if not benutzer_ids:
        return {}
    tag = stichtag or heute()
    zeilen = db.session.scalars(
        select(Vertretung)
        .options(joinedload(Vertretung.vertreter))
        .where(Vertretung.benutzer_id.in_(benutzer_ids), Vertretung.von <= tag, Vertretung.bis >= tag)
    )
    return {v.benutzer_id: v.vertreter for v in zeilen if v.vertreter.aktiv}


def abwesenheiten(benutzer: Benutzer) -> list[Vertretung]:
    """The user's current and future absences, earliest first."""
    return list(
        db.session.scalars(
            select(Vertretung)
            .where(Vertretung.benutzer_id == benutzer.id, Vertretung.bis >= heute())
            .order_by(Vertretung.von)
        )
    )


def moegliche_vertreter(benutzer: Benutzer) -> list[Benutzer]:
    """Active colleagues of the user's OEs who work on Vorgänge, by name."""
    return [
        b
        for b in db.session.scalars(select(Benutzer).where(Benutzer.aktiv.is_(True)).order_by(Benutzer.name))
        if b.id != benutzer.id and set(b.oe_ids) & set(benutzer.oe_ids) and b.hat_rolle(*BEARBEITENDE_ROLLEN)
    ]


def abwesenheit_eintragen(benutzer: Benutzer, vertreter: Benutzer | None, von: date, bis: date) -> Vertretung:
    """Record an absence with a deputy; no overlap with another of the user's absences. No commit."""
    if vertreter is None or vertreter.id not in {b.id for b in moegliche_vertreter(benutzer)}:
        raise VertretungFehler("Bitte wählen Sie eine Kollegin oder einen Kollegen Ihrer Organisationseinheit.")
    if bis < von:
        raise VertretungFehler("Das Ende der Abwesenheit liegt vor ihrem Anfang.")
    if bis < heute():
        raise VertretungFehler("Die Abwesenheit liegt ganz in der Vergangenheit.")
    for andere in abwesenheiten(benutzer):
        if andere.von <= bis and von <= andere.bis:
            raise VertretungFehler("In diesem Zeitraum ist schon eine Abwesenheit eingetragen.")
    eintrag = Vertretung(benutzer_id=benutzer.id, vertreter_id=vertreter.id, von=von, bis=bis)
    db.session.add(eintrag)
    db.session.flush()
    return eintrag


def abwesenheit_loeschen(benutzer: Benutzer, vertretung_id: int) -> None:
    """End (delete) one of the user's own absences. No commit."""
    eintrag = db.session.get(Vertretung, vertretung_id)
    if eintrag is None or eintrag.benutzer_id != benutzer.id:
        raise VertretungFehler("Diese Abwesenheit gibt es nicht.")
    db.session.delete(eintrag)
