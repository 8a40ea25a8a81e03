"""Per-source credentials of the intake endpoints: create them, check them.

- HTTP Basic: user name + password, the password stored as Argon2id. Argon2 is slow by design, too slow to
  pay per delivery; so a process remembers a successful check for a while as an HMAC of the password under a
  random per-process key, bound to the stored hash (a changed password or a deactivated source invalidates
  it). A wrong password always goes through Argon2.
- Bearer token: 32 random bytes (URL-safe), stored as SHA-256 — a token that cannot be guessed needs no slow
  hash — and looked up by that hash.
- Optional IP allow-list (addresses or CIDR networks) per source.

The secret is shown exactly once, when the source is created (CLI ``intake add-source`` or the admin page).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
import secrets
import threading

from cachetools import TTLCache
from sqlalchemy import select

from app.auth.passwords import hash_password, verify_password
from app.extensions import db
from app.intake.models import ARTEN, IntakeQuelle

log = logging.getLogger(__name__)

_PROZESS_SCHLUESSEL = secrets.token_bytes(32)
#: Successful password checks: (source id, stored hash) → HMAC of the password; bounded, forgotten after an hour.
_bestaetigt: TTLCache[tuple[int, str], bytes] = TTLCache(maxsize=10_000, ttl=3600)
_bestaetigt_lock = threading.Lock()


class QuellenFehler(ValueError):
    """Invalid input when creating or changing a source (German message)."""


def _token_hash(token: str) -> str:
    """SHA-256 hex of a bearer token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ip_liste_pruefen(eintraege: list[str]) -> list[str]:
    """Normalize an IP allow-list; QuellenFehler for an entry that is no address or network."""
    ergebnis = []
    for eintrag in eintraege:
        eintrag = eintrag.strip()
        if not eintrag:
            continue
        try:
            ergebnis.append(str(ipaddress.ip_network(eintrag, strict=False)))
        except ValueError as fehler:
            raise QuellenFehler(f"{eintrag!r} ist keine IP-Adresse und kein Netz (CIDR)") from fehler
    return ergebnis


def quelle_anlegen(
    name: str,
    art: str,
    *,
    benutzername: str | None = None,
    passwort: str | None = None,
    ip_erlaubt: list[str] | None = None,
) -> tuple[IntakeQuelle, str]:
    """Create a source and return it with its secret (shown once): with ``benutzername`` HTTP Basic (a
    password is generated when none is given), otherwise a bearer token. No commit."""
    name = name.strip()
    if not name or len(name) > 40:
        raise QuellenFehler("Der Name muss 1 bis 40 Zeichen lang sein.")
    if art not in ARTEN:
        raise QuellenFehler(f"Unbekannte Art {art!r}; erlaubt: {', '.join(ARTEN)}")
    if db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.name == name)).first():
        raise QuellenFehler(f"Eine Quelle namens {name!r} gibt es schon.")
    quelle = IntakeQuelle(name=name, art=art, ip_erlaubt=ip_liste_pruefen(ip_erlaubt or []), aktiv=True)
    if benutzername:
        benutzername = benutzername.strip()
        if db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.benutzername == benutzername)).first():
            raise QuellenFehler(f"Der Benutzername {benutzername!r} ist schon vergeben.")
        geheimnis = passwort or secrets.token_urlsafe(24)
        if len(geheimnis) < 12:
            raise QuellenFehler("Das Passwort muss mindestens 12 Zeichen lang sein.")
        quelle.benutzername = benutzername
        quelle.passwort_hash = hash_password(geheimnis)
    else:
        geheimnis = secrets.token_urlsafe(32)
        quelle.token_hash = _token_hash(geheimnis)
    db.session.add(quelle)
    db.session.flush()
    return quelle, geheimnis


def neues_geheimnis(quelle: IntakeQuelle) -> str:
    """Replace the source's password or token with a new random one and return it (shown once). No commit."""
    if quelle.benutzername:
        geheimnis = secrets.token_urlsafe(24)
        quelle.passwort_hash = hash_password(geheimnis)
    else:
        geheimnis = secrets.token_urlsafe(32)
        quelle.token_hash = _token_hash(geheimnis)
    return geheimnis


def _ip_erlaubt(quelle: IntakeQuelle, adresse: str | None) -> bool:
    """True when the source has no allow-list or the address is in it."""
    if not quelle.ip_erlaubt:
        return True
    try:
        ip = ipaddress.ip_address(adresse or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(netz, strict=False) for netz in quelle.ip_erlaubt)


def _basic_lesen(authorization: str) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic …`` header, None when malformed."""
    try:
        roh = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    benutzer, trenner, passwort = roh.partition(":")
    return (benutzer, passwort) if trenner else None


def _passwort_pruefen(quelle: IntakeQuelle, passwort: str) -> bool:
    """Argon2 check of the password, remembered per process after the first success (see module doc)."""
    schluessel = (quelle.id, quelle.passwort_hash or "")
    marke = hmac.new(_PROZESS_SCHLUESSEL, passwort.encode("utf-8"), hashlib.sha256).digest()
    with _bestaetigt_lock:
        bekannt = _bestaetigt.get(schluessel)
    if bekannt is not None and hmac.compare_digest(bekannt, marke):
        return True
    if not verify_password(quelle.passwort_hash, passwort):
        return False
    with _bestaetigt_lock:
        _bestaetigt[schluessel] = marke
    return True


def authentifizieren(art: str, authorization: str | None, adresse: str | None) -> IntakeQuelle | None:
    """The active source of kind ``art`` these credentials belong to, or None (and a log line) if they are
    missing, wrong, for another kind, or the address is not allowed."""
    authorization = (authorization or "").strip()
    quelle = None
    if authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
        if token:
            quelle = db.session.scalars(
                select(IntakeQuelle).where(IntakeQuelle.token_hash == _token_hash(token))
            ).first()
    elif authorization[:6].lower() == "basic ":
        paar = _basic_lesen(authorization)
        if paar:
            quelle = db.session.scalars(select(IntakeQuelle).where(IntakeQuelle.benutzername == paar[0])).first()
            if quelle is None or not quelle.passwort_hash:
                verify_password(None, paar[1])  # same cost for an unknown user
                quelle = None
            elif not _passwort_pruefen(quelle, paar[1]):
                quelle = None
    grund = None
    if quelle is None:
        grund = "fehlende oder falsche Zugangsdaten"
    elif not quelle.aktiv:
        grund = f"Quelle {quelle.name!r} ist deaktiviert"
    elif quelle.art != art:
        grund = f"Quelle {quelle.name!r} ist vom Typ {quelle.art}, nicht {art}"
    elif not _ip_erlaubt(quelle, adresse):
        grund = f"Adresse {adresse} ist für Quelle {quelle.name!r} nicht freigegeben"
    if grund:
        log.warning("Intake %s: Anmeldung abgelehnt von %s: %s", art, adresse, grund)
        return None
    return quelle
