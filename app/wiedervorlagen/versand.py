"""Sending the mail outbox: claim due mails with a lease, send over one SMTP connection, record the outcome.

The claim (its own short transaction) moves `naechster_versuch_am` forward by SCHEDULER_MAIL_LEASE_SECONDS and
counts the attempt, so no other process sends the mail meanwhile and no database lock is held while talking to
the SMTP server. A failed attempt is retried after SCHEDULER_MAIL_BACKOFF_SECONDS × 2^(n-1); after
SCHEDULER_MAIL_MAX_VERSUCHE the mail is "fehlgeschlagen" and listed on /admin/mails. A process that dies after
the SMTP server accepted a mail but before recording it sends it again after the lease (at-least-once).
"""

import logging
import time as zeitmessung
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app import mail
from app.database import zum_beanspruchen
from app.extensions import db
from app.vorgaenge.anhaenge import pfad
from app.vorgaenge.models import Anhang
from app.wiedervorlagen.models import Mailausgang

log = logging.getLogger(__name__)


def mails_senden(jetzt: datetime, limit: int | None = None) -> int:
    """Send due outbox mails batch by batch; return how many were sent. Without mail config nothing is claimed."""
    if not mail.ist_konfiguriert():
        return 0
    faellig = select(Mailausgang.id).where(Mailausgang.naechster_versuch_am <= jetzt, Mailausgang.status == "wartend")
    if db.session.scalar(faellig.limit(1)) is None:
        return 0  # idle tick: no write transaction at all
    charge = int(limit or current_app.config.get("SCHEDULER_BATCH", 200))
    budget = float(current_app.config.get("SCHEDULER_BUDGET_SECONDS", 25))
    beginn = zeitmessung.monotonic()
    gesendet = 0
    while True:
        beansprucht, ok = _charge_senden(jetzt, charge)
        gesendet += ok
        if beansprucht < charge or zeitmessung.monotonic() - beginn > budget:
            return gesendet


def _beanspruchen(jetzt: datetime, limit: int) -> list[tuple[int, str, str, str, int, list[int]]]:
    """Claim up to `limit` due mails (lease + attempt counted) and commit;
    return (id, an, betreff, text, versuche, anhang_ids)."""
    lease = timedelta(seconds=int(current_app.config.get("SCHEDULER_MAIL_LEASE_SECONDS", 300)))
    kandidaten = zum_beanspruchen(
        select(Mailausgang.id)
        .where(Mailausgang.naechster_versuch_am <= jetzt, Mailausgang.status == "wartend")
        .order_by(Mailausgang.naechster_versuch_am)
        .limit(limit)
    )
    stmt = (
        update(Mailausgang)
        .where(Mailausgang.id.in_(kandidaten.scalar_subquery()), Mailausgang.naechster_versuch_am <= jetzt)
        .values(naechster_versuch_am=jetzt + lease, versuche=Mailausgang.versuche + 1)
        .returning(
            Mailausgang.id,
            Mailausgang.empfaenger,
            Mailausgang.betreff,
            Mailausgang.text,
            Mailausgang.versuche,
            Mailausgang.anhang_ids,
        )
    )
    rows = [tuple(r) for r in db.session.execute(stmt, execution_options={"synchronize_session": False})]
    db.session.commit()
    return rows


def _charge_senden(jetzt: datetime, limit: int) -> tuple[int, int]:
    """Claim, send and record one batch; return (claimed, sent)."""
    rows = _beanspruchen(jetzt, limit)
    if not rows:
        return 0, 0
    ergebnisse: dict[int, str | None] = {}  # id → None (sent) or error text
    try:
        with mail.verbindung() as versand:
            for mail_id, an, betreff, text, _versuche, anhang_ids in rows:
                try:
                    versand.senden(an, betreff, text, _dateien(anhang_ids))
                    ergebnisse[mail_id] = None
                except mail.VerbindungsFehler:
                    raise
                except mail.MailFehler as fehler:
                    ergebnisse[mail_id] = str(fehler)
    except mail.VerbindungsFehler as fehler:
        log.warning("E-Mail-Versand: %s", fehler)
        for mail_id, *_ in rows:
            ergebnisse.setdefault(mail_id, str(fehler))
    _ergebnisse_speichern(rows, ergebnisse, jetzt)
    return len(rows), sum(1 for fehler in ergebnisse.values() if fehler is None)


def _dateien(anhang_ids: list[int] | None) -> list[mail.Datei]:
    """The files of the Anhänge a mail carries (Postfach messages), read from the file store."""
    if not anhang_ids:
        return []
    anhaenge = db.session.scalars(select(Anhang).where(Anhang.id.in_(anhang_ids)).order_by(Anhang.id))
    try:
        return [(a.dateiname, a.mime_typ, pfad(a.sha256).read_bytes()) for a in anhaenge]
    except (OSError, ValueError) as fehler:  # a file missing from the store fails this mail only
        raise mail.MailFehler(f"Anhang nicht lesbar: {fehler.__class__.__name__}") from fehler


def _ergebnisse_speichern(rows, ergebnisse: dict[int, str | None], jetzt: datetime) -> None:
    """Record sent / retry later / failed for a batch and commit: all sent mails in one UPDATE (the common case),
    failures one executemany UPDATE by primary key."""
    max_versuche = int(current_app.config.get("SCHEDULER_MAIL_MAX_VERSUCHE", 5))
    backoff = int(current_app.config.get("SCHEDULER_MAIL_BACKOFF_SECONDS", 60))
    gesendet = []
    nochmal, aufgegeben = [], []
    for mail_id, _an, _betreff, _text, versuche, _anhaenge in rows:
        fehler = ergebnisse.get(mail_id, "nicht versucht")
        if fehler is None:
            gesendet.append(mail_id)
        elif versuche >= max_versuche:
            aufgegeben.append(
                {"id": mail_id, "status": "fehlgeschlagen", "naechster_versuch_am": None, "letzter_fehler": fehler}
            )
            log.error("E-Mail %s nach %s Versuchen aufgegeben: %s", mail_id, versuche, fehler)
        else:
            naechster = jetzt + timedelta(seconds=backoff * 2 ** (versuche - 1))
            nochmal.append({"id": mail_id, "naechster_versuch_am": naechster, "letzter_fehler": fehler})
    if gesendet:
        db.session.execute(
            update(Mailausgang)
            .where(Mailausgang.id.in_(gesendet))
            .values(status="gesendet", gesendet_am=jetzt, naechster_versuch_am=None),
            execution_options={"synchronize_session": False},
        )
    for gruppe in (nochmal, aufgegeben):  # executemany needs the same columns in every row
        if gruppe:
            db.session.execute(update(Mailausgang), gruppe)
    db.session.commit()
