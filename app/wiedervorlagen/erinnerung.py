"""Scheduler work of the Wiedervorlagen: fire due reminders (claimed row by row) and build the daily digest.

Firing one batch is ONE transaction: a conditional UPDATE claims the due rows (`erinnerung_faellig_am <= jetzt`
→ NULL, `erinnert_am` = jetzt; on PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED through
`app.database.zum_beanspruchen`, so parallel schedulers take disjoint rows without waiting), and the same
transaction writes the in-app notification, the outbox mail and the Historie. A crash before the commit undoes
the claim together with its effects, so nothing is ever half-fired; after the commit no other process can claim
the row again (its queue column is NULL). On SQLite the UPDATE takes the database's single write lock until the
commit, so there one scheduler works at a time (see docs/scheduler.md).
"""

import logging
import time as zeitmessung
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Benutzer
from app.database import zum_beanspruchen
from app.extensions import db
from app.templating import datum
from app.timeutil import ZEITZONE
from app.vertretung.service import vertretene, vertreter_von
from app.vorgaenge.historie import SYSTEM
from app.vorgaenge.models import HistorieEintrag, Vorgang
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage, WiedervorlageStatus
from app.wiedervorlagen.service import uhrzeit_lesen

log = logging.getLogger(__name__)

#: A batch whose effects fail is retried item by item; an item that fails alone waits this long.
FEHLER_PAUSE = timedelta(minutes=15)


def faellige_erinnern(jetzt: datetime, limit: int | None = None) -> int:
    """Fire due reminders batch by batch until none is left or the time budget is used; return how many."""
    charge = int(limit or current_app.config.get("SCHEDULER_BATCH", 200))
    budget = float(current_app.config.get("SCHEDULER_BUDGET_SECONDS", 25))
    beginn = zeitmessung.monotonic()
    gesamt = 0
    # A cheap indexed read first: an idle tick then opens no write transaction (SQLite's single writer lock).
    if db.session.scalar(select(Wiedervorlage.id).where(Wiedervorlage.erinnerung_faellig_am <= jetzt).limit(1)) is None:
        return 0
    while True:
        anzahl = _charge_feuern(jetzt, charge)
        gesamt += anzahl
        if anzahl < charge or zeitmessung.monotonic() - beginn > budget:
            return gesamt


def _beanspruchen(jetzt: datetime, limit: int, wv_id: int | None = None) -> list[int]:
    """Claim up to `limit` due reminders (or the one `wv_id`) in the current transaction; return their ids."""
    kandidaten = select(Wiedervorlage.id).where(Wiedervorlage.erinnerung_faellig_am <= jetzt)
    if wv_id is not None:
        kandidaten = kandidaten.where(Wiedervorlage.id == wv_id)
    kandidaten = zum_beanspruchen(kandidaten.order_by(Wiedervorlage.erinnerung_faellig_am).limit(limit))
    stmt = (
        update(Wiedervorlage)
        # Checked again by the UPDATE itself: a row fired by someone else in the meantime is not taken twice.
        .where(Wiedervorlage.id.in_(kandidaten.scalar_subquery()), Wiedervorlage.erinnerung_faellig_am <= jetzt)
        .values(erinnerung_faellig_am=None, erinnert_am=jetzt)
        .returning(Wiedervorlage.id)
    )
    return list(db.session.execute(stmt, execution_options={"synchronize_session": False}).scalars())


def _charge_feuern(jetzt: datetime, limit: int) -> int:
    """Claim one batch and write its effects in one transaction; isolate a failing item if the batch fails."""
    ids = _beanspruchen(jetzt, limit)
    if not ids:
        db.session.commit()
        return 0
    try:
        _wirkungen(ids, jetzt)
        db.session.commit()
        return len(ids)
    except Exception:  # noqa: BLE001 — find the one bad item instead of retrying the whole batch forever
        db.session.rollback()
        log.exception("Wiedervorlagen-Charge fehlgeschlagen; einzeln wiederholen")
    erledigt = 0
    for wv_id in ids:
        try:
            if _beanspruchen(jetzt, 1, wv_id):
                _wirkungen([wv_id], jetzt)
                erledigt += 1
            db.session.commit()
        except Exception:  # noqa: BLE001
            db.session.rollback()
            log.exception("Wiedervorlage %s konnte nicht erinnert werden; neuer Versuch in %s", wv_id, FEHLER_PAUSE)
            db.session.execute(
                update(Wiedervorlage)
                .where(Wiedervorlage.id == wv_id, Wiedervorlage.erinnerung_faellig_am <= jetzt)
                .values(erinnerung_faellig_am=jetzt + FEHLER_PAUSE)
            )
            db.session.commit()
    return erledigt


