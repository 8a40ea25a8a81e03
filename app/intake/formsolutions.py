"""Form-Solutions poller: per configured Mandant and form number list ``status=NEW``, fetch each submission,
import it through the intake service (raw Eingang first), then report the status back.

Runs as the scheduler tick ``intake-formsolutions``. A Mandant is claimed for one round by a conditional
UPDATE of its ``naechster_abruf`` (only one process wins, on SQLite and PostgreSQL alike), so several app
processes never poll one Mandant at the same time. HTTP work happens outside any open transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from adapters import AdapterFehler
from adapters.formsolutions import FormSolutionsOptionen
from adapters.formsolutions_client import FormSolutionsClient
from app.extensions import db
from app.intake.annahme import Abgelehnt, annehmen
from app.intake.models import FEHLERHAFT, VERARBEITET, Eingang, FormSolutionsMandant, IntakeQuelle, schluessel

log = logging.getLogger(__name__)


def _beanspruchen(jetzt: datetime) -> list[int]:
    """Claim the due Mandanten for this round (conditional UPDATE per row) and commit."""
    faellig = db.session.scalars(
        select(FormSolutionsMandant.id).where(
            FormSolutionsMandant.aktiv.is_(True),
            or_(FormSolutionsMandant.naechster_abruf.is_(None), FormSolutionsMandant.naechster_abruf <= jetzt),
        )
    ).all()
    db.session.rollback()
    beansprucht = []
    for mandant_id in faellig:
        mandant = db.session.get(FormSolutionsMandant, mandant_id)
        ergebnis = db.session.execute(
            update(FormSolutionsMandant)
            .where(
                FormSolutionsMandant.id == mandant_id,
                or_(FormSolutionsMandant.naechster_abruf.is_(None), FormSolutionsMandant.naechster_abruf <= jetzt),
            )
            .values(naechster_abruf=jetzt + timedelta(seconds=max(mandant.intervall_sekunden, 1)))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if ergebnis.rowcount == 1:
            beansprucht.append(mandant_id)
    return beansprucht


def abrufen(jetzt: datetime) -> int:
    """Scheduler tick: poll every due Mandant once; returns the number of newly imported submissions."""
    anzahl = 0
    for mandant_id in _beanspruchen(jetzt):
        anzahl += mandant_abrufen(mandant_id, jetzt)
    return anzahl


def mandant_abrufen(mandant_id: int, jetzt: datetime) -> int:
    """One round for one Mandant: list NEW per form number, import, report back. Errors are recorded on the
    Mandant (``letzter_fehler``) and logged; one failing form number does not stop the others."""
    mandant = db.session.get(FormSolutionsMandant, mandant_id, populate_existing=True)
    quelle = mandant.quelle
    if not quelle.aktiv:
        return 0
    muster = current_app.config.get("INTAKE_ANTRAGSTELLER_MUSTER")
    optionen = FormSolutionsOptionen.aus_json(mandant.optionen, muster)
    timeout = float(mandant.optionen.get("timeout", 30))
    fehler: list[str] = []
    importiert = 0
    with FormSolutionsClient(mandant.base_url, mandant.mandant, mandant.api_key, optionen, timeout) as client:
        for nummer in mandant.formularnummern:
            try:
                eintraege = client.list_new(nummer)
            except AdapterFehler as af:
                fehler.append(f"{nummer}: {af.message}")
                continue
            for eintrag in eintraege:
                try:
                    importiert += _eintrag_importieren(client, quelle, mandant, nummer, eintrag.trans_id)
                except AdapterFehler as af:
                    fehler.append(f"{nummer}/{eintrag.trans_id}: {af.message}")
    mandant = db.session.get(FormSolutionsMandant, mandant_id, populate_existing=True)
    mandant.letzter_abruf = jetzt
    mandant.letzter_fehler = "\n".join(fehler)[:5000]
    db.session.commit()
    if fehler:  # the reasons may quote delivered values: they stay in the database, the log gets the count
        log.warning("Form-Solutions %s: %s Fehler beim Abruf (siehe Mandant)", mandant.mandant, len(fehler))
    return importiert


def _eintrag_importieren(
    client: FormSolutionsClient, quelle: IntakeQuelle, mandant: FormSolutionsMandant, nummer: str, trans_id: str
) -> int:
    """Fetch one submission (unless already imported), import it, report the status; 1 if newly imported."""
    vorhanden = db.session.scalars(
        select(Eingang).where(Eingang.quelle == quelle.name, Eingang.schluessel == schluessel(trans_id))
    ).first()
    if vorhanden is not None and vorhanden.zustand == FEHLERHAFT:
        db.session.rollback()
        return 0  # waits for an administrator; stays NEW on the form server
    if vorhanden is not None and vorhanden.zustand == VERARBEITET:
        db.session.rollback()
        client.report_status(nummer, trans_id)  # an earlier report got lost
        return 0
    db.session.rollback()
    roh = client.fetch(nummer, trans_id)
    metadaten = {
        "mandant": mandant.mandant,
        "formularnummer": nummer,
        "mandant_id": mandant.id,
        "optionen": mandant.optionen or {},
    }
    try:
        annahme = annehmen(quelle, roh, "application/json", metadaten, transaktions_id=trans_id)
    except Abgelehnt as abgelehnt:
        raise abgelehnt.fehler from None
    if annahme.zustand == VERARBEITET:
        client.report_status(nummer, trans_id)
        return 1 if annahme.neu else 0
    if annahme.zustand == FEHLERHAFT:
        log.warning("Form-Solutions %s: Eingang %s fehlerhaft (%s)", nummer, annahme.eingang_id, annahme.fehler_code)
    return 0
