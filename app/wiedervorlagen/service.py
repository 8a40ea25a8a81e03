"""Rules for Wiedervorlagen: create, edit, mark done, reopen (each with Historie), lists, badge, notifications."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask import abort, current_app
from sqlalchemy import func, select, update

from app.auth.models import Benutzer
from app.extensions import db
from app.timeutil import ZEITZONE, heute, utcnow
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import sichtbare_vorgaenge
from app.vorgaenge.status import OFFEN, Status
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage, WiedervorlageStatus


class WiedervorlageFehler(ValueError):
    """A Wiedervorlage action that the rules do not allow (shown to the user as a message)."""


# --- time -------------------------------------------------------------------------------------------------


def uhrzeit_lesen(text: str) -> time:
    """Parse `HH:MM` from the config."""
    stunden, _, minuten = text.partition(":")
    return time(int(stunden), int(minuten or 0))


def faelligkeit(frist: date, uhrzeit: time | None = None) -> datetime:
    """The UTC moment a Frist is due: its local time, or SCHEDULER_ERINNERUNG_UHRZEIT for a date-only Frist."""
    zeit = uhrzeit or uhrzeit_lesen(current_app.config.get("SCHEDULER_ERINNERUNG_UHRZEIT", "07:00"))
    return datetime.combine(frist, zeit, tzinfo=ZEITZONE).astimezone(UTC)


def _frist_zerlegen(frist: date | datetime) -> tuple[date, time | None]:
    """A date stays a date; a datetime (aware: any zone, naive: local time) becomes local date + time.

    Local midnight counts as a date without time: the engine turns BPMN date values into midnight datetimes,
    and a reminder at 00:00 would reach nobody.
    """
    if isinstance(frist, datetime):
        if frist.tzinfo is not None:
            frist = frist.astimezone(ZEITZONE)
        uhrzeit = frist.time().replace(second=0, microsecond=0)
        return frist.date(), (None if uhrzeit == time(0, 0) else uhrzeit)
    return frist, None


def _planen(wv: Wiedervorlage) -> None:
    """Recompute the due moment and put an open Wiedervorlage (back) into the scheduler's queue."""
    wv.faellig_am = faelligkeit(wv.frist, wv.frist_uhrzeit)
    wv.erinnert_am = None
    wv.erinnerung_faellig_am = wv.faellig_am if wv.status == WiedervorlageStatus.OFFEN else None


def _abbild(wv: Wiedervorlage) -> dict:
    """What the Historie records of a Wiedervorlage (before/after)."""
    return {
        "wiedervorlage": wv.id,
        "betreff": wv.betreff,
        "frist": wv.frist.isoformat(),
        "uhrzeit": wv.frist_uhrzeit.strftime("%H:%M") if wv.frist_uhrzeit else None,
        "zugewiesen_an": wv.zugewiesen_an.name if wv.zugewiesen_an else None,
        "status": wv.status,
    }


# --- actions ----------------------------------------------------------------------------------------------


def wiedervorlage_anlegen(
    vorgang: Vorgang,
    betreff: str,
    frist: date | datetime,
    beschreibung: str = "",
    zugewiesen_an: Benutzer | None = None,
    erstellt_von: Benutzer | None = None,
    herkunft: str | None = None,
    *,
    ohne_zuweisung: bool = False,
    schritt: str | None = None,
) -> Wiedervorlage:
    """Create an open Wiedervorlage (default assignee: the Vorgang's Sachbearbeiter) and write Historie; no commit.

    Called by the UI (herkunft="manuell") and by the engine (BPMN `camunda:followUpDate`, scripts; Herkunft
    "prozess", `erstellt_von` the user whose action ran the procedure, if any). `ohne_zuweisung` leaves it
    unassigned instead of defaulting to the Sachbearbeiter; `schritt` is the procedure step that set it.
    """
    betreff = (betreff or "").strip()
    if not betreff:
        raise WiedervorlageFehler("Bitte geben Sie einen Betreff an.")
    tag, uhrzeit = _frist_zerlegen(frist)
    wv = Wiedervorlage(
        vorgang_id=vorgang.id,
        vorgang=vorgang,
        betreff=betreff[:300],
        beschreibung=beschreibung or "",
        frist=tag,
        frist_uhrzeit=uhrzeit,
        status=WiedervorlageStatus.OFFEN,
        herkunft=herkunft or "prozess",
        erstellt_von_id=erstellt_von.id if erstellt_von else None,
        zugewiesen_an=None if ohne_zuweisung else (zugewiesen_an or vorgang.bearbeiter),
        erstellt_am=utcnow(),
        schritt=schritt,
    )
    _planen(wv)
    db.session.add(wv)
    db.session.flush()
    protokolliere(vorgang, "Wiedervorlage angelegt", erstellt_von, None, _abbild(wv))
    return wv