def _vorgang_link_vorlage() -> str:
    """The path of a Vorgang page with a placeholder for the number (one url_for per batch, not per item)."""
    return current_app.url_map.bind("localhost").build("vorgaenge.detail", {"nummer": "NUMMER"})


def _wirkungen(ids: list[int], jetzt: datetime) -> None:
    """For claimed reminders: in-app notification, outbox mail and Historie, as three bulk inserts. While the
    recipient is absent, their deputy gets the notification and the mail too (`app.vertretung`).

    The Historie rows are a Core bulk insert with the same fields `protokolliere` writes (actor "System"): a batch
    has no Vorgang objects loaded, and loading them only to log would cost a query per row.
    """
    empfaenger = Benutzer.__table__.alias("empfaenger")
    rows = db.session.execute(
        select(
            Wiedervorlage.id,
            Wiedervorlage.vorgang_id,
            Wiedervorlage.betreff,
            Wiedervorlage.beschreibung,
            Wiedervorlage.frist,
            Wiedervorlage.frist_uhrzeit,
            Vorgang.nummer,
            empfaenger.c.id,
            empfaenger.c.name,
            empfaenger.c.email,
            empfaenger.c.aktiv,
        )
        .join(Vorgang, Vorgang.id == Wiedervorlage.vorgang_id)
        # Assignee, else the Vorgang's current Sachbearbeiter.
        .outerjoin(empfaenger, empfaenger.c.id == func.coalesce(Wiedervorlage.zugewiesen_an_id, Vorgang.bearbeiter_id))
        .where(Wiedervorlage.id.in_(ids))
    ).all()
    basis = (current_app.config.get("BASE_URL") or "").rstrip("/")
    pfad = _vorgang_link_vorlage()
    vertretung = vertreter_von(sorted({r[7] for r in rows if r[7] is not None}), jetzt.astimezone(ZEITZONE).date())
    benachrichtigungen, mails, historie = [], [], []
    for wv_id, vorgang_id, betreff, beschreibung, frist, uhrzeit, nummer, uid, name, email, aktiv in rows:
        link = pfad.replace("NUMMER", nummer) + "#wiedervorlagen"
        frist_text = datum(frist) + (f", {uhrzeit.strftime('%H:%M')} Uhr" if uhrzeit else "")
        vertreter = vertretung.get(uid)
        notiz = f"Erinnerung an {name}" if name else "Niemand zugewiesen – keine Erinnerung versendet"
        historie.append(
            {
                "vorgang_id": vorgang_id,
                "benutzer_id": None,
                "akteur": SYSTEM,
                "zeitpunkt": jetzt,
                "aktion": "Wiedervorlage fällig",
                "vorher": None,
                "nachher": {"wiedervorlage": wv_id, "betreff": betreff, "erinnert": name or None}
                | ({"vertretung": vertreter.name} if vertreter else {}),
                "notiz": notiz + (f" und an {vertreter.name} (Vertretung)" if vertreter else ""),
            }
        )
        if uid is None:
            continue
        empfaenger = [(uid, name, email, aktiv, None)]
        if vertreter is not None:
            empfaenger.append((vertreter.id, vertreter.name, vertreter.email, vertreter.aktiv, name))
        for eid, ename, eadresse, eaktiv, vertreten in empfaenger:
            zusatz = f" (Vertretung für {vertreten})" if vertreten else ""
            benachrichtigungen.append(
                {
                    "empfaenger_id": eid,
                    "vorgang_id": vorgang_id,
                    "wiedervorlage_id": wv_id,
                    "titel": f"Wiedervorlage fällig: {betreff}{zusatz}"[:300],
                    "text": f"Vorgang {nummer}, Frist {frist_text}",
                    "link": link,
                    "erstellt_am": jetzt,
                }
            )
            if eaktiv and eadresse:
                text = erinnerungstext(ename, nummer, betreff, beschreibung, frist_text, basis + link, vertreten)
                mails.append(
                    {
                        "art": "erinnerung",
                        "schluessel": None,
                        "empfaenger": eadresse,
                        "empfaenger_id": eid,
                        "wiedervorlage_id": wv_id,
                        "betreff": f"Wiedervorlage fällig: {nummer} – {betreff}{zusatz}"[:300],
                        "text": text,
                        "status": "wartend",
                        "versuche": 0,
                        "naechster_versuch_am": jetzt,
                        "letzter_fehler": "",
                        "erstellt_am": jetzt,
                    }
                )
    for model, werte in ((HistorieEintrag, historie), (Benachrichtigung, benachrichtigungen), (Mailausgang, mails)):
        if werte:
            db.session.execute(insert(model), werte)


