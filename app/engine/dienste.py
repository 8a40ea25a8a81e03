"""The built-in service handlers (status, Wiedervorlage, mail through the outbox, HTTP call); see docs/bpmn.md."""

import httpx

from app.engine.dienstaufgabe import DienstFehler, dienst
from app.engine.skripte import Kontext, frist_berechnen
from app.extensions import db
from app.postfach import verfahren as postfach
from app.timeutil import ZEITZONE, utcnow
from app.wiedervorlagen.models import Mailausgang


def _pflicht(parameter: dict, name: str, dienst_name_: str) -> str:
    """A required property of a built-in service, or a clear error."""
    wert = (parameter.get(name) or "").strip()
    if not wert:
        raise DienstFehler(f"Der Dienst „{dienst_name_}“ braucht die Eigenschaft (camunda:property) „{name}“.")
    return wert


def _nur_probelauf(kontext, was: str) -> bool:
    """True in a test or dry run (no Vorgang behind the script API): the effect is recorded, not done."""
    if isinstance(kontext, Kontext):
        return False
    kontext.protokoll.append(f"{was} (Probelauf: nicht ausgeführt)")
    return True


@dienst("amtsfluss.status")
def _status(task, kontext: Kontext, parameter: dict) -> None:
    """Set the Vorgang's status to the property `wert`."""
    kontext.status_setzen(_pflicht(parameter, "wert", "amtsfluss.status"))


@dienst("amtsfluss.wiedervorlage")
def _wiedervorlage(task, kontext: Kontext, parameter: dict) -> None:
    """Create a Wiedervorlage: properties `betreff`, `frist` (ISO date or duration, default P14D), `beschreibung`."""
    betreff = _pflicht(parameter, "betreff", "amtsfluss.wiedervorlage")
    kontext.wiedervorlage_anlegen(betreff, parameter.get("frist") or "P14D", parameter.get("beschreibung") or "")


@dienst("amtsfluss.mail")
def _mail(task, kontext: Kontext, parameter: dict) -> None:
    """Put a mail into the outbox (sent by the scheduler): properties `an`, `betreff`, `text`."""
    an = _pflicht(parameter, "an", "amtsfluss.mail")
    if "@" not in an:
        raise DienstFehler(f"„{an}“ ist keine E-Mail-Adresse.")
    if _nur_probelauf(kontext, f"Mail an {an}"):
        return
    mail = Mailausgang(
        art="verfahren",
        empfaenger=an[:254],
        betreff=_pflicht(parameter, "betreff", "amtsfluss.mail")[:300],
        text=parameter.get("text") or "",
        naechster_versuch_am=utcnow(),
    )
    db.session.add(mail)


@dienst("amtsfluss.http")
def _http(task, kontext: Kontext, parameter: dict) -> dict:
    """Call an HTTP endpoint: properties `url`, `methode` (GET/POST, default GET); the task data are the JSON body
    of a POST. Returns `{"http_status": …, "http_antwort": …}` (JSON if the answer is JSON, else text)."""
    url = _pflicht(parameter, "url", "amtsfluss.http")
    methode = (parameter.get("methode") or "GET").upper()
    if methode not in ("GET", "POST"):
        raise DienstFehler(f"Methode „{methode}“ wird nicht unterstützt (GET oder POST).")
    if _nur_probelauf(kontext, f"HTTP {methode} {url}"):
        return None
    timeout = float(parameter.get("timeout") or 10)
    json_body = (
        {k: v for k, v in task.data.items() if isinstance(v, (str, int, float, bool))} if methode == "POST" else None
    )
    antwort = httpx.request(methode, url, json=json_body, timeout=timeout)
    if antwort.status_code >= 400:
        raise DienstFehler(f"HTTP {antwort.status_code} von {url}")
    try:
        inhalt = antwort.json()
    except ValueError:
        inhalt = antwort.text[:10000]
    return {"http_status": antwort.status_code, "http_antwort": inhalt}


@dienst("amtsfluss.nachricht")
def _nachricht(task, kontext, parameter: dict) -> dict | None:
    """Write to the applicant through the Postfach (app.postfach.verfahren): properties `betreff`, `text`, optional
    `kanal`, `frist` (date or duration: a Nachforderung). A test run only records it."""
    frist = frist_berechnen(parameter["frist"]).astimezone(ZEITZONE).date() if parameter.get("frist") else None
    werte = postfach.platzhalter_werte(kontext.vorgang_info(), task.data)
    vorgang = kontext.vorgang if isinstance(kontext, Kontext) else None
    try:
        nachricht = postfach.senden(vorgang, parameter, werte, frist, kontext.protokoll)
    except postfach.PostfachFehler as fehler:
        raise DienstFehler(str(fehler)) from None
    return {"nachricht_id": nachricht.id} if nachricht else None


EINGEBAUT = ("amtsfluss.status", "amtsfluss.wiedervorlage", "amtsfluss.mail", "amtsfluss.http", "amtsfluss.nachricht")
