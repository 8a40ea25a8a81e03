"""External tasks (Camunda 7 pattern): workers fetch and lock tasks of their topics, complete them or report a
failure with the retries left; an expired lock makes a task fetchable again; no retries left is an incident.

Workers authenticate with a per-client bearer token (256 random bits, stored as SHA-256 like the intake's tokens,
shown once). The open external tasks are rows (`ExterneAufgabe`) kept in step with the instance state by
`app.engine.speicher`, so fetching needs no workflow load.
"""

import hashlib
import secrets
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import or_, select

from app.database import is_postgres
from app.engine.models import AKTIV, ExternClient, ExterneAufgabe, ProzessInstanz
from app.engine.serialisierung import ist_speicherbar
from app.engine.speicher import laden
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang

#: Longest lock a worker may ask for (ms); Camunda has no limit, a forgotten worker should not block for days.
MAX_SPERRE_MS = 24 * 3600 * 1000


class ExternFehler(Exception):
    """A request of a worker that cannot be served; `status` is the HTTP status, the text is German."""

    def __init__(self, status: int, text: str):
        """Keep the status for the API."""
        self.status = status
        super().__init__(text)


def _hash(token: str) -> str:
    """SHA-256 hex of a bearer token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_anlegen(name: str, themen: list[str]) -> tuple[ExternClient, str]:
    """Create a worker client; returns it and its token (shown once). Flushes, the caller commits."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ExternFehler(400, "Der Name muss 1 bis 80 Zeichen lang sein.")
    if db.session.scalar(select(ExternClient.id).where(ExternClient.name == name)) is not None:
        raise ExternFehler(409, f"Einen Client „{name}“ gibt es schon.")
    token = secrets.token_urlsafe(32)
    client = ExternClient(name=name, token_hash=_hash(token), themen=[t.strip() for t in themen if t.strip()])
    db.session.add(client)
    db.session.flush()
    return client, token


def client_pruefen(authorization: str | None) -> ExternClient | None:
    """The active client of an `Authorization: Bearer <token>` header, or None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization.removeprefix("Bearer ").strip()
    if not token:
        return None
    return db.session.scalars(
        select(ExternClient).where(ExternClient.token_hash == _hash(token), ExternClient.aktiv.is_(True))
    ).first()


def _json(wert):
    """A task-data value for the worker's JSON (dates as ISO text)."""
    if isinstance(wert, (datetime, date)):
        return wert.isoformat()
    if isinstance(wert, timedelta):
        return wert.total_seconds()
    if isinstance(wert, dict):
        return {k: _json(v) for k, v in wert.items()}
    if isinstance(wert, (list, tuple)):
        return [_json(v) for v in wert]
    return wert


def abholen(client: ExternClient, worker_id: str, themen: dict[str, int], anzahl: int) -> list[dict]:
    """Fetch and lock up to `anzahl` tasks of the given topics (topic → lock duration in ms). Commits."""
    if not worker_id or len(worker_id) > 200:
        raise ExternFehler(400, "workerId fehlt oder ist länger als 200 Zeichen.")
    erlaubt = {t: ms for t, ms in themen.items() if not client.themen or t in client.themen}
    if not erlaubt:
        raise ExternFehler(403, "Dieser Client darf keines der angefragten Themen abholen.")
    jetzt = utcnow()
    query = (
        select(ExterneAufgabe)
        .join(ProzessInstanz, ProzessInstanz.id == ExterneAufgabe.instanz_id)
        .where(
            ProzessInstanz.zustand_art == AKTIV,
            ExterneAufgabe.thema.in_(list(erlaubt)),
            or_(ExterneAufgabe.gesperrt_bis.is_(None), ExterneAufgabe.gesperrt_bis < jetzt),
            or_(ExterneAufgabe.versuche_uebrig.is_(None), ExterneAufgabe.versuche_uebrig > 0),
        )
        .order_by(ExterneAufgabe.erstellt_am)
        .limit(max(1, min(int(anzahl), 100)))
    )
    if is_postgres():
        query = query.with_for_update(skip_locked=True, of=ExterneAufgabe)
    ergebnis = []
    for zeile in db.session.scalars(query).all():
        dauer = max(1, min(int(erlaubt[zeile.thema]), MAX_SPERRE_MS))
        zeile.gesperrt_bis, zeile.worker_id = jetzt + timedelta(milliseconds=dauer), worker_id
        instanz = db.session.get(ProzessInstanz, zeile.instanz_id)
        vorgang = db.session.get(Vorgang, zeile.vorgang_id)
        task = laden(instanz, vorgang, None).workflow.get_task_from_id(UUID(zeile.task_id))
        ergebnis.append(
            {
                "id": zeile.task_id,
                "topicName": zeile.thema,
                "workerId": worker_id,
                "activityId": zeile.element_id,
                "processInstanceId": str(zeile.instanz_id),
                "businessKey": vorgang.nummer,
                "lockExpirationTime": zeile.gesperrt_bis.isoformat(),
                "retries": zeile.versuche_uebrig,
                "errorMessage": zeile.fehler_text,
                "variables": {k: {"value": _json(v)} for k, v in task.data.items() if ist_speicherbar(v)},
            }
        )
    db.session.commit()
    return ergebnis


def gesperrte_zeile(client: ExternClient, task_id: str, worker_id: str) -> ExterneAufgabe:
    """The row a worker reports on: it must exist, belong to an allowed topic and be locked by this worker."""
    zeile = db.session.get(ExterneAufgabe, str(task_id))
    if zeile is None or (client.themen and zeile.thema not in client.themen):
        raise ExternFehler(404, "Diese externe Aufgabe gibt es nicht (mehr).")
    if zeile.worker_id != worker_id or zeile.gesperrt_bis is None or zeile.gesperrt_bis < utcnow():
        raise ExternFehler(409, "Die Aufgabe ist nicht (mehr) für diesen Worker gesperrt.")
    return zeile


def variablen_lesen(variablen) -> dict:
    """Camunda-style `{"name": {"value": …}}` (or plain values) as task data; ExternFehler if not storable."""
    if variablen is None:
        return {}
    if not isinstance(variablen, dict):
        raise ExternFehler(400, "variables muss ein Objekt sein.")
    daten = {}
    for name, eintrag in variablen.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ExternFehler(400, f"„{name}“ ist kein gültiger Variablenname.")
        wert = eintrag.get("value") if isinstance(eintrag, dict) and "value" in eintrag else eintrag
        if not ist_speicherbar(wert):
            raise ExternFehler(400, f"Der Wert von „{name}“ kann nicht gespeichert werden.")
        daten[name] = wert
    return daten


def fehlschlag_text(meldung: str | None, versuche: int | None) -> tuple[str, int | None]:
    """The stored error text and the retries left of a failure report."""
    text = (meldung or "Externe Aufgabe fehlgeschlagen")[:4000]
    if versuche is not None and (not isinstance(versuche, int) or versuche < 0):
        raise ExternFehler(400, "retries muss eine ganze Zahl ≥ 0 sein.")
    return text, versuche