def erinnerungstext(
    name: str, nummer: str, betreff: str, beschreibung: str, frist: str, link: str, vertreten: str | None = None
) -> str:
    """The German reminder e-mail (to a deputy: saying for whom)."""
    teile = [
        f"Guten Tag {name},",
        "",
        f"die Wiedervorlage „{betreff}“ zum Vorgang {nummer} ist fällig (Frist: {frist}).",
    ]
    if vertreten:
        teile += [f"Sie erhalten diese Erinnerung als Vertretung für {vertreten}, die oder der abwesend ist."]
    if beschreibung:
        teile += ["", beschreibung]
    teile += [
        "",
        f"Vorgang öffnen: {link}",
        "",
        "Diese Nachricht wurde automatisch von Amtsfluss versendet.",
    ]
    return "\n".join(teile)


# --- daily digest -----------------------------------------------------------------------------------------


def digest_erstellen(jetzt: datetime) -> int:
    """Once per day from SCHEDULER_DIGEST_UHRZEIT: one outbox mail per opted-in user listing their open
    Wiedervorlagen due today or overdue, and those of colleagues they deputise for that day. Idempotent across
    processes through the outbox's unique `schluessel`."""
    lokal = jetzt.astimezone(ZEITZONE)
    if lokal.time() < uhrzeit_lesen(current_app.config.get("SCHEDULER_DIGEST_UHRZEIT", "06:30")):
        return 0
    stichtag = lokal.date()
    nutzer = list(
        db.session.scalars(
            select(Benutzer).where(Benutzer.digest_aktiv.is_(True), Benutzer.aktiv.is_(True), Benutzer.email != "")
        )
    )
    if not nutzer:
        return 0
    schluessel = {u.id: f"digest:{u.id}:{stichtag.isoformat()}" for u in nutzer}
    schon = set(
        db.session.scalars(select(Mailausgang.schluessel).where(Mailausgang.schluessel.in_(schluessel.values())))
    )
    basis = (current_app.config.get("BASE_URL") or "").rstrip("/")
    pfad = _vorgang_link_vorlage()
    angelegt = 0
    for benutzer in nutzer:
        if schluessel[benutzer.id] in schon or not benutzer.oe_ids:
            continue
        rows = db.session.execute(
            select(Wiedervorlage, Vorgang.nummer)
            .join(Vorgang, Vorgang.id == Wiedervorlage.vorgang_id)
            .where(
                Wiedervorlage.zugewiesen_an_id.in_([benutzer.id, *(b.id for b in vertretene(benutzer, stichtag))]),
                Wiedervorlage.status == WiedervorlageStatus.OFFEN,
                Wiedervorlage.frist <= stichtag,
                Vorgang.oe_id.in_(benutzer.oe_ids),
            )
            .order_by(Wiedervorlage.frist, Wiedervorlage.id)
        ).all()
        if not rows:
            continue
        text = digesttext(benutzer, stichtag, [(wv, nummer) for wv, nummer in rows], basis + pfad)
        try:
            with db.session.begin_nested():  # another process may insert the same digest at the same moment
                db.session.add(
                    Mailausgang(
                        art="digest",
                        schluessel=schluessel[benutzer.id],
                        empfaenger=benutzer.email,
                        empfaenger_id=benutzer.id,
                        betreff=f"Ihre Wiedervorlagen am {datum(stichtag)}: {len(rows)} fällig",
                        text=text,
                        status="wartend",
                        naechster_versuch_am=jetzt,
                        erstellt_am=jetzt,
                    )
                )
            angelegt += 1
        except IntegrityError:
            log.info("Digest für %s am %s gibt es schon", benutzer.login, stichtag)
    return angelegt


def digesttext(benutzer: Benutzer, stichtag, eintraege: list[tuple[Wiedervorlage, str]], link_vorlage: str) -> str:
    """The German digest e-mail: overdue first, then today's; a deputised colleague's marked with their name."""
    ueberfaellig = [(wv, n) for wv, n in eintraege if wv.frist < stichtag]
    fuer_heute = [(wv, n) for wv, n in eintraege if wv.frist >= stichtag]
    teile = [f"Guten Tag {benutzer.name},", "", f"Ihre Wiedervorlagen am {datum(stichtag)}:"]
    for titel, liste in (("Überfällig", ueberfaellig), ("Heute fällig", fuer_heute)):
        if not liste:
            continue
        teile += ["", f"{titel} ({len(liste)}):"]
        for wv, nummer in liste:
            fuer = f"  (Vertretung für {wv.zugewiesen_an.name})" if wv.zugewiesen_an_id != benutzer.id else ""
            teile.append(f"- {datum(wv.frist)}  {nummer}  {wv.betreff}{fuer}")
            teile.append(f"  {link_vorlage.replace('NUMMER', nummer)}#wiedervorlagen")
    teile += ["", "Sie erhalten diese Übersicht, weil Sie sie in Ihren Einstellungen aktiviert haben."]
    return "\n".join(teile)
