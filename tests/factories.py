"""Build test data through the same services the app uses."""

from app.auth.models import Benutzer
from app.auth.service import benutzer_anlegen, oe_anlegen
from app.organisation.models import Organisationseinheit
from app.vorgaenge.models import Vorgang
from app.vorgaenge.service import anlegen

#: The password of every test user.
PASSWORT = "richtig-langes-passwort"


def oe(name: str = "Ordnungsamt", kennung: str = "197008", prefix: str = "31005") -> Organisationseinheit:
    """An Organisationseinheit."""
    return oe_anlegen(name, kennung, prefix)


def benutzer(login: str, name: str, rollen: list[str], oes: list[Organisationseinheit]) -> Benutzer:
    """A user with the test password."""
    return benutzer_anlegen(login, name, PASSWORT, rollen, oes, email=f"{login}@example.org")


def vorgang(amt: Organisationseinheit, formular_name: str = "Gewerbeanmeldung", **kwargs) -> Vorgang:
    """A Vorgang in status Neu."""
    kwargs.setdefault("antragsteller_name", "Anna Schäfer")
    return anlegen(
        amt, formular_id=kwargs.pop("formular_id", "gewerbeanmeldung"), formular_name=formular_name, **kwargs
    )
