"""One action on several Vorgänge of the list: each in its own savepoint, so one refusal does not undo the
others; the result says per Vorgang what happened or why not."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge.aktionen import AktionNichtErlaubt
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import sichtbare_vorgaenge
from app.vorgaenge.status import UngueltigerStatuswechsel

#: At most this many Vorgänge per request (one list page).
HOECHSTENS = 100


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
