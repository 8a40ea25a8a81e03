"""Authentication with throttling, and user and OE administration used by the CLI."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from app.auth.models import ROLLEN, Benutzer, LoginFehlversuch
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.passwortregeln import pruefen
from app.auth.sitzung import alle_sitzungen_beenden
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow


class AnmeldungGesperrt(Exception):
    """Too many failed logins for this account or address; try again later."""


def anmelden(login: str, password: str, adresse: str) -> Benutzer | None:
    """Return the user if login and password match; record failures and refuse when throttled.

    Race-free: the attempt is recorded and committed *before* the failures are counted, so of any number of
    parallel attempts only as many as the limit allows see a count within it and get their password checked.
    A refused or successful attempt removes its row again; a failed one stays for the window.
    """
    login, adresse = login.strip().lower()[:80], (adresse or "unbekannt")[:64]
    versuch = LoginFehlversuch(login=login, adresse=adresse)
    db.session.add(versuch)
    db.session.commit()
    if _gesperrt(login, adresse):
        db.session.execute(delete(LoginFehlversuch).where(LoginFehlversuch.id == versuch.id))
        db.session.commit()
        raise AnmeldungGesperrt()
    benutzer = db.session.scalars(select(Benutzer).where(Benutzer.login == login)).first()
    ok = verify_password(benutzer.password_hash if benutzer else None, password)
    if ok and benutzer is not None and benutzer.aktiv:
        db.session.execute(delete(LoginFehlversuch).where(LoginFehlversuch.login == login))
        if needs_rehash(benutzer.password_hash):
            benutzer.password_hash = hash_password(password)
        db.session.commit()
        return benutzer
    return None


def _gesperrt(login: str, adresse: str) -> bool:
    """True when account+address, account or address has more recent attempts than allowed."""
    cfg = current_app.config
    seit = utcnow() - timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    recent = select(func.count()).select_from(LoginFehlversuch).where(LoginFehlversuch.zeitpunkt >= seit)
    grenzen = (
        (
            recent.where(LoginFehlversuch.login == login, LoginFehlversuch.adresse == adresse),
            cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS"],
        ),
        (recent.where(LoginFehlversuch.login == login), cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        (recent.where(LoginFehlversuch.adresse == adresse), cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )
    # The count includes this attempt's own row, hence "more than the limit".
    return any(db.session.scalar(abfrage) > grenze for abfrage, grenze in grenzen)


def passwort_setzen(benutzer: Benutzer, passwort: str) -> None:
    """Set a new password (policy checked) and end every session of the user; the caller commits."""
    pruefen(passwort, benutzer.login, benutzer.name)
    benutzer.password_hash = hash_password(passwort)
    alle_sitzungen_beenden(benutzer)


def oe_anlegen(name: str, kennung: str, prefix: str) -> Organisationseinheit:
    """Create an Organisationseinheit; the prefix must be five digits."""
    if not (len(prefix) == 5 and prefix.isdigit()):
        raise ValueError("Der Vorgangsnummer-Präfix muss aus genau fünf Ziffern bestehen.")
    oe = Organisationseinheit(name=name, kennung=kennung, nummer_prefix=prefix)
    db.session.add(oe)
    db.session.flush()
    return oe


def benutzer_anlegen(
    login: str, name: str, password: str, rollen: list[str], oes: list[Organisationseinheit], email: str = ""
) -> Benutzer:
    """Create a user; unknown roles and a password that breaks the policy are errors (ValueError)."""
    pruefen(password, login.strip().lower(), name)
    unbekannt = set(rollen) - set(ROLLEN)
    if unbekannt:
        raise ValueError(f"Unbekannte Rolle(n): {', '.join(sorted(unbekannt))}. Erlaubt: {', '.join(ROLLEN)}")
    kuerzel = "".join(teil[0] for teil in name.split()[:3]).upper() or login[:2].upper()
    benutzer = Benutzer(
        login=login.strip().lower(),
        name=name,
        kuerzel=kuerzel,
        email=email,
        password_hash=hash_password(password),
        rollen=list(rollen),
        oes=list(oes),
    )
    db.session.add(benutzer)
    db.session.flush()
    return benutzer


def oe_finden(kennung_oder_name: str) -> Organisationseinheit | None:
    """Find an OE by Kennung or exact name."""
    return db.session.scalars(
        select(Organisationseinheit).where(
            or_(Organisationseinheit.kennung == kennung_oder_name, Organisationseinheit.name == kennung_oder_name)
        )
    ).first()
