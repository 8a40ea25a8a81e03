"""Case actions on a Vorgang: the rules behind the buttons of the detail page.

Every function takes the Vorgang (already checked for visibility through `vorgang_oder_404`, ideally locked
with `sperren=True`) and the acting Benutzer, enforces roles and OE membership, changes the status only
through `status_setzen`, writes Historie and flushes — the caller commits (one request = one transaction).
Refusals raise `AktionNichtErlaubt` with a German message for the user.
"""

import logging
import re
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Benutzer
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.signale import nachricht_eingegangen, vorgang_verworfen, vorgang_zugewiesen
from app.timeutil import utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import AktenzeichenZaehler, Kommentar, UngeleseneNachricht, Vorgang
from app.vorgaenge.service import personen_der_oes, status_setzen
from app.vorgaenge.status import OFFEN, Status

log = logging.getLogger(__name__)

#: Roles that may act on Vorgänge at all.
BEARBEITENDE_ROLLEN = ("sachbearbeitung", "leitung")
#: Longest comment, note or reason accepted.
MAX_TEXT = 10_000
_PLATZHALTER = re.compile(r"\{(OE|JAHR|LAUFNR)(?::(\d{1,2}))?\}")


class AktionNichtErlaubt(Exception):
    """The action is not allowed for this user or in this state; the message is shown as is."""


def darf_vorgaenge_bearbeiten(benutzer: Benutzer) -> bool:
    """Whether the user's roles allow acting on Vorgänge at all: caseworkers and team leads act, designers and
    admins only look (OE membership and status are checked per action)."""
    return benutzer.hat_rolle(*BEARBEITENDE_ROLLEN)


def _pruefen(vorgang: Vorgang, benutzer: Benutzer, *, offen: bool = True) -> None:
    """Common checks: role, OE membership, and (for most actions) that the Vorgang is still open."""
    if not darf_vorgaenge_bearbeiten(benutzer):
        raise AktionNichtErlaubt("Für diese Aktion fehlt Ihnen die Berechtigung.")
    if vorgang.oe_id not in benutzer.oe_ids:
        raise AktionNichtErlaubt("Der Vorgang gehört nicht zu Ihrer Organisationseinheit.")
    if offen and vorgang.status_enum not in OFFEN:
        raise AktionNichtErlaubt(f"Im Status „{vorgang.status}“ ist diese Aktion nicht möglich.")


def nur_text(wert: str | None) -> str:
    """Trimmed text without control characters other than line breaks and tabs."""
    return "".join(c for c in (wert or "") if c.isprintable() or c in "\n\t").strip()


def _text(wert: str, feld: str, pflicht: bool = True) -> str:
    """Trimmed user text; empty or overlong input is refused."""
    wert = nur_text(wert)
    if pflicht and not wert:
        raise AktionNichtErlaubt(f"Bitte geben Sie {feld} ein.")
    if len(wert) > MAX_TEXT:
        raise AktionNichtErlaubt(f"{feld} ist zu lang (höchstens {MAX_TEXT} Zeichen).")
    return wert


# --- Status actions -------------------------------------------------------------------------------------------


def annehmen(vorgang: Vorgang, benutzer: Benutzer, notiz: str = "") -> None:
    """Accept a new Vorgang (Neu → Angenommen); the taker becomes its caseworker if nobody is assigned."""
    _pruefen(vorgang, benutzer)
    status_setzen(vorgang, Status.ANGENOMMEN, benutzer, _text(notiz, "eine Notiz", pflicht=False))
    if vorgang.bearbeiter_id is None:
        _zuweisung_schreiben(vorgang, benutzer, benutzer)


#: Where "weiter" leads when no procedure step steers the Vorgang (e.g. after wiedereröffnen).
WEITER = {
    Status.ANGENOMMEN: Status.IN_BEARBEITUNG,
    Status.IN_BEARBEITUNG: Status.BESCHIEDEN,
    Status.BESCHIEDEN: Status.ABGESCHLOSSEN,
}


def weiter(vorgang: Vorgang, benutzer: Benutzer, *, aufgabe_offen: bool) -> Status:
    """Move the Vorgang one status on when its procedure has no open task (it has ended or was reopened).

    While a procedure task is open, the procedure decides the status; this action is then refused. The caller
    (the view, which may ask the engine) says whether a task is open: the engine sits above this slice.
    """
    _pruefen(vorgang, benutzer)
    ziel = WEITER.get(vorgang.status_enum)
    if ziel is None or aufgabe_offen:
        raise AktionNichtErlaubt("Der Status dieses Vorgangs wird durch die offenen Aufgaben des Verfahrens bestimmt.")
    status_setzen(vorgang, ziel, benutzer)
    return ziel


