"""The Verfahren area: every procedure with its versions, running instances, incidents and routing."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.engine.models import AKTIV, VORFALL, ProzessInstanz, ProzessModellVersion
from app.engine.routing import routing_laden
from app.extensions import db
from app.werkstatt.models import Entwurf


@dataclass
class Routing:
    """Which form ids and LeiKa ids route to a procedure, and whether it is the fallback."""

    formulare: list[str] = field(default_factory=list)
    leika: list[str] = field(default_factory=list)
    standard: bool = False


@dataclass
class VersionZeile:
    """One deployed version with its running instances and incidents."""

    version: ProzessModellVersion
    laufend: int
    vorfaelle: int


@dataclass
class Verfahren:
    """A procedure as the overview shows it (deployed, drafted or both)."""

    key: str
    name: str
    neueste_version: int | None = None
    deployed_am: datetime | None = None
    deployed_von: str | None = None
    laufend: int = 0
    vorfaelle: int = 0
    entwurf_am: datetime | None = None
    entwurf_von: str | None = None
    routing: Routing = field(default_factory=Routing)


def routing_je_verfahren() -> dict[str, Routing]:
    """Procedure key → the form ids and LeiKa ids the routing sends to it."""
    daten = routing_laden()
    ergebnis: dict[str, Routing] = {}
    for formular, key in daten["formulare"].items():
        ergebnis.setdefault(key, Routing()).formulare.append(formular)
    for leika, key in daten["leika"].items():
        ergebnis.setdefault(key, Routing()).leika.append(leika)
    ergebnis.setdefault(daten["standard"], Routing()).standard = True
    return ergebnis


def _zaehler():
    """Per version: running instances and incidents (a subquery)."""
    return (
        select(
            ProzessInstanz.modell_version_id.label("version_id"),
            func.sum(case((ProzessInstanz.zustand_art == AKTIV, 1), else_=0)).label("laufend"),
            func.sum(case((ProzessInstanz.zustand_art == VORFALL, 1), else_=0)).label("vorfaelle"),
        )
        .group_by(ProzessInstanz.modell_version_id)
        .subquery()
    )


def versionen(key: str) -> list[VersionZeile]:
    """The deployed versions of a procedure, newest first, with running instances and incidents each."""
    zaehler = _zaehler()
    zeilen = db.session.execute(
        select(ProzessModellVersion, func.coalesce(zaehler.c.laufend, 0), func.coalesce(zaehler.c.vorfaelle, 0))
        .outerjoin(zaehler, zaehler.c.version_id == ProzessModellVersion.id)
        .where(ProzessModellVersion.key == key)
        .order_by(ProzessModellVersion.version.desc())
    ).all()
    return [VersionZeile(v, int(laufend), int(vorfaelle)) for v, laufend, vorfaelle in zeilen]


def uebersicht() -> list[Verfahren]:
    """Every procedure that is deployed or has a draft, sorted by name."""
    zaehler = _zaehler()
    verfahren: dict[str, Verfahren] = {}
    zeilen = db.session.execute(
        select(ProzessModellVersion, func.coalesce(zaehler.c.laufend, 0), func.coalesce(zaehler.c.vorfaelle, 0))
        .outerjoin(zaehler, zaehler.c.version_id == ProzessModellVersion.id)
        .order_by(ProzessModellVersion.key, ProzessModellVersion.version)
    ).all()
    for version, laufend, vorfaelle in zeilen:
        v = verfahren.setdefault(version.key, Verfahren(version.key, version.name))
        v.name, v.neueste_version = version.name, version.version
        v.deployed_am, v.deployed_von = version.deployed_am, version.deployed_von
        v.laufend += int(laufend)
        v.vorfaelle += int(vorfaelle)
    neueste = select(func.max(Entwurf.id)).group_by(Entwurf.key)
    for entwurf in db.session.scalars(select(Entwurf).where(Entwurf.id.in_(neueste))):
        v = verfahren.setdefault(entwurf.key, Verfahren(entwurf.key, entwurf.name))
        v.entwurf_am, v.entwurf_von = entwurf.erstellt_am, entwurf.autor
    routing = routing_je_verfahren()
    for v in verfahren.values():
        v.routing = routing.get(v.key, Routing())
    # decision tables (key `dmn:<id>`) have their own page in the workbench
    return sorted((v for v in verfahren.values() if not v.key.startswith("dmn:")), key=lambda v: v.name.lower())
