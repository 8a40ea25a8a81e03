"""Who administers what: administration is scoped to the administrator's OEs (docs/berechtigungen.md).

`administration` manages users and settings of its own OEs; `systemadministration` manages the installation:
every OE, new OEs, form-service sources, routing defaults and the role mapping of procedures. Every
administration query about OE-bound data (users, OEs, Eingänge, Vorfälle) starts from `verwaltbare_oes`.
"""

from sqlalchemy import select

from app.auth.models import ROLLEN, Benutzer
from app.extensions import db
from app.organisation.models import Organisationseinheit

#: Roles that open the administration area at all.
VERWALTENDE_ROLLEN = ("administration", "systemadministration")


def ist_systemadministration(benutzer: Benutzer) -> bool:
    """True for installation-wide administrators."""
    return benutzer.hat_rolle("systemadministration")


def verwaltbare_oes(benutzer: Benutzer) -> list[Organisationseinheit]:
    """The OEs this user administers: all for system administration, the own ones for administration, else none."""
    if ist_systemadministration(benutzer):
        return list(db.session.scalars(select(Organisationseinheit).order_by(Organisationseinheit.name)))
    if benutzer.hat_rolle("administration"):
        return sorted(benutzer.oes, key=lambda oe: oe.name)
    return []


def verwaltbare_oe_ids(benutzer: Benutzer) -> set[int]:
    """Ids of `verwaltbare_oes`, for `WHERE oe_id IN (…)` filters."""
    return {oe.id for oe in verwaltbare_oes(benutzer)}


def vergebbare_rollen(benutzer: Benutzer) -> tuple[str, ...]:
    """Roles this administrator may give: only system administration gives system administration."""
    if ist_systemadministration(benutzer):
        return ROLLEN
    return tuple(r for r in ROLLEN if r != "systemadministration")


def darf_benutzer_verwalten(admin: Benutzer, benutzer: Benutzer) -> bool:
    """An administrator manages a user only when every OE of that user is one of his (and never a sysadmin)."""
    if ist_systemadministration(admin):
        return True
    if not admin.hat_rolle("administration") or ist_systemadministration(benutzer):
        return False
    eigene = verwaltbare_oe_ids(admin)
    return bool(benutzer.oe_ids) and set(benutzer.oe_ids) <= eigene
