"""Who hears about what: a case assigned to me, a task waiting for me or my role, a deletion to confirm, an
applicant's reply. Each becomes an in-app Benachrichtigung (the header counts the unread ones) and, where the user
chose so, an e-mail through the outbox (sent by the scheduler with retries). A task for a role is the exception:
in the app the Aufgaben menu counts what is open for one's roles, so only e-mails are written per person.
Receivers run in the sender's transaction.
"""

import threading

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import delete, select

from app.auth.models import Benutzer, benutzer_oe
from app.benachrichtigungen.models import BenachrichtigungEinstellung
from app.extensions import db
from app.timeutil import utcnow
from app.vertretung.service import vertreter_von
from app.vorgaenge.liste import bearbeitende
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import Status
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang

#: Kinds of notification → how the settings page names them.
ARTEN = {
    "zuweisung": "Ein Vorgang wurde mir zugewiesen",
    "aufgabe": "Eine Aufgabe wartet auf mich oder meine Rolle",
    "loeschung": "Eine Löschung wartet auf meine Bestätigung",
    "nachricht": "Ein Antragsteller hat geantwortet",
}


def mail_arten(benutzer: Benutzer) -> set[str]:
    """The kinds this user also wants by e-mail."""
    return set(
        db.session.scalars(
            select(BenachrichtigungEinstellung.art).where(BenachrichtigungEinstellung.benutzer_id == benutzer.id)
        )
    )


def mail_arten_setzen(benutzer: Benutzer, arten: set[str]) -> None:
    """Replace the user's e-mail choice (unknown kinds are ignored); no commit."""
    db.session.execute(
        delete(BenachrichtigungEinstellung).where(BenachrichtigungEinstellung.benutzer_id == benutzer.id)
    )
    db.session.add_all(BenachrichtigungEinstellung(benutzer_id=benutzer.id, art=a) for a in sorted(arten & set(ARTEN)))
    with _cache_sperre:
        current_app.extensions.pop("amtsfluss_mail_wahl", None)


def benachrichtigen(
    empfaenger: list[Benutzer], art: str, vorgang: Vorgang, titel: str, text: str = "", *, in_app: bool = True
) -> int:
    """Notify each (active, distinct) recipient in the app (unless `in_app` is false) and, if chosen, by e-mail;
    returns how many."""
    empfaenger = list({b.id: b for b in empfaenger if b is not None and b.aktiv}.values())
    if not empfaenger:
        return 0
    for v in vertreter_von([b.id for b in empfaenger]).values():  # the deputy hears of it too, while away
        if v.id not in {b.id for b in empfaenger}:
            empfaenger.append(v)
    # Built without a request: scheduler ticks (timers, due dates) notify too.
    link = current_app.url_map.bind("localhost").build("vorgaenge.detail", {"nummer": vorgang.nummer})
    per_mail = set(
        db.session.scalars(
            select(BenachrichtigungEinstellung.benutzer_id).where(
                BenachrichtigungEinstellung.art == art,
                BenachrichtigungEinstellung.benutzer_id.in_([b.id for b in empfaenger]),
            )
        )
    )
    jetzt = utcnow()
    basis = (current_app.config.get("BASE_URL") or "").rstrip("/")
    for b in empfaenger:
        if in_app:
            db.session.add(
                Benachrichtigung(
                    empfaenger_id=b.id,
                    vorgang_id=vorgang.id,
                    titel=titel[:300],
                    text=text,
                    link=link,
                    erstellt_am=jetzt,
                )
            )
        if b.id in per_mail and b.email:
            db.session.add(
                Mailausgang(
                    art="benachrichtigung",
                    empfaenger=b.email,
                    empfaenger_id=b.id,
                    betreff=f"{titel} – Vorgang {vorgang.nummer}"[:300],
                    text=_mailtext(b.name, titel, text, vorgang.nummer, basis + link),
                    status="wartend",
                    naechster_versuch_am=jetzt,
                    erstellt_am=jetzt,
                )
            )
    return len(empfaenger)


def _mailtext(name: str, titel: str, text: str, nummer: str, link: str) -> str:
    """The German e-mail of one notification."""
    zeilen = [f"Guten Tag {name},", "", f"{titel} (Vorgang {nummer}).", *([text] if text else []), "", link, ""]
    zeilen.append("Welche Benachrichtigungen per E-Mail kommen, stellen Sie in Amtsfluss unter Einstellungen ein.")
    return "\n".join(zeilen)