def verwerfen(vorgang: Vorgang, benutzer: Benutzer, begruendung: str) -> None:
    """Reject a Vorgang (e.g. spam, duplicate); a reason is required.

    Sends `vorgang_verworfen`: the engine's receiver cancels a running procedure in the same transaction.
    """
    _pruefen(vorgang, benutzer)
    grund = _text(begruendung, "eine Begründung")
    status_setzen(vorgang, Status.VERWORFEN, benutzer, grund)
    vorgang_verworfen.send(vorgang, benutzer=benutzer, grund=grund)


def wiedereroeffnen(vorgang: Vorgang, benutzer: Benutzer, begruendung: str = "") -> None:
    """Reopen: Abgeschlossen → In Bearbeitung, Verworfen → Neu."""
    _pruefen(vorgang, benutzer, offen=False)
    ziel = {Status.ABGESCHLOSSEN: Status.IN_BEARBEITUNG, Status.VERWORFEN: Status.NEU}.get(vorgang.status_enum)
    if ziel is None:
        raise AktionNichtErlaubt("Nur abgeschlossene oder verworfene Vorgänge können wiedereröffnet werden.")
    status_setzen(vorgang, ziel, benutzer, _text(begruendung, "eine Begründung", pflicht=False))


def loeschen_beantragen(vorgang: Vorgang, benutzer: Benutzer, begruendung: str) -> None:
    """Ask for deletion (status Zu Löschen); a second person must confirm it."""
    _pruefen(vorgang, benutzer, offen=False)
    if vorgang.status_enum not in {Status.ABGESCHLOSSEN, Status.VERWORFEN, Status.WEITERGELEITET}:
        raise AktionNichtErlaubt(
            "Löschen kann nur für abgeschlossene, verworfene oder weitergeleitete Vorgänge beantragt werden."
        )
    status_setzen(vorgang, Status.ZU_LOESCHEN, benutzer, _text(begruendung, "eine Begründung"))
    vorgang.loeschung_beantragt_von_id = benutzer.id


def loeschung_ablehnen(vorgang: Vorgang, benutzer: Benutzer, begruendung: str = "") -> None:
    """Refuse a deletion request: the Vorgang returns to the status it had before."""
    _pruefen(vorgang, benutzer, offen=False)
    if vorgang.status_enum is not Status.ZU_LOESCHEN or not vorgang.vorheriger_status:
        raise AktionNichtErlaubt("Für diesen Vorgang ist keine Löschung beantragt.")
    status_setzen(
        vorgang,
        Status(vorgang.vorheriger_status),
        benutzer,
        _text(begruendung, "eine Begründung", pflicht=False) or "Löschung abgelehnt",
    )


def loeschung_bestaetigen(vorgang: Vorgang, benutzer: Benutzer) -> str:
    """Second person confirms the deletion: the Vorgang and everything on it is deleted; returns its number.

    The Historie goes with it (that is the point of deleting personal data); the log keeps who deleted what.
    Files stay in the content-addressed store while other Anhänge may share them.
    """
    _pruefen(vorgang, benutzer, offen=False)
    if vorgang.status_enum is not Status.ZU_LOESCHEN:
        raise AktionNichtErlaubt("Für diesen Vorgang ist keine Löschung beantragt.")
    if vorgang.loeschung_beantragt_von_id in (None, benutzer.id):
        raise AktionNichtErlaubt("Die Löschung muss eine zweite Person bestätigen, nicht die antragstellende.")
    nummer = vorgang.nummer
    log.info(
        "Vorgang %s gelöscht von %s (beantragt von Benutzer-ID %s)",
        nummer,
        benutzer.login,
        vorgang.loeschung_beantragt_von_id,
    )
    db.session.delete(vorgang)
    db.session.flush()
    return nummer


# --- Assignment -----------------------------------------------------------------------------------------------


def kollegen(vorgang: Vorgang) -> list[Benutzer]:
    """Active caseworkers and team leads of the Vorgang's OE, by name (for the "zuweisen an" choice)."""
    return [b for b in personen_der_oes([vorgang.oe_id], nur_aktive=True) if darf_vorgaenge_bearbeiten(b)]