def wiedervorlage_aendern(
    wv: Wiedervorlage,
    benutzer: Benutzer | None,
    *,
    betreff: str,
    frist: date,
    frist_uhrzeit: time | None = None,
    beschreibung: str = "",
    zugewiesen_an: Benutzer | None = None,
) -> bool:
    """Edit a Wiedervorlage; a changed Frist schedules the reminder anew. Returns False when nothing changed."""
    betreff = (betreff or "").strip()
    if not betreff:
        raise WiedervorlageFehler("Bitte geben Sie einen Betreff an.")
    vorher = _abbild(wv)
    vorher_beschreibung = wv.beschreibung
    frist_geaendert = (frist, frist_uhrzeit) != (wv.frist, wv.frist_uhrzeit)
    wv.betreff = betreff[:300]
    wv.beschreibung = beschreibung or ""
    wv.frist = frist
    wv.frist_uhrzeit = frist_uhrzeit
    wv.zugewiesen_an = zugewiesen_an
    wv.zugewiesen_an_id = zugewiesen_an.id if zugewiesen_an else None
    if frist_geaendert:
        _planen(wv)
    nachher = _abbild(wv)
    if nachher == vorher and wv.beschreibung == vorher_beschreibung:
        return False
    notiz = "Beschreibung geändert" if wv.beschreibung != vorher_beschreibung else ""
    protokolliere(wv.vorgang, "Wiedervorlage geändert", benutzer, vorher, nachher, notiz)
    return True


def erledigen(wv: Wiedervorlage, benutzer: Benutzer | None) -> None:
    """Mark a Wiedervorlage done (takes it out of the scheduler's queue) and write Historie."""
    if wv.status == WiedervorlageStatus.ERLEDIGT:
        raise WiedervorlageFehler("Die Wiedervorlage ist bereits erledigt.")
    vorher = _abbild(wv)
    wv.status = WiedervorlageStatus.ERLEDIGT
    wv.erledigt_von_id = benutzer.id if benutzer else None
    wv.erledigt_am = utcnow()
    wv.erinnerung_faellig_am = None
    protokolliere(wv.vorgang, "Wiedervorlage erledigt", benutzer, vorher, _abbild(wv))


def wiedereroeffnen(wv: Wiedervorlage, benutzer: Benutzer | None) -> None:
    """Reopen a done Wiedervorlage; a reminder not yet sent is scheduled again (a sent one is not repeated)."""
    if wv.status == WiedervorlageStatus.OFFEN:
        raise WiedervorlageFehler("Die Wiedervorlage ist bereits offen.")
    vorher = _abbild(wv)
    wv.status = WiedervorlageStatus.OFFEN
    wv.erledigt_von_id = None
    wv.erledigt_am = None
    wv.erinnerung_faellig_am = wv.faellig_am if wv.erinnert_am is None else None
    protokolliere(wv.vorgang, "Wiedervorlage wiedereröffnet", benutzer, vorher, _abbild(wv))


def _offene(vorgang: Vorgang, *bedingungen) -> list[Wiedervorlage]:
    """The Vorgang's open Wiedervorlagen that meet `bedingungen`."""
    return list(
        db.session.scalars(
            select(Wiedervorlage).where(
                Wiedervorlage.vorgang_id == vorgang.id, Wiedervorlage.status == WiedervorlageStatus.OFFEN, *bedingungen
            )
        )
    )


def bearbeiter_folgen(vorgang: Vorgang, vorher: Benutzer | None = None, nachher: Benutzer | None = None, **_) -> None:
    """Receiver of `vorgang_zugewiesen`: open Wiedervorlagen of nobody or of the previous Bearbeiter move to the
    new one (one assigned to a third person stays theirs). No commit."""
    if nachher is None:
        return
    bisher = Wiedervorlage.zugewiesen_an_id.is_(None)
    if vorher is not None:
        bisher = bisher | (Wiedervorlage.zugewiesen_an_id == vorher.id)
    for wv in _offene(vorgang, bisher):
        vorher_abbild = _abbild(wv)
        wv.zugewiesen_an = nachher
        wv.zugewiesen_an_id = nachher.id
        protokolliere(vorgang, "Wiedervorlage geändert", None, vorher_abbild, _abbild(wv), "folgt der Zuweisung")


def bei_statuswechsel(vorgang: Vorgang, nachher: Status, benutzer: Benutzer | None = None, **_) -> None:
    """Receiver of `vorgang_status_geaendert`: a Vorgang that is no longer open has no open Wiedervorlagen."""
    if Status(nachher) in OFFEN:
        return
    for wv in _offene(vorgang):
        _automatisch_erledigen(wv, benutzer, f"Vorgang {Status(nachher).value}")


