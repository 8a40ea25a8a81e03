"""Rules of the Postfach: write a message from the case, receive a reply, read it.

Writing stores the message (its content fixed from then on) and hands it to the channel's outbox in the caller's
transaction. Receiving finds the Vorgang by the correlation token the reply quotes, stores the files after the
same checks as an upload, lights the ✉ marker, notifies the Sachbearbeitung, closes an open Nachforderung and
tells the procedure (signal `antwort_eingegangen`). A reply nobody can assign is kept for administrators.
"""

import logging
from dataclasses import dataclass
from datetime import date

from flask import current_app
from markupsafe import escape
from sqlalchemy import or_, select

from app.auth.models import Benutzer
from app.extensions import db
from app.postfach import brief
from app.postfach.kanaele import KANAELE, KORRELATION, neue_korrelation, verfuegbare_kanaele
from app.postfach.models import Nachricht, Zustand
from app.signale import antwort_eingegangen
from app.templating import datum
from app.timeutil import utcnow
from app.vorgaenge import aktionen
from app.vorgaenge.anhaenge import (
    ERLAUBTE_TYPEN,
    STANDARD_MAX_BYTES,
    anhang_anlegen,
    bytes_ablegen,
    ist_gefaehrlich,
    sicherer_dateiname,
    typ_erkennen,
)
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Anhang, Vorgang
from app.vorgaenge.status import OFFEN
from app.wiedervorlagen.models import Wiedervorlage, WiedervorlageStatus
from app.wiedervorlagen.service import erledigen, wiedervorlage_anlegen

log = logging.getLogger(__name__)

#: Longest Betreff and text of a message.
MAX_BETREFF = 200
MAX_TEXT = 20_000


class PostfachFehler(ValueError):
    """The message cannot be written as asked; the text is shown to the user."""


@dataclass(frozen=True)
class Datei:
    """A file that came with a reply."""

    dateiname: str
    daten: bytes
    mime_typ: str | None = None


def _pruefen(vorgang: Vorgang, benutzer: Benutzer) -> None:
    """Only caseworkers and team leads of the Vorgang's OE write to the applicant."""
    if not aktionen.darf_vorgaenge_bearbeiten(benutzer) or vorgang.oe_id not in benutzer.oe_ids:
        raise PostfachFehler("Sie dürfen diesem Antragsteller nicht schreiben.")


def schreiben(
    vorgang: Vorgang,
    benutzer: Benutzer | None,
    kanal_name: str,
    betreff: str,
    text: str,
    anhaenge: list[Anhang] | None = None,
    *,
    frist: date | None = None,
    inhalt_html: str | None = None,
) -> Nachricht:
    """Write a message to the applicant and queue it on the channel (no commit).

    With `frist` it is a Nachforderung: a Wiedervorlage at the Frist reminds the Sachbearbeitung and the reply
    closes it. `benutzer` None is the system (Eingangsbestätigung). The letter channel stores its PDF as Anhang.
    """
    if benutzer is not None:
        _pruefen(vorgang, benutzer)
    kanal = KANAELE.get(kanal_name)
    adresse = kanal.adresse(vorgang) if kanal else None
    if adresse is None:
        raise PostfachFehler("Über diesen Kanal ist der Antragsteller nicht erreichbar.")
    betreff = aktionen.nur_text(betreff).replace("\n", " ")
    text = aktionen.nur_text(text)
    if not betreff or not text:
        raise PostfachFehler("Bitte geben Sie Betreff und Text ein.")
    if len(betreff) > MAX_BETREFF or len(text) > MAX_TEXT:
        raise PostfachFehler(f"Betreff (höchstens {MAX_BETREFF}) oder Text (höchstens {MAX_TEXT} Zeichen) zu lang.")
    anhaenge = list(anhaenge or [])
    if any(a.vorgang_id != vorgang.id for a in anhaenge):
        raise PostfachFehler("Es können nur Anhänge dieses Vorgangs versendet werden.")
    nachricht = Nachricht(
        vorgang_id=vorgang.id,
        vorgang=vorgang,
        richtung="aus",
        kanal=kanal.name,
        betreff=betreff,
        text=text,
        absender=benutzer.name if benutzer else vorgang.oe.name,
        benutzer_id=benutzer.id if benutzer else None,
        empfaenger=adresse[:300],
        korrelation=neue_korrelation(),
        status=Zustand.WARTEND,
        frist=frist,
    )
    if kanal.name == "brief":
        inhalt = inhalt_html or "".join(f"<p>{escape(absatz)}</p>" for absatz in text.split("\n\n"))
        daten = brief.pdf(brief.brief_html(vorgang, betreff, inhalt), betreff)
        anhaenge.append(
            anhang_anlegen(vorgang, f"Brief {vorgang.nummer}.pdf", daten, "application/pdf", herkunft="bearbeitung")
        )
    nachricht.anhaenge = anhaenge
    db.session.add(nachricht)
    kanal.einreihen(nachricht)  # before the flush: the outbox row is then written before the message, no UPDATE
    if frist is not None:
        wv = wiedervorlage_anlegen(
            vorgang, f"Nachforderung: {betreff}"[:300], frist, "Antwort des Antragstellers erwartet.", None, benutzer
        )
        nachricht.wiedervorlage_id = wv.id
    protokolliere(
        vorgang,
        "Nachforderung versendet" if frist else "Nachricht versendet",
        benutzer,
        None,
        {"kanal": kanal.titel, "betreff": betreff, "anhaenge": [a.dateiname for a in anhaenge]},
    )
    db.session.flush()
    return nachricht