def zuweisen(vorgang: Vorgang, benutzer: Benutzer, an: Benutzer | None) -> None:
    """Assign to `an` (None = freigeben).

    Anyone who may work on the Vorgang takes an unassigned one or releases their own; moving a Vorgang that
    someone else holds, or handing it to a colleague, is for team leads — or for the current holder.
    """
    _pruefen(vorgang, benutzer)
    aktuell = vorgang.bearbeiter_id
    if an is not None and (vorgang.oe_id not in an.oe_ids or not darf_vorgaenge_bearbeiten(an) or not an.aktiv):
        raise AktionNichtErlaubt(
            "Diese Person kann den Vorgang nicht übernehmen (andere Organisationseinheit oder keine Sachbearbeitung)."
        )
    ist_leitung = benutzer.hat_rolle("leitung")
    if not ist_leitung:
        if aktuell not in (None, benutzer.id):
            raise AktionNichtErlaubt(
                "Der Vorgang ist einer anderen Person zugewiesen. Nur die Leitung kann ihn umverteilen."
            )
        if aktuell is None and an is not None and an.id != benutzer.id:
            raise AktionNichtErlaubt(
                "Nicht zugewiesene Vorgänge können Sie nur selbst übernehmen; die Leitung verteilt sie an andere."
            )
    if (an.id if an else None) == aktuell:
        return
    _zuweisung_schreiben(vorgang, benutzer, an)


def _zuweisung_schreiben(vorgang: Vorgang, benutzer: Benutzer, an: Benutzer | None) -> None:
    """Set the caseworker and record before/after."""
    vorher = vorgang.bearbeiter
    vorgang.bearbeiter_id = an.id if an else None
    vorgang.bearbeiter = an
    protokolliere(
        vorgang,
        "Zuweisung geändert" if an else "Vorgang freigegeben",
        benutzer,
        {"bearbeiter": vorher.name if vorher else None},
        {"bearbeiter": an.name if an else None},
    )
    vorgang_zugewiesen.send(vorgang, vorher=vorher, nachher=an, benutzer=benutzer)


# --- Aktenzeichen ---------------------------------------------------------------------------------------------


def aktenzeichen_setzen(vorgang: Vorgang, benutzer: Benutzer, aktenzeichen: str | None = None) -> str:
    """Set the Aktenzeichen: the given free text, or (None/empty) generated from the OE's pattern."""
    _pruefen(vorgang, benutzer)
    wert = nur_text(aktenzeichen or "")
    if len(wert) > 100:
        raise AktionNichtErlaubt("Das Aktenzeichen ist zu lang (höchstens 100 Zeichen).")
    if not wert:
        wert = aktenzeichen_erzeugen(vorgang.oe)
    vorher = vorgang.aktenzeichen
    vorgang.aktenzeichen = wert
    protokolliere(vorgang, "Aktenzeichen gesetzt", benutzer, {"aktenzeichen": vorher}, {"aktenzeichen": wert})
    return wert


def aktenzeichen_erzeugen(oe: Organisationseinheit, jetzt: datetime | None = None) -> str:
    """The next Aktenzeichen from the OE's pattern, e.g. `{OE}-{JAHR}-{LAUFNR}` → `197008-2026-00042`.

    The running number comes from a counter row per OE and year, incremented with UPDATE … RETURNING (a row
    lock on PostgreSQL, the single writer on SQLite), so two requests never draw the same number. A number
    someone already typed in by hand is skipped.
    """
    jahr = (jetzt or utcnow()).year
    muster = oe.aktenzeichen_muster or "{OE}-{JAHR}-{LAUFNR}"
    if "{LAUFNR" not in muster:
        muster += "-{LAUFNR}"
    for _ in range(1000):
        laufnr = _naechste_laufnr(oe.id, jahr)
        wert = _PLATZHALTER.sub(lambda m, n=laufnr: _ersetzen(m, oe, jahr, n), muster)
        belegt = db.session.scalar(select(exists().where(Vorgang.oe_id == oe.id, Vorgang.aktenzeichen == wert)))
        if not belegt:
            return wert
    raise AktionNichtErlaubt("Es konnte kein freies Aktenzeichen erzeugt werden.")