def schritte_verlassen(vorgang: Vorgang, verlassen: set[str], benutzer: Benutzer | None = None) -> None:
    """Mark done the open Wiedervorlagen of the procedure steps (task ids) that were just left."""
    for wv in _offene(vorgang, Wiedervorlage.schritt.in_(verlassen)):
        _automatisch_erledigen(wv, benutzer, "Verfahrensschritt erledigt")


def _automatisch_erledigen(wv: Wiedervorlage, benutzer: Benutzer | None, grund: str) -> None:
    """Mark done on behalf of the system, with the reason in the Historie."""
    vorher = _abbild(wv)
    wv.status = WiedervorlageStatus.ERLEDIGT
    wv.erledigt_von_id = None
    wv.erledigt_am = utcnow()
    wv.erinnerung_faellig_am = None
    protokolliere(wv.vorgang, "Wiedervorlage erledigt", benutzer, vorher, _abbild(wv), grund)


def pruefe_vorgang_offen(vorgang: Vorgang) -> None:
    """New Wiedervorlagen only on open Vorgänge (closed ones can still have theirs marked done)."""
    if Status(vorgang.status) not in OFFEN:
        raise WiedervorlageFehler(f"Der Vorgang ist im Status „{vorgang.status}“; Wiedervorlagen sind nicht möglich.")


# --- queries ----------------------------------------------------------------------------------------------


def _sichtbare_wiedervorlagen(benutzer: Benutzer):
    """Wiedervorlagen on Vorgänge the user may see, as a select of (Vorgang, Wiedervorlage) rows."""
    return (
        sichtbare_vorgaenge(benutzer)
        .join(Wiedervorlage, Wiedervorlage.vorgang_id == Vorgang.id)
        .add_columns(Wiedervorlage)
    )


def wiedervorlage_oder_404(benutzer: Benutzer, wv_id: int) -> Wiedervorlage:
    """The Wiedervorlage if its Vorgang is visible to the user; a foreign or unknown one is a 404."""
    row = db.session.execute(_sichtbare_wiedervorlagen(benutzer).where(Wiedervorlage.id == wv_id)).first()
    if row is None:
        abort(404)
    return row[1]


def wiedervorlagen_fuer_vorgang(vorgang: Vorgang) -> list[Wiedervorlage]:
    """For the section on the Vorgang page: open ones by Frist, then done ones (newest first).

    The caller has already checked visibility (`vorgang_oder_404`).
    """
    return list(
        db.session.scalars(
            select(Wiedervorlage)
            .where(Wiedervorlage.vorgang_id == vorgang.id)
            .order_by(
                (Wiedervorlage.status == WiedervorlageStatus.ERLEDIGT),
                Wiedervorlage.frist,
                Wiedervorlage.frist_uhrzeit,
                Wiedervorlage.erledigt_am.desc(),
                Wiedervorlage.id,
            )
        )
    )


def naechste_fristen(vorgang_ids: list[int]) -> dict[int, date]:
    """The earliest open Frist per Vorgang, for the Vorgangsliste column (one grouped query)."""
    if not vorgang_ids:
        return {}
    rows = db.session.execute(
        select(Wiedervorlage.vorgang_id, func.min(Wiedervorlage.frist))
        .where(Wiedervorlage.vorgang_id.in_(list(vorgang_ids)), Wiedervorlage.status == WiedervorlageStatus.OFFEN)
        .group_by(Wiedervorlage.vorgang_id)
    ).all()
    return {vorgang_id: frist for vorgang_id, frist in rows}


@dataclass
class Uebersicht:
    """The Wiedervorlagen list: open ones split by their Frist relative to today, or done ones."""

    ueberfaellig: list[tuple[Vorgang, Wiedervorlage]] = field(default_factory=list)
    heute: list[tuple[Vorgang, Wiedervorlage]] = field(default_factory=list)
    demnaechst: list[tuple[Vorgang, Wiedervorlage]] = field(default_factory=list)
    erledigt: list[tuple[Vorgang, Wiedervorlage]] = field(default_factory=list)
    weitere: bool = False