#: session.info key of the Vorgänge created in the running transaction that still get an Eingangsbestätigung.
_VORGEMERKT = "postfach_eingangsbestaetigungen"


def eingang_vormerken(vorgang: Vorgang, **_kwargs) -> None:
    """Receiver of `vorgang_angelegt`: acknowledge the Vorgang when its transaction commits (so the
    acknowledgement follows what the creator records, and is never sent for a creation that was rolled back)."""
    if current_app.config.get("POSTFACH_EINGANGSBESTAETIGUNG", True):
        db.session.info.setdefault(_VORGEMERKT, []).append(vorgang)


def vorgemerkte_bestaetigen(session) -> None:
    """Session `before_commit`: write the Eingangsbestätigungen of the Vorgänge created in this transaction."""
    for vorgang in session.info.pop(_VORGEMERKT, []):
        if vorgang in session and vorgang.id is not None:
            try:
                eingang_bestaetigen(vorgang)
            except PostfachFehler as fehler:  # checked before anything is written: the Vorgang still commits
                log.warning("Keine Eingangsbestätigung für %s: %s", vorgang.nummer, fehler)


def vormerkungen_verwerfen(session, *_args) -> None:
    """Session `after_rollback`: nothing to acknowledge for a creation that did not happen."""
    session.info.pop(_VORGEMERKT, None)


def eingang_bestaetigen(vorgang: Vorgang) -> Nachricht | None:
    """The automatic Eingangsbestätigung with the Vorgangsnummer, by the first digital channel the application
    allows (no commit); None when it allows none."""
    kanal = next((k for k, _adresse in verfuegbare_kanaele(vorgang) if k.name != "brief"), None)
    if kanal is None:
        return None
    text = (
        f"Guten Tag,\n\nIhr Antrag „{vorgang.formular_name or 'Antrag'}“ ist am {datum(vorgang.eingangsdatum)} bei "
        f"{vorgang.oe.name} eingegangen. Er wird unter der Vorgangsnummer {vorgang.nummer} bearbeitet; bitte geben Sie "
        "diese Nummer bei Rückfragen an.\n\nDiese Nachricht wurde automatisch erstellt."
    )
    return schreiben(vorgang, None, kanal.name, f"Eingangsbestätigung {vorgang.nummer}", text)


def als_versandt_markieren(nachricht: Nachricht, benutzer: Benutzer) -> None:
    """A printed letter was posted: it counts as sent from now on (no commit)."""
    _pruefen(nachricht.vorgang, benutzer)
    if nachricht.kanal != "brief" or nachricht.status != Zustand.WARTEND:
        raise PostfachFehler("Nur ein noch nicht versandter Brief kann als versandt markiert werden.")
    zustand_setzen(nachricht, Zustand.GESENDET)
    protokolliere(nachricht.vorgang, "Brief versandt", benutzer, None, {"betreff": nachricht.betreff})


def zustand_setzen(nachricht: Nachricht, zustand: Zustand, fehler: str = "") -> None:
    """Move the delivery state (the only columns of a message that change)."""
    nachricht.status = zustand
    nachricht.status_seit = utcnow()
    if fehler:
        nachricht.letzter_fehler = fehler[:2000]


def empfangen(
    kanal_name: str,
    absender: str,
    betreff: str,
    text: str,
    dateien: list[Datei] | None = None,
    *,
    extern_id: str | None = None,
    vorgang: Vorgang | None = None,
) -> Nachricht:
    """Store a reply of the applicant (no commit); the same `extern_id` is stored once.

    The Vorgang is `vorgang` (a channel that knows it, e.g. FIT-Connect) or the one whose outgoing message the
    reply quotes by its correlation token. Without one the reply is kept unassigned for administrators.
    """
    if extern_id:
        vorhanden = db.session.scalar(select(Nachricht).where(Nachricht.extern_id == extern_id[:300]))
        if vorhanden is not None:
            return vorhanden
    bezug = _bezug(f"{betreff}\n{text}", vorgang)
    if vorgang is None and bezug is not None:
        vorgang = bezug.vorgang
    nachricht = Nachricht(
        vorgang_id=vorgang.id if vorgang else None,
        vorgang=vorgang,
        richtung="ein",
        kanal=kanal_name,
        betreff=(aktionen.nur_text(betreff).replace("\n", " ") or "(ohne Betreff)")[:300],
        text=aktionen.nur_text(text)[:MAX_TEXT],
        absender=aktionen.nur_text(absender)[:300],
        extern_id=extern_id[:300] if extern_id else None,
        antwort_auf_id=bezug.id if bezug else None,
        status=Zustand.EMPFANGEN,
    )
    db.session.add(nachricht)
    abgelehnt = _dateien_ablegen(nachricht, vorgang, dateien or [])
    if abgelehnt:
        nachricht.letzter_fehler = "Nicht übernommene Dateien: " + "; ".join(abgelehnt)
    db.session.flush()
    if vorgang is None:
        log.warning("Antwort %s ohne zuordenbaren Vorgang aufbewahrt", nachricht.id)
        return nachricht
    protokolliere(vorgang, "Nachricht eingegangen", None, None, {"kanal": kanal_name, "betreff": nachricht.betreff})
    aktionen.nachricht_als_ungelesen_markieren(vorgang)
    _nachforderung_schliessen(vorgang, bezug)
    if vorgang.status_enum in OFFEN:
        antwort_eingegangen.send(vorgang, nachricht=nachricht)
    return nachricht