def _ersetzen(treffer: re.Match, oe: Organisationseinheit, jahr: int, laufnr: int) -> str:
    """Fill one placeholder; `{LAUFNR}` is five digits unless the pattern says `{LAUFNR:n}`."""
    name, breite = treffer.group(1), treffer.group(2)
    if name == "OE":
        return oe.kennung
    if name == "JAHR":
        return str(jahr)
    return str(laufnr).zfill(int(breite) if breite else 5)


def _naechste_laufnr(oe_id: int, jahr: int) -> int:
    """Increment and return the counter of this OE and year, creating it on first use."""
    erhoehen = (
        update(AktenzeichenZaehler)
        .where(AktenzeichenZaehler.oe_id == oe_id, AktenzeichenZaehler.jahr == jahr)
        .values(laufnr=AktenzeichenZaehler.laufnr + 1)
        .returning(AktenzeichenZaehler.laufnr)
    )
    for _ in range(3):
        laufnr = db.session.execute(erhoehen).scalar()
        if laufnr is not None:
            return laufnr
        try:
            with db.session.begin_nested():
                db.session.add(AktenzeichenZaehler(oe_id=oe_id, jahr=jahr, laufnr=1))
            return 1
        except IntegrityError:
            continue  # someone created the row at the same moment: increment theirs
    raise AktionNichtErlaubt("Der Aktenzeichen-Zähler ist gerade belegt. Bitte versuchen Sie es erneut.")


# --- Comments, forwarding, messages ---------------------------------------------------------------------------


def kommentieren(vorgang: Vorgang, benutzer: Benutzer, text: str) -> Kommentar:
    """Add a comment (allowed on closed Vorgänge too: notes after the fact are normal)."""
    _pruefen(vorgang, benutzer, offen=False)
    kommentar = Kommentar(vorgang_id=vorgang.id, benutzer_id=benutzer.id, text=_text(text, "einen Kommentar"))
    db.session.add(kommentar)
    protokolliere(vorgang, "Kommentar hinzugefügt", benutzer, None, None, kommentar.text[:200])
    return kommentar


def weiterleiten(vorgang: Vorgang, benutzer: Benutzer, ziel: Organisationseinheit, notiz: str = "") -> None:
    """Forward to another OE in the system: the Vorgang moves there, unassigned, keeping its status.

    The status `Weitergeleitet` is for handing a case to an authority outside Amtsfluss; within the system
    the receiving OE simply continues the work (see docs/webapp.md).
    """
    _pruefen(vorgang, benutzer)
    if ziel.id == vorgang.oe_id:
        raise AktionNichtErlaubt("Der Vorgang liegt bereits bei dieser Organisationseinheit.")
    vorher = {"oe": vorgang.oe.name, "bearbeiter": vorgang.bearbeiter.name if vorgang.bearbeiter else None}
    vorgang.oe_id = ziel.id
    vorgang.oe = ziel
    vorgang.bearbeiter_id = None
    vorgang.bearbeiter = None
    protokolliere(
        vorgang,
        "Weitergeleitet an Organisationseinheit",
        benutzer,
        vorher,
        {"oe": ziel.name, "bearbeiter": None},
        _text(notiz, "eine Notiz", pflicht=False),
    )


def weiterleitungsziele(vorgang: Vorgang) -> list[Organisationseinheit]:
    """All other OEs of the installation, by name."""
    return list(
        db.session.scalars(
            select(Organisationseinheit)
            .where(Organisationseinheit.id != vorgang.oe_id)
            .order_by(Organisationseinheit.name)
        )
    )


def nachricht_als_ungelesen_markieren(vorgang: Vorgang) -> None:
    """Called by whoever receives an applicant's message: the list shows the unread marker (no commit)."""
    if db.session.get(UngeleseneNachricht, vorgang.id) is None:
        db.session.add(UngeleseneNachricht(vorgang_id=vorgang.id))
        db.session.flush()
    nachricht_eingegangen.send(vorgang)


def nachrichten_gelesen(vorgang: Vorgang) -> None:
    """Opening the Vorgang counts as reading its messages (no commit)."""
    db.session.execute(delete(UngeleseneNachricht).where(UngeleseneNachricht.vorgang_id == vorgang.id))


def ungelesen(vorgang_ids: list[int]) -> set[int]:
    """Which of these Vorgänge have an unread message (one query, for a list page)."""
    if not vorgang_ids:
        return set()
    return set(
        db.session.scalars(
            select(UngeleseneNachricht.vorgang_id).where(UngeleseneNachricht.vorgang_id.in_(vorgang_ids))
        )
    )
