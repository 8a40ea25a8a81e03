"""Writing the Historie: the one way to record what happened to a Vorgang."""

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag, Vorgang

SYSTEM = "System"


def protokolliere(
    vorgang: Vorgang,
    aktion: str,
    benutzer: Benutzer | None = None,
    vorher: dict | None = None,
    nachher: dict | None = None,
    notiz: str = "",
) -> HistorieEintrag:
    """Append one Historie entry (flushed with the caller's transaction)."""
    eintrag = HistorieEintrag(
        vorgang_id=vorgang.id,
        benutzer_id=benutzer.id if benutzer else None,
        akteur=benutzer.name if benutzer else SYSTEM,
        aktion=aktion,
        vorher=vorher,
        nachher=nachher,
        notiz=notiz,
    )
    db.session.add(eintrag)
    return eintrag