def uebersicht(
    benutzer: Benutzer,
    *,
    person: int | list[int] | None = None,
    ohne_person: bool = False,
    oe_id: int | None = None,
    erledigte: bool = False,
    stichtag: date | None = None,
    limit: int = 500,
) -> Uebersicht:
    """Wiedervorlagen visible to the user, filtered by assignee (`person`, or `ohne_person`) and OE."""
    stichtag = stichtag or heute()
    query = _sichtbare_wiedervorlagen(benutzer)
    if person is not None:
        query = query.where(Wiedervorlage.zugewiesen_an_id.in_(person if isinstance(person, list) else [person]))
    elif ohne_person:
        query = query.where(Wiedervorlage.zugewiesen_an_id.is_(None))
    if oe_id is not None:
        query = query.where(Vorgang.oe_id == oe_id)
    ergebnis = Uebersicht()
    if erledigte:
        query = query.where(Wiedervorlage.status == WiedervorlageStatus.ERLEDIGT).order_by(
            Wiedervorlage.erledigt_am.desc()
        )
        rows = db.session.execute(query.limit(limit + 1)).all()
        ergebnis.erledigt = [(v, w) for v, w in rows[:limit]]
        ergebnis.weitere = len(rows) > limit
        return ergebnis
    query = query.where(Wiedervorlage.status == WiedervorlageStatus.OFFEN).order_by(
        Wiedervorlage.frist, Wiedervorlage.frist_uhrzeit, Wiedervorlage.id
    )
    rows = db.session.execute(query.limit(limit + 1)).all()
    ergebnis.weitere = len(rows) > limit
    for vorgang, wv in rows[:limit]:
        if wv.frist < stichtag:
            ergebnis.ueberfaellig.append((vorgang, wv))
        elif wv.frist == stichtag:
            ergebnis.heute.append((vorgang, wv))
        else:
            ergebnis.demnaechst.append((vorgang, wv))
    return ergebnis


def faellige_anzahl(benutzer: Benutzer, stichtag: date | None = None) -> int:
    """Open Wiedervorlagen assigned to the user with a Frist today or earlier (the menu badge; indexed count)."""
    oe_ids = benutzer.oe_ids
    if not oe_ids:
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(Wiedervorlage)
        .join(Vorgang, Vorgang.id == Wiedervorlage.vorgang_id)
        .where(
            Wiedervorlage.zugewiesen_an_id == benutzer.id,
            Wiedervorlage.status == WiedervorlageStatus.OFFEN,
            Wiedervorlage.frist <= (stichtag or heute()),
            Vorgang.oe_id.in_(oe_ids),
        )
    )


# --- notifications ----------------------------------------------------------------------------------------


def ungelesene_anzahl(benutzer: Benutzer) -> int:
    """Unread in-app notifications of the user (indexed count)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Benachrichtigung)
        .where(Benachrichtigung.empfaenger_id == benutzer.id, Benachrichtigung.gelesen_am.is_(None))
    )


def benachrichtigungen(benutzer: Benutzer, limit: int = 100) -> list[Benachrichtigung]:
    """The user's latest notifications, unread first."""
    return list(
        db.session.scalars(
            select(Benachrichtigung)
            .where(Benachrichtigung.empfaenger_id == benutzer.id)
            .order_by(Benachrichtigung.gelesen_am.is_not(None), Benachrichtigung.erstellt_am.desc())
            .limit(limit)
        )
    )


def als_gelesen_markieren(benutzer: Benutzer, benachrichtigung_id: int | None = None) -> int:
    """Mark one (or, without id, all) of the user's notifications read; returns how many changed."""
    stmt = update(Benachrichtigung).where(
        Benachrichtigung.empfaenger_id == benutzer.id, Benachrichtigung.gelesen_am.is_(None)
    )
    if benachrichtigung_id is not None:
        stmt = stmt.where(Benachrichtigung.id == benachrichtigung_id)
    return db.session.execute(stmt.values(gelesen_am=utcnow())).rowcount


# --- outbox (admin) ---------------------------------------------------------------------------------------


def mails_fuer_admin(status: str = "fehlgeschlagen", limit: int = 200) -> list[Mailausgang]:
    """Mails of the outbox in one status, newest first (admin page)."""
    return list(
        db.session.scalars(
            select(Mailausgang).where(Mailausgang.status == status).order_by(Mailausgang.id.desc()).limit(limit)
        )
    )


def mail_zaehler() -> dict[str, int]:
    """Number of mails per outbox status."""
    rows = db.session.execute(select(Mailausgang.status, func.count()).group_by(Mailausgang.status)).all()
    return {status: anzahl for status, anzahl in rows}


def mail_erneut_senden(mail_id: int) -> None:
    """Put a failed mail back into the queue with fresh attempts (after the administrator fixed the cause)."""
    mail = db.session.get(Mailausgang, mail_id)
    if mail is None:
        abort(404)
    if mail.status != "fehlgeschlagen":
        raise WiedervorlageFehler("Nur fehlgeschlagene E-Mails können erneut gesendet werden.")
    mail.status = "wartend"
    mail.versuche = 0
    mail.naechster_versuch_am = utcnow()
