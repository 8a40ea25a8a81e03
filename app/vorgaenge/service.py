"""Rules for Vorgänge: the tenant query helper, the people of OEs, creation and the one place a status changes."""

from datetime import datetime

from flask import abort
from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Benutzer, benutzer_oe
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.signale import vorgang_angelegt, vorgang_status_geaendert
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


def personen_der_oes(oe_ids: list[int], *, nur_aktive: bool = False) -> list[Benutzer]:
    """The people of these OEs, by name: the choices of the person filters and of "zuweisen an"."""
    query = select(Benutzer).where(
        Benutzer.id.in_(select(benutzer_oe.c.benutzer_id).where(benutzer_oe.c.oe_id.in_(oe_ids)))
    )
    if nur_aktive:
        query = query.where(Benutzer.aktiv.is_(True))
    return list(db.session.scalars(query.order_by(Benutzer.name)))


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

    Each attempt is flushed inside a savepoint, so a taken number rolls back only that attempt, never the
    caller's transaction. The search text is written by the mapper events in `app.vorgaenge.models`.
    """
    jetzt = utcnow()
    for _ in range(versuche):
        nummer = neue_vorgangsnummer(oe.nummer_prefix)
        vorgang = Vorgang(
            nummer=nummer,
            oe=oe,
            status=Status.NEU.value,
            status_seit=jetzt,
            eingangsdatum=eingangsdatum or jetzt,
            formular_id=formular_id,
            formular_name=formular_name,
            leika_ids=leika_ids or [],
            antragsteller_name=antragsteller_name,
            antragsteller=antragsteller or {},
            formulardaten=formulardaten or [],
            zustaendigkeit_pruefen=zustaendigkeit_pruefen,
        )
        try:
            with db.session.begin_nested():
                db.session.add(vorgang)
        except IntegrityError:
            if not db.session.scalar(select(exists().where(Vorgang.nummer == nummer))):
                raise  # another constraint failed, not the number
            continue
        protokolliere(vorgang, "Vorgang angelegt", nachher={"status": vorgang.status, "nummer": vorgang.nummer})
        vorgang_angelegt.send(vorgang)
        return vorgang
    raise RuntimeError("Keine freie Vorgangsnummer gefunden")


def status_setzen(vorgang: Vorgang, neuer_status: Status, benutzer: Benutzer | None = None, notiz: str = "") -> None:
    """The one place a status changes: checks the transition table and writes Historie.

    The ORM checks and bumps `Vorgang.version` on flush (`version_id_col`), so a concurrent change fails loudly.
    """
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
    vorgang_status_geaendert.send(vorgang, vorher=aktuell, nachher=neuer_status, benutzer=benutzer)