def _bezug(text: str, vorgang: Vorgang | None) -> Nachricht | None:
    """The outgoing message whose correlation token the reply quotes (of `vorgang`, when that is known)."""
    for token in KORRELATION.findall(text):
        query = select(Nachricht).where(Nachricht.korrelation == token, Nachricht.richtung == "aus")
        if vorgang is not None:
            query = query.where(Nachricht.vorgang_id == vorgang.id)
        gefunden = db.session.scalar(query)
        if gefunden is not None:
            return gefunden
    return None


def _dateien_ablegen(nachricht: Nachricht, vorgang: Vorgang | None, dateien: list[Datei]) -> list[str]:
    """Store the reply's files after the upload checks (size, type, dangerous content); return refusals."""
    grenze = current_app.config.get("ANHANG_MAX_BYTES", STANDARD_MAX_BYTES)
    abgelehnt = []
    for datei in dateien:
        name = sicherer_dateiname(datei.dateiname)
        mime = typ_erkennen(name, datei.daten, datei.mime_typ)
        if not datei.daten or len(datei.daten) > grenze:
            abgelehnt.append(f"{name} (leer oder zu groß)")
        elif mime not in ERLAUBTE_TYPEN or ist_gefaehrlich(mime, name, datei.daten):
            abgelehnt.append(f"{name} (Dateityp nicht erlaubt)")
        elif vorgang is not None:
            anhang = anhang_anlegen(vorgang, name, datei.daten, mime, herkunft="nachricht")
            nachricht.anhaenge.append(anhang)
        else:
            nachricht.dateien = [
                *nachricht.dateien,
                {
                    "dateiname": name,
                    "mime_typ": mime,
                    "groesse": len(datei.daten),
                    "sha256": bytes_ablegen(datei.daten),
                },
            ]
    return abgelehnt


def _nachforderung_schliessen(vorgang: Vorgang, bezug: Nachricht | None) -> None:
    """The reply closes the Wiedervorlage of the Nachforderung it answers, else the Vorgang's latest open one."""
    wv = db.session.get(Wiedervorlage, bezug.wiedervorlage_id) if bezug and bezug.wiedervorlage_id else None
    if wv is None or wv.status != WiedervorlageStatus.OFFEN:
        wv = db.session.scalars(
            select(Wiedervorlage)
            .join(Nachricht, Nachricht.wiedervorlage_id == Wiedervorlage.id)
            .where(Nachricht.vorgang_id == vorgang.id, Wiedervorlage.status == WiedervorlageStatus.OFFEN)
            .order_by(Nachricht.id.desc())
        ).first()
    if wv is not None:
        erledigen(wv, None)


def thread(vorgang: Vorgang) -> list[Nachricht]:
    """The Vorgang's messages, oldest first."""
    return list(db.session.scalars(select(Nachricht).where(Nachricht.vorgang_id == vorgang.id).order_by(Nachricht.id)))


def gelesen(vorgang: Vorgang, benutzer: Benutzer) -> int:
    """Mark the Vorgang's incoming messages read (no commit); returns how many."""
    anzahl = 0
    for nachricht in thread(vorgang):
        if nachricht.ist_eingehend and nachricht.gelesen_am is None:
            nachricht.gelesen_am = utcnow()
            anzahl += 1
    if anzahl:
        protokolliere(vorgang, "Nachrichten gelesen", benutzer, None, {"anzahl": anzahl})
    aktionen.nachrichten_gelesen(vorgang)
    return anzahl


def nicht_zugeordnet(limit: int = 200) -> list[Nachricht]:
    """Replies for administrators: without a Vorgang, or on a Vorgang that is no longer open and still unread."""
    return list(
        db.session.scalars(
            select(Nachricht)
            .outerjoin(Vorgang, Vorgang.id == Nachricht.vorgang_id)
            .where(
                Nachricht.richtung == "ein",
                or_(
                    Nachricht.vorgang_id.is_(None),
                    Vorgang.status.not_in([s.value for s in OFFEN]) & Nachricht.gelesen_am.is_(None),
                ),
            )
            .order_by(Nachricht.id.desc())
            .limit(limit)
        )
    )
