"""One action on several Vorgänge of the list: each in its own savepoint, so one refusal does not undo the
others; the result says per Vorgang what happened or why not."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Benutzer
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import heute
from app.vorgaenge import aktionen
from app.vorgaenge.aktionen import AktionNichtErlaubt
from app.vorgaenge.datum import datum_lesen, datum_text
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import sichtbare_vorgaenge
from app.vorgaenge.status import UngueltigerStatuswechsel

#: At most this many Vorgänge per request (one list page).
HOECHSTENS = 100
#: Bulk actions: key → (label, verb for the summary).
AKTIONEN = {
    "uebernehmen": ("Übernehmen (mir zuweisen)", "übernommen"),
    "zuweisen": ("Zuweisen an …", "zugewiesen"),
    "wiedervorlage": ("Wiedervorlage setzen …", "mit Wiedervorlage versehen"),
    "weiterleiten": ("Weiterleiten an …", "weitergeleitet"),
}


@dataclass
class Ergebnis:
    """What a bulk action did: the numbers it changed, and per refused number the reason."""

    erledigt: list[str] = field(default_factory=list)
    abgelehnt: list[tuple[str, str]] = field(default_factory=list)


def ausfuehren(benutzer: Benutzer, nummern: list[str], aktion: Callable[[Vorgang], None]) -> Ergebnis:
    """Run `aktion` on each visible Vorgang of `nummern` (locked, in list order); the caller commits.

    A refusal of the rules (AktionNichtErlaubt, an invalid status change, a ValueError of a lower service such
    as WiedervorlageFehler) or a concurrent change rolls back only that Vorgang's savepoint.
    """
    nummern = list(dict.fromkeys(n for n in nummern if n))[:HOECHSTENS]
    ergebnis = Ergebnis()
    gefunden = {
        v.nummer: v
        for v in db.session.scalars(
            sichtbare_vorgaenge(benutzer).where(Vorgang.nummer.in_(nummern)).with_for_update(of=Vorgang)
        )
    }
    for nummer in nummern:
        vorgang = gefunden.get(nummer)
        if vorgang is None:
            ergebnis.abgelehnt.append((nummer, "Vorgang nicht gefunden."))
            continue
        try:
            with db.session.begin_nested():
                aktion(vorgang)
        except (AktionNichtErlaubt, UngueltigerStatuswechsel, ValueError) as grund:
            ergebnis.abgelehnt.append((nummer, str(grund)))
        except StaleDataError:
            ergebnis.abgelehnt.append((nummer, "Jemand hat den Vorgang gerade geändert; bitte erneut versuchen."))
        else:
            ergebnis.erledigt.append(nummer)
    return ergebnis


def aktion_bauen(name: str, formular, ich: Benutzer, wiedervorlage_setzen: Callable) -> Callable[[Vorgang], None]:
    """The per-Vorgang function of a bulk action from the submitted form, its parameters checked once (ValueError
    with a German message). `wiedervorlage_setzen(vorgang, betreff, frist, ich)` comes from the caller: the
    Wiedervorlagen slice sits above this one."""
    if name == "uebernehmen":
        return lambda v: aktionen.zuweisen(v, ich, ich)
    if name == "zuweisen":
        an = db.session.get(Benutzer, formular.get("an", type=int) or 0)
        if an is None:
            raise ValueError("Bitte wählen Sie aus, wem die Vorgänge zugewiesen werden.")
        return lambda v: aktionen.zuweisen(v, ich, an)
    if name == "weiterleiten":
        ziel = db.session.get(Organisationseinheit, formular.get("ziel", type=int) or 0)
        if ziel is None:
            raise ValueError("Bitte wählen Sie die Organisationseinheit, an die weitergeleitet wird.")
        return lambda v: aktionen.weiterleiten(v, ich, ziel, "Sammelweiterleitung aus der Vorgangsliste")
    betreff = (formular.get("betreff") or "").strip()[:300]
    if not betreff:
        raise ValueError("Bitte geben Sie den Betreff der Wiedervorlage an.")
    frist = datum_lesen(formular.get("frist", ""))
    if frist < heute():
        raise ValueError(f"Die Frist {datum_text(frist)} liegt in der Vergangenheit.")
    return lambda v: wiedervorlage_setzen(v, betreff, frist, ich)
