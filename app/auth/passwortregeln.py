"""The one password policy for every place a password is set (CLI, own settings, administration)."""

import re
from functools import cache
from pathlib import Path

from flask import current_app

#: About 5,000 common passwords and patterns (leaked-list favourites, German words, keyboard walks, years),
#: lower-case, one per line.
HAEUFIGE_PASSWOERTER = Path(__file__).with_name("haeufige_passwoerter.txt")

_ENDUNG = re.compile(r"[^a-zäöüß]+$")


class PasswortAbgelehnt(ValueError):
    """The password breaks the policy; the message (German) names every broken rule."""


@cache
def _haeufige() -> frozenset[str]:
    """The common-password list, loaded once per process."""
    return frozenset(zeile.strip() for zeile in HAEUFIGE_PASSWOERTER.read_text(encoding="utf-8").splitlines())


def _namensteile(login: str, name: str) -> list[str]:
    """Login, full name and each name part of three or more letters, lower-case."""
    teile = [login, name, name.replace(" ", "")] + re.split(r"[\s.,_-]+", f"{login} {name}")
    return [t.lower() for t in teile if len(t) >= 3]


def verstoesse(passwort: str, login: str = "", name: str = "") -> list[str]:
    """The rules this password breaks, as German sentences (empty when it is acceptable)."""
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    klein = passwort.lower()
    fehler = []
    if len(passwort) < minimum:
        fehler.append(f"Das Passwort muss mindestens {minimum} Zeichen lang sein.")
    if passwort and len(set(passwort)) == 1:
        fehler.append("Das Passwort darf nicht aus einem einzigen wiederholten Zeichen bestehen.")
    elif klein in _haeufige() or _ENDUNG.sub("", klein) in _haeufige():
        fehler.append("Dieses Passwort ist zu verbreitet und leicht zu erraten.")
    if any(teil in klein for teil in _namensteile(login, name)):
        fehler.append("Das Passwort darf weder den Benutzernamen noch den Namen enthalten.")
    return fehler


def pruefen(passwort: str, login: str = "", name: str = "") -> None:
    """Raise `PasswortAbgelehnt` when the password breaks the policy."""
    fehler = verstoesse(passwort, login, name)
    if fehler:
        raise PasswortAbgelehnt(" ".join(fehler))