# --- receivers of the signals in app/signale.py ------------------------------------------------------------


def bei_zuweisung(vorgang: Vorgang, nachher: Benutzer | None = None, benutzer: Benutzer | None = None, **_) -> None:
    """A Vorgang was given to someone else than the person who did it."""
    if nachher is not None and (benutzer is None or nachher.id != benutzer.id):
        von = f" von {benutzer.name}" if benutzer else ""
        benachrichtigen([nachher], "zuweisung", vorgang, "Vorgang zugewiesen", f"{vorgang.formular_name}{von}")


def bei_neuer_aufgabe(vorgang: Vorgang, aufgabe=None, benutzer: Benutzer | None = None, **_) -> None:
    """A procedure step is ready: its assignee, else the Bearbeiter if their role fits, are notified. A step for a
    role is counted in the Aufgaben menu instead; of the OE's people with the role, those who chose it get an
    e-mail (one query). Never the person whose action led to it."""
    gruppen = list(aufgabe.kandidatengruppen or [])
    titel = f"Aufgabe wartet: {aufgabe.titel}"
    with db.session.no_autoflush:  # nothing pending changes who is told; the caller's flush writes it once
        if aufgabe.zugewiesen_an:
            empfaenger = list(db.session.scalars(select(Benutzer).where(Benutzer.login == aufgabe.zugewiesen_an)))
        elif (b := vorgang.bearbeiter) is not None and b.hat_rolle(*gruppen) and "sachbearbeitung" in gruppen:
            empfaenger = [b]
        else:
            per_mail = [b for b in _wollen_mail("aufgabe", vorgang.oe_id) if b.hat_rolle(*gruppen)]
            per_mail = [b for b in per_mail if benutzer is None or b.id != benutzer.id]
            benachrichtigen(per_mail, "aufgabe", vorgang, titel, vorgang.formular_name, in_app=False)
            return
        empfaenger = [b for b in empfaenger if benutzer is None or b.id != benutzer.id]
        benachrichtigen(empfaenger, "aufgabe", vorgang, titel, vorgang.formular_name)


#: Seconds the people who want task mails are cached per OE (a task for a role asks on every new step).
MAIL_WAHL_TTL = 60
_cache_sperre = threading.Lock()  # TTLCache is not thread-safe


def _wollen_mail(art: str, oe_id: int) -> list[Benutzer]:
    """Active people of the OE who chose e-mails of this kind (who they are is cached for `MAIL_WAHL_TTL`; this
    process forgets it when someone changes their choice). Without anybody, no query at all."""
    with _cache_sperre:
        cache = current_app.extensions.setdefault("amtsfluss_mail_wahl", TTLCache(4096, MAIL_WAHL_TTL))
        ids = cache.get((art, oe_id))
    if ids is None:
        ids = tuple(
            db.session.scalars(
                select(BenachrichtigungEinstellung.benutzer_id)
                .join(benutzer_oe, benutzer_oe.c.benutzer_id == BenachrichtigungEinstellung.benutzer_id)
                .where(BenachrichtigungEinstellung.art == art, benutzer_oe.c.oe_id == oe_id)
            )
        )
        with _cache_sperre:
            cache[(art, oe_id)] = ids
    if not ids:
        return []
    return list(db.session.scalars(select(Benutzer).where(Benutzer.id.in_(ids), Benutzer.aktiv.is_(True))))


def bei_statuswechsel(vorgang: Vorgang, nachher: Status | None = None, benutzer: Benutzer | None = None, **_) -> None:
    """A deletion was requested: everyone else who may confirm it."""
    if nachher is not Status.ZU_LOESCHEN:
        return
    empfaenger = [b for b in bearbeitende([vorgang.oe_id]) if benutzer is None or b.id != benutzer.id]
    von = f" von {benutzer.name}" if benutzer else ""
    benachrichtigen(empfaenger, "loeschung", vorgang, "Löschung zu bestätigen", f"Beantragt{von}")


def bei_nachricht(vorgang: Vorgang, **_) -> None:
    """The applicant wrote: the Bearbeiter, else everyone of the OE who works on cases."""
    empfaenger = [vorgang.bearbeiter] if vorgang.bearbeiter else bearbeitende([vorgang.oe_id])
    benachrichtigen(empfaenger, "nachricht", vorgang, "Nachricht vom Antragsteller", vorgang.antragsteller_name)
