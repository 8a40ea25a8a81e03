"""Authentication with throttling, and user and OE administration used by the CLI."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from app.auth.models import ROLLEN, Benutzer, LoginFehlversuch
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow


class AnmeldungGesperrt(Exception):
    """Too many failed logins for this account or address; try again later."""


def anmelden(login: str, password: str, adresse: str) -> Benutzer | None:
    """Return the user if login and password match; record failures and refuse when throttled."""
    login = login.strip().lower()
    if _gesperrt(login, adresse):
        raise AnmeldungGesperrt()
    benutzer = db.session.scalars(select(Benutzer).where(Benutzer.login == login)).first()
    ok = verify_password(benutzer.password_hash if benutzer else None, password)
    if ok and benutzer is not None and benutzer.aktiv:
        db.session.execute(delete(LoginFehlversuch).where(LoginFehlversuch.login == login))
        if needs_rehash(benutzer.password_hash):
            benutzer.password_hash = hash_password(password)
        db.session.commit()
        return benutzer
    db.session.add(LoginFehlversuch(login=login, adresse=adresse))
    db.session.commit()
    return None


def _gesperrt(login: str, adresse: str) -> bool:
    """True when the account or the address has too many recent failures."""
    cfg = current_app.config
    seit = utcnow() - timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    recent = select(func.count()).select_from(LoginFehlversuch).where(LoginFehlversuch.zeitpunkt >= seit)
    pro_konto = db.session.scalar(recent.where(LoginFehlversuch.login == login))
    pro_adresse = db.session.scalar(recent.where(LoginFehlversuch.adresse == adresse))
    return pro_konto >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"] or pro_adresse >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]


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
    """Create a user; unknown roles are an error."""
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
